package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/hub"
	"github.com/embellama/embellama/internal/testenv"
)

// assertNoEmptyFiles fails when dir holds an empty file (a 0-byte .part
// left by a failed pull).
func assertNoEmptyFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.NotZero(t, fi.Size(), "%s is an empty file left behind", e.Name())
	}
}

// TestPullFailuresLeaveNoEmptyPart: every way a pull fails (connection
// refused, 404, 401, a body cut short every time, a bad sha256) exits 1
// with one message and leaves no 0-byte .part file; before, each one left
// FILE.gguf.part empty. A body cut short keeps what it got, for resuming.
func TestPullFailuresLeaveNoEmptyPart(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	status := func(code int) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }))
	}
	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := 0
		if rg := r.Header.Get("Range"); rg != "" {
			start, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			w.Header().Set("Content-Range", "bytes "+strconv.Itoa(start)+"-"+strconv.Itoa(len(body)-1)+"/"+strconv.Itoa(len(body)))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)-start))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write(body[start : start+10])
		w.(http.Flusher).Flush() // the headers and 10 bytes go out, then the connection drops
		panic(http.ErrAbortHandler)
	}))
	refused := status(http.StatusOK)
	refusedURL := refused.URL
	refused.Close() // nothing listens there now
	tests := []struct {
		name string
		url  string
		args []string
		want string
	}{
		{"refused", refusedURL, nil, "cannot reach 127.0.0.1"},
		{"404", status(http.StatusNotFound).URL, nil, "404"},
		{"401", status(http.StatusUnauthorized).URL, nil, "401"},
		{"cut mid-body", cut.URL, []string{"-sha256", strings.Repeat("0", 64)}, "interrupted"},
		{"bad sha256", "", []string{"-sha256", strings.Repeat("0", 64)}, "checksum mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.url == "" {
				srv, _ := modelServer(t, body, "", false)
				tt.url = srv.URL
			}
			dir := t.TempDir()
			args := append([]string{"pull", "-dir", dir}, tt.args...)
			code, _, stderr := runCLI(t, "", append(args, tt.url+"/m/stories.gguf")...)
			assert.Equal(t, exitFailure, code)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %s", stderr)
			assertNoEmptyFiles(t, dir)
		})
	}
	t.Cleanup(cut.Close)
}

// TestPullOffline: a host that does not resolve is one line naming it
// and what to do instead.
func TestPullOffline(t *testing.T) {
	hubURL = "http://embellama-test.invalid"
	defer func() { hubURL = "https://huggingface.co" }()
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "", "pull", "-dir", dir, "nomic-embed-text")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "cannot reach embellama-test.invalid: ")
	assert.Contains(t, stderr, "copy the .gguf file into "+dir+" instead")
	assertNoEmptyFiles(t, dir)
}

// TestPullToken: -token and $HF_TOKEN are sent as a bearer header (a
// gated repository answers 401 without), and no error shows the token,
// whether it came in the header or in the URL.
func TestPullToken(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	const secret = "hf_SECRETtoken123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	t.Setenv(envToken, "")

	code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), srv.URL+"/gated/m.gguf")
	assert.Equal(t, exitFailure, code, "no token: 401")
	assert.Contains(t, stderr, "401")

	code, _, stderr = runCLI(t, "", "pull", "-dir", t.TempDir(), "-token", secret, srv.URL+"/gated/m.gguf")
	assert.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stderr, secret)

	// $HF_TOKEN goes to the hub (OWNER/REPO/FILE), never to a URL's host.
	t.Setenv(envToken, secret)
	code, _, stderr = runCLI(t, "", "pull", "-dir", t.TempDir(), srv.URL+"/gated/m.gguf")
	assert.Equal(t, exitFailure, code, "$HF_TOKEN is not sent to a URL")
	assert.Contains(t, stderr, "401")
	hubURL = srv.URL
	defer func() { hubURL = "https://huggingface.co" }()
	code, _, stderr = runCLI(t, "", "pull", "-dir", t.TempDir(), "gated/repo/m.gguf")
	assert.Equal(t, exitOK, code, stderr)
	hubURL = "https://huggingface.co"

	// Failures: the token in the header, and in the URL's user info and
	// query, of a server that refuses (401) and of one that is gone.
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()
	for _, base := range []string{srv.URL, goneURL} {
		u := strings.Replace(base, "http://", "http://user:"+secret+"@", 1) + "/gated/m.gguf?token=" + secret
		code, _, stderr = runCLI(t, "", "pull", "-dir", t.TempDir(), "-token", "wrong"+secret, u)
		assert.Equal(t, exitFailure, code)
		assert.NotContains(t, stderr, secret, "the token is never printed")
		assert.NotEmpty(t, strings.TrimSpace(stderr))
	}
}

// TestPullShortNames: every short name of the table resolves to its
// repository on the hub: pull lists it through the tree API, then
// requests the file it chose (the table's, when the repository offers
// only that one), or the -file given; and pull -list prints every entry.
func TestPullShortNames(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, r.URL.Path)
		for _, s := range shortNames {
			if r.URL.Path == "/api/models/"+s.Repo+"/tree/main" {
				fmt.Fprintf(w, `[{"type":"file","path":%q,"size":10},{"type":"file","path":"README.md","size":10}]`, s.File)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	hubURL = srv.URL
	defer func() { hubURL = "https://huggingface.co" }()
	for _, s := range shortNames {
		f, skip := hub.Classify(s.File)
		assert.Empty(t, skip, s.Name)
		assert.True(t, strings.EqualFold(f.Label, s.Quant), "%s: the file name carries its format %s (%s)", s.Name, s.Quant, f.Label)
		for _, name := range append([]string{s.Name, strings.ToUpper(s.Name)}, s.Aliases...) {
			mu.Lock()
			paths = nil
			mu.Unlock()
			code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), name)
			assert.Equal(t, exitFailure, code)
			assert.Contains(t, stderr, "chose "+s.File+" ("+f.Label+")", name)
			mu.Lock()
			assert.Equal(t, []string{"/api/models/" + s.Repo + "/tree/main", "/" + s.Repo + "/resolve/main/" + s.File}, paths, name)
			paths = nil
			mu.Unlock()
			code, _, _ = runCLI(t, "", "pull", "-dir", t.TempDir(), "-file", "other.gguf", name)
			assert.Equal(t, exitFailure, code)
			mu.Lock()
			assert.Equal(t, []string{"/" + s.Repo + "/resolve/main/other.gguf"}, paths, "%s: -file forces the file, without a listing", name)
			mu.Unlock()
		}
		assert.NotEmpty(t, s.Source, "%s: every entry says where it was read", s.Name)
		assert.True(t, s.SHA256 == "" || len(s.SHA256) == 64, s.Name)
	}
	code, out, _ := runCLI(t, "", "pull", "-list")
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(shortNames)+1)
	for i, s := range shortNames {
		assert.Equal(t, []string{s.Name, s.Kind, s.Quant, s.ref()}, strings.Fields(lines[i+1])[:4])
	}
}
