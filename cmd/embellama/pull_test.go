package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestPullLyingServers resumes a partial download from servers that
// answer range requests wrongly: pull must end with the exact file or an
// error, never with a wrong file in -dir (issue 17.5).
func TestPullLyingServers(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	etag := hex.EncodeToString(sum[:])
	n := len(body)
	full := func(w http.ResponseWriter, tag bool) {
		if tag {
			w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(body)
	}
	const have = 1000
	tests := []struct {
		name    string
		partial []byte // the .part an earlier run left
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"206 from offset 0 for a request from 1000", body[:have], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				full(w, false)
				return
			}
			w.Header().Set("Content-Range", "bytes 0-"+strconv.Itoa(n-1)+"/"+strconv.Itoa(n))
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body)
		}},
		{"206 with the right offset and the whole file", body[:have], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				full(w, true)
				return
			}
			w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
			w.Header().Set("Content-Range", "bytes "+strconv.Itoa(have)+"-"+strconv.Itoa(n-1)+"/"+strconv.Itoa(n))
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body)
		}},
		{"206 without Content-Range", body[:have], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				full(w, true)
				return
			}
			w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body[have:])
		}},
		{"416 for an incomplete file", body[:have], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				full(w, true)
				return
			}
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		}},
		{"416 claiming the partial file is complete, without a checksum", body[:have], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				full(w, false)
				return
			}
			w.Header().Set("Content-Range", "bytes */"+strconv.Itoa(have))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		}},
		{"an honest 206 on a corrupt partial file, without a checksum", bytes.Repeat([]byte{0x47}, have), func(w http.ResponseWriter, r *http.Request) {
			start := 0
			if rg := r.Header.Get("Range"); rg != "" {
				start = have
				w.Header().Set("Content-Range", "bytes "+strconv.Itoa(have)+"-"+strconv.Itoa(n-1)+"/"+strconv.Itoa(n))
				w.Header().Set("Content-Length", strconv.Itoa(n-have))
				w.WriteHeader(http.StatusPartialContent)
			} else {
				w.Header().Set("Content-Length", strconv.Itoa(n))
			}
			w.Write(body[start:])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(tt.handler))
			defer srv.Close()
			dir := t.TempDir()
			dst := filepath.Join(dir, "stories.gguf")
			require.NoError(t, os.WriteFile(dst+".part", tt.partial, 0o644))
			code, out, stderr := runCLI(t, "", "pull", "-dir", dir, srv.URL+"/m/stories.gguf")
			got, rerr := os.ReadFile(dst)
			if code == exitOK {
				require.NoError(t, rerr, stderr)
				assert.Equal(t, dst+"\n", out)
				assert.True(t, bytes.Equal(body, got), "the file is the model: %d bytes for %d", len(got), n)
			} else {
				assert.True(t, os.IsNotExist(rerr), "a failed pull leaves no file a later run trusts: %s", stderr)
			}
			assert.Equal(t, exitOK, code, "a lying range answer is recovered from by starting over: %s", stderr)
		})
	}
}

// TestPullNames: the file name a reference yields must be a plain name
// inside -dir (issue 17.5).
func TestPullNames(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	defer srv.Close()
	root := t.TempDir()
	dir := filepath.Join(root, "models")
	t.Cleanup(func() { os.Remove(root + ".part") })
	for _, ref := range []string{
		srv.URL + "/m/..",
		srv.URL + "/m/.",
		srv.URL + "/",
		srv.URL + `/m/..%5Cevil.gguf`,
		srv.URL + `/m/c:evil.gguf`,
		"owner/repo/../../evil.gguf",
		"owner/repo/sub/..",
	} {
		code, _, stderr := runCLI(t, "", "pull", "-dir", dir, ref)
		assert.Equal(t, exitUsage, code, "%s: %s", ref, stderr)
	}
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, e := range entries {
		assert.Equal(t, "models", e.Name(), "nothing is written beside -dir")
	}
	_, err = os.Stat(root + ".part")
	assert.True(t, os.IsNotExist(err), "nothing is written above -dir")

	got, name, err := resolveRef(srv.URL + "/m/a%2F..%2Fok.gguf")
	require.NoError(t, err, "an escaped path is decoded, then reduced to its base name")
	assert.Equal(t, "ok.gguf", name)
	assert.NotEmpty(t, got)
}
