package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/internal/hub"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// fakeHub emulates the hub: the tree API of each repository (its raw
// answer) and the download of any file of it (body, announced by its
// sha256). It records the paths requested.
type fakeHub struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newFakeHub(t *testing.T, body []byte, trees map[string]string) *fakeHub {
	sum := sha256.Sum256(body)
	h := &fakeHub{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.paths = append(h.paths, r.URL.Path)
		h.mu.Unlock()
		if repo, ok := strings.CutPrefix(r.URL.Path, "/api/models/"); ok {
			tree, ok := trees[strings.TrimSuffix(repo, "/tree/main")]
			if !ok || !strings.HasSuffix(repo, "/tree/main") {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, tree)
			return
		}
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
		if len(parts) < 5 || parts[2] != "resolve" || trees[parts[0]+"/"+parts[1]] == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Write(body)
	}))
	t.Cleanup(h.Close)
	hubURL = h.URL
	t.Cleanup(func() { hubURL = "https://huggingface.co" })
	return h
}

func (h *fakeHub) requested() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.paths)
}

// tree is a tree API answer listing names as LFS files with sha256 sum.
func tree(t *testing.T, sum string, names ...string) string {
	entries := []hub.Entry{{Type: "file", Path: ".gitattributes", Size: 1500}, {Type: "file", Path: "README.md", Size: 900}}
	for _, n := range names {
		entries = append(entries, hub.Entry{Type: "file", Path: n, Size: 134, LFS: &hub.LFS{OID: sum, Size: 1 << 20}})
	}
	b, err := json.Marshal(entries)
	require.NoError(t, err)
	return string(b)
}

// isolatedCache points the user cache (where the auto record lives) at
// a new directory.
func isolatedCache(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	t.Setenv("HOME", dir)
	t.Setenv("LOCALAPPDATA", dir)
	t.Setenv(envToken, "")
	path, err := autorecord.DefaultPath()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(path, dir), "the record lives in the user cache: %s", path)
	return path
}

// thisMachine is an auto record measured here: f16 fastest, q8_0 below
// the bound on its model.
func thisMachine() autorecord.Record {
	return autorecord.Record{
		Version: autorecord.Version, MeasuredAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		CPU:     autorecord.CPU{Class: "test", Probed: platform.ProbeCPUFeatures()},
		Library: autorecord.Library{Version: "b1", Backend: "cpu"},
		Model:   autorecord.Model{Name: "m.gguf", Architecture: "bert", Dim: 384, Layers: 6},
		Bound:   0.999, Texts: 28, Chosen: "f16",
		Candidates: []autorecord.Candidate{
			{Format: "q8_0", MinCosine: 0.998, Size: 5},
			{Format: "f16", MinCosine: 1, TextsPerSecond: 300, Size: 9},
			{Format: "f32", MinCosine: 1, TextsPerSecond: 200, Size: 17},
		},
	}
}

// TestPullRepo: pull OWNER/REPO lists the repository through the hub's
// tree API, chooses a file by this machine's auto record or else the
// published ranking for this CPU, says which in one stderr line, and
// downloads it verified against the listing's sha256; everything the
// hub may answer wrongly fails with one line and writes nothing.
func TestPullRepo(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	s := sha256.Sum256(body)
	sum := hex.EncodeToString(s[:])
	mixed := []string{"m-F32.gguf", "m-F16.gguf", "m-Q8_0.gguf", "m-Q4_K_M.gguf", "m-Q4_0.gguf", "mmproj-m-f16.gguf", "m-Q8_0-00001-of-00002.gguf"}
	many := make([]hub.Entry, 2500)
	for i := range many {
		many[i] = hub.Entry{Type: "file", Path: fmt.Sprintf("f%d.gguf", i)}
	}
	huge, err := json.Marshal(many)
	require.NoError(t, err)
	published, class, measured := platform.PublishedRanking(platform.ProbeCPUFeatures())
	trees := map[string]string{
		"o/mixed":     tree(t, sum, mixed...),
		"o/f16":       tree(t, sum, "m-f16.gguf"),
		"o/low":       tree(t, sum, "m-Q4_0.gguf", "m-Q4_K_M.gguf"),
		"o/unknown":   tree(t, sum, "model.gguf", "weights.gguf"),
		"o/twice":     tree(t, sum, "a-"+strings.ToUpper(published[0])+".gguf", "b-"+published[0]+".gguf", "c-Q4_0.gguf"),
		"o/badsum":    tree(t, strings.Repeat("0", 64), "m-f16.gguf"),
		"o/dotdot":    tree(t, sum, "../m-Q8_0.gguf"),
		"o/slash":     tree(t, sum, "sub/m-Q8_0.gguf"),
		"o/absolute":  tree(t, sum, "/tmp/m-Q8_0.gguf"),
		"o/backslash": tree(t, sum, `..\m-Q8_0.gguf`),
		"o/huge":      string(huge),
		"o/truncated": tree(t, sum, "m-f16.gguf")[:40],
		"o/offhost":   tree(t, sum, "m-f16.gguf"),
		"o/hash":      tree(t, sum, "m#x;y%41-Q8_0.gguf"),
	}
	firstOffered := func(names []string) string {
		for _, f := range published {
			for _, n := range names {
				if fm, skip := hub.Classify(n); skip == "" && fm.Type == f && !strings.Contains(n, "-of-") {
					return n
				}
			}
		}
		return ""
	}
	tests := []struct {
		name   string
		record func(path string) // writes the record state before the pull
		args   []string
		file   string // the file downloaded; "" when the pull fails
		says   string // in stderr
	}{
		{"mixed formats, no record: the published ranking", nil, []string{"o/mixed"}, firstOffered(mixed), "by the " + publishedWhat(class, measured) + "; run quantize -type auto to measure here"},
		{"mixed formats, this machine's record", writeRecord(thisMachine()), []string{"o/mixed"}, "m-F16.gguf", "chose m-F16.gguf (F16): fastest near-exact format measured on this machine by quantize -type auto on 2026-12-01"},
		{"a record from another CPU is not used", writeRecord(otherCPU()), []string{"o/mixed"}, firstOffered(mixed), "the auto record was measured on another CPU"},
		{"a corrupt record is not used", func(p string) { require.NoError(t, os.WriteFile(p, []byte(`{"version":1,`), 0o644)) }, []string{"o/mixed"}, firstOffered(mixed), "the auto record is unreadable"},
		{"only F16", nil, []string{"o/f16"}, "m-f16.gguf", "chose m-f16.gguf (F16)"},
		{"only formats below the bound", nil, []string{"o/low"}, "m-Q4_K_M.gguf", "every format offered measured below cosine 0.999"},
		{"-file forces a file", nil, []string{"-file", "m-Q4_0.gguf", "o/mixed"}, "m-Q4_0.gguf", ""},
		{"the full reference forces a file", nil, []string{"o/mixed/m-Q4_0.gguf"}, "m-Q4_0.gguf", ""},
		{"a name with URL characters is requested as itself", nil, []string{"o/hash"}, "m#x;y%41-Q8_0.gguf", "chose m#x;y%41-Q8_0.gguf (Q8_0)"},
		{"only unknown names", nil, []string{"o/unknown"}, "", "no GGUF model file with a known format"},
		{"two files of the best format", nil, []string{"o/twice"}, "", "several files of the chosen format"},
		{"the listing's sha256 is checked", nil, []string{"o/badsum"}, "", "checksum mismatch"},
		{"a name with ..", nil, []string{"o/dotdot"}, "", "hostile file name"},
		{"a name with a directory", nil, []string{"o/slash"}, "", "hostile file name"},
		{"an absolute name", nil, []string{"o/absolute"}, "", "hostile file name"},
		{"a name with a backslash", nil, []string{"o/backslash"}, "", "hostile file name"},
		{"a huge listing", nil, []string{"o/huge"}, "", "listing too large"},
		{"truncated JSON", nil, []string{"o/truncated"}, "", "malformed listing"},
		{"no such repository", nil, []string{"o/missing"}, "", "repository not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recPath := isolatedCache(t)
			if tt.record != nil {
				require.NoError(t, os.MkdirAll(filepath.Dir(recPath), 0o755))
				tt.record(recPath)
			}
			h := newFakeHub(t, body, trees)
			dir := t.TempDir()
			code, out, stderr := runCLI(t, "", append([]string{"pull", "-dir", dir}, tt.args...)...)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			if tt.file == "" {
				assert.Equal(t, exitFailure, code, stderr)
				assert.Empty(t, entries, "a failed pull leaves nothing in -dir")
				assert.Contains(t, stderr, tt.says)
				var errs []string
				for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if !strings.HasPrefix(l, "chose ") {
						errs = append(errs, l)
					}
				}
				assert.Len(t, errs, 1, "one error line: %s", stderr)
				return
			}
			require.Equal(t, exitOK, code, stderr)
			assert.Equal(t, filepath.Join(dir, tt.file)+"\n", out)
			got, err := os.ReadFile(filepath.Join(dir, tt.file))
			require.NoError(t, err)
			assert.Equal(t, body, got)
			assert.Contains(t, stderr, tt.says)
			assert.LessOrEqual(t, strings.Count(strings.TrimSpace(stderr), "\n"), 0, "the choice is one line: %s", stderr)
			reqs := h.requested()
			assert.Contains(t, reqs, "/"+repoOf(tt.args[len(tt.args)-1])+"/resolve/main/"+tt.file)
		})
	}
}

func repoOf(ref string) string {
	parts := strings.SplitN(ref, "/", 3)
	return parts[0] + "/" + parts[1]
}

func writeRecord(r autorecord.Record) func(string) {
	return func(path string) {
		if err := autorecord.Write(path, r); err != nil {
			panic(err)
		}
	}
}

func otherCPU() autorecord.Record {
	r := thisMachine()
	r.CPU.Probed = "CPU : SOMETHING_ELSE = 1"
	return r
}

// TestPullRepoOffHost: a next page on another host is refused: the token
// goes with every page.
func TestPullRepoOffHost(t *testing.T) {
	isolatedCache(t)
	var leaked sync.Mutex
	got := ""
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Lock()
		got = r.Header.Get("Authorization")
		leaked.Unlock()
		fmt.Fprint(w, `[]`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+other.URL+`/api/models/o/r/tree/main?cursor=1>; rel="next"`)
		fmt.Fprint(w, `[{"type":"file","path":"m-f16.gguf"}]`)
	}))
	defer srv.Close()
	hubURL = srv.URL
	defer func() { hubURL = "https://huggingface.co" }()
	code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), "-token", "hf_secret", "o/r")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "next page on another host")
	leaked.Lock()
	assert.Empty(t, got, "nothing was sent to the other host")
	leaked.Unlock()
}

// TestPullRepoUsage: -file with a reference that names its file, or
// with none, and a repository name that could change the URL, are
// usage errors, before any request.
func TestPullRepoUsage(t *testing.T) {
	isolatedCache(t)
	h := newFakeHub(t, []byte("x"), map[string]string{})
	for _, args := range [][]string{
		{"-file", "x.gguf", "o/r/y.gguf"},
		{"-file", "x.gguf", "https://example.invalid/y.gguf"},
		{"-file", "x.gguf"},
		{"o/r?x=1"},
		{"o/.."},
		{"-o/r"},
		{"-file", "/abs.gguf", "o/r"},
		{"-file", "../x.gguf", "o/r"},
		{"-file", "sub//x.gguf", "o/r"},
		{"-file", `a\b.gguf`, "o/r"},
		{"-file", "c:x.gguf", "o/r"},
		{"o/r?x=1/y.gguf"},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"pull", "-dir", t.TempDir()}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
	assert.Empty(t, h.requested())
}
