package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/hub"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		label string // "" when skipped
		typ   string
		skip  hub.Skip
	}{
		{"bge-small-en-v1.5-q8_0.gguf", "Q8_0", "q8_0", ""},
		{"nomic-embed-text-v1.5.Q4_K_M.gguf", "Q4_K_M", "q4_k", ""},
		{"nomic-embed-text-v1.5.Q4_K.gguf", "Q4_K", "q4_k", ""},
		{"all-MiniLM-L6-v2-Q8_0.gguf", "Q8_0", "q8_0", ""},
		{"Qwen3-Embedding-0.6B-f16.gguf", "F16", "f16", ""},
		{"embeddinggemma-300M-BF16.gguf", "BF16", "bf16", ""},
		{"bge-m3-FP16.gguf", "FP16", "f16", ""},
		{"model_f32.gguf", "F32", "f32", ""},
		{"ggml-model-IQ4_NL.gguf", "IQ4_NL", "iq4_nl", ""},
		{"x-Q2_K_S.gguf", "Q2_K_S", "q2_k_s", ""},
		{"x-Q5_K_S.GGUF", "Q5_K_S", "q5_k_s", ""},
		{"x-Q4_0_4_4.gguf", "Q4_0_4_4", "q4_0_4_4", ""},
		{"x-f16-F16.gguf", "F16", "f16", ""},
		{"x-IQ4_XS.gguf", "IQ4_XS", "iq4_xs", ""},
		{"model.gguf", "", "", hub.SkipUnknown},
		{"xbf16.gguf", "", "", hub.SkipUnknown},
		{"q8_0x.gguf", "", "", hub.SkipUnknown},
		{"x-q8_0-f16.gguf", "", "", hub.SkipAmbiguous},
		{"x-Q8_0-00001-of-00003.gguf", "", "", hub.SkipSplit},
		{"mmproj-x-f16.gguf", "", "", hub.SkipProjector},
		{"x-imatrix-f16.gguf", "", "", hub.SkipImatrix},
		{"x-q8_0.bin", "", "", hub.SkipNotGGUF},
		{"README.md", "", "", hub.SkipNotGGUF},
		{".gguf", "", "", hub.SkipUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, skip := hub.Classify(tt.name)
			assert.Equal(t, tt.skip, skip)
			assert.Equal(t, tt.label, f.Label)
			assert.Equal(t, tt.typ, f.Type)
		})
	}
}

func file(name string) hub.Entry { return hub.Entry{Type: "file", Path: name, Size: 100} }

func TestChoose(t *testing.T) {
	vnni := hub.Ranking{Published: []string{"q8_0", "mix-f16-q8_0", "f16", "bf16", "f32"}, PublishedBelow: []string{"q4_0", "q4_k", "iq4_nl"}}
	measured := vnni
	measured.Measured = []string{"f16", "f32"} // this model lost too much in q8_0 here
	measured.MeasuredBelow = []string{"q8_0", "q4_0"}
	mixed := []hub.Entry{file("m-F32.gguf"), file("m-F16.gguf"), file("m-Q8_0.gguf"), file("m-Q4_K_M.gguf"), file("m-Q6_K.gguf"),
		file("mmproj-m-f16.gguf"), file("README.md"), {Type: "directory", Path: "onnx"}}
	tests := []struct {
		name    string
		entries []hub.Entry
		rank    hub.Ranking
		want    string
		basis   hub.Basis
		err     error
	}{
		{"published: Q8_0 first", mixed, vnni, "m-Q8_0.gguf", hub.Published, nil},
		{"measured overrides published", mixed, measured, "m-F16.gguf", hub.Measured, nil},
		{"only F16", []hub.Entry{file("m-f16.gguf")}, vnni, "m-f16.gguf", hub.Published, nil},
		{"an unranked format before one below the bound", []hub.Entry{file("m-Q4_K_M.gguf"), file("m-Q6_K.gguf"), file("m-Q4_0.gguf")}, vnni, "m-Q6_K.gguf", hub.Unranked, nil},
		{"ranked near-exact before unranked", []hub.Entry{file("m-Q6_K.gguf"), file("m-F32.gguf")}, vnni, "m-F32.gguf", hub.Published, nil},
		{"measured below beats nothing above", []hub.Entry{file("m-Q8_0.gguf"), file("m-Q5_K_M.gguf")}, measured, "m-Q5_K_M.gguf", hub.Unranked, nil},
		{"only below the bound: the most precise", []hub.Entry{file("m-Q4_0.gguf"), file("m-Q4_K_M.gguf"), file("m-IQ4_NL.gguf")}, vnni, "m-Q4_K_M.gguf", hub.Below, nil},
		{"no ranking at all", []hub.Entry{file("m-Q4_0.gguf"), file("m-F16.gguf")}, hub.Ranking{}, "m-F16.gguf", hub.Unranked, nil},
		{"two files of the best format", []hub.Entry{file("a-Q8_0.gguf"), file("b-q8_0.gguf"), file("m-F16.gguf")}, vnni, "", 0, hub.ErrAmbiguous},
		{"two files of a worse format are fine", []hub.Entry{file("a-F16.gguf"), file("b-f16.gguf"), file("m-Q8_0.gguf")}, vnni, "m-Q8_0.gguf", hub.Published, nil},
		{"only unknown names", []hub.Entry{file("model.gguf"), file("weights.gguf"), file("config.json")}, vnni, "", 0, hub.ErrNoModel},
		{"only split parts", []hub.Entry{file("m-Q8_0-00001-of-00002.gguf"), file("m-Q8_0-00002-of-00002.gguf")}, vnni, "", 0, hub.ErrNoModel},
		{"empty", nil, vnni, "", 0, hub.ErrNoModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := hub.Choose(tt.entries, tt.rank)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.File.Name)
			assert.Equal(t, tt.basis, c.Basis)
			assert.Equal(t, c.File, c.Files[0])
		})
	}
}

// TestChooseLFS: the LFS sha256 and size are the file's.
func TestChooseLFS(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	c, err := hub.Choose([]hub.Entry{{Type: "file", Path: "m-Q8_0.gguf", Size: 134, LFS: &hub.LFS{OID: sum, Size: 1 << 30}}}, hub.Ranking{})
	require.NoError(t, err)
	assert.Equal(t, sum, c.File.SHA256)
	assert.Equal(t, int64(1<<30), c.File.Size)
	c, err = hub.Choose([]hub.Entry{{Type: "file", Path: "m-Q8_0.gguf", LFS: &hub.LFS{OID: "not-a-sum"}}}, hub.Ranking{})
	require.NoError(t, err)
	assert.Empty(t, c.File.SHA256, "an oid that is no sha256 is not used as one")
}

// hubServer emulates the hub's tree API: repos maps OWNER/REPO to the
// raw answer (and its Link header) for each page.
type page struct {
	body string
	link string
}

func hubServer(t *testing.T, repos map[string][]page) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, ok := strings.CutPrefix(r.URL.Path, "/api/models/")
		if !ok || !strings.HasSuffix(repo, "/tree/main") {
			http.NotFound(w, r)
			return
		}
		pages, ok := repos[strings.TrimSuffix(repo, "/tree/main")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		n := 0
		fmt.Sscan(r.URL.Query().Get("cursor"), &n)
		if n >= len(pages) {
			http.NotFound(w, r)
			return
		}
		if pages[n].link != "" {
			w.Header().Set("Link", pages[n].link)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, pages[n].body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func listing(t *testing.T, entries ...hub.Entry) string {
	b, err := json.Marshal(entries)
	require.NoError(t, err)
	return string(b)
}

func TestList(t *testing.T) {
	many := make([]hub.Entry, 2500)
	for i := range many {
		many[i] = file(fmt.Sprintf("f%d-Q8_0.gguf", i))
	}
	repos := map[string][]page{
		"o/mixed":      {{body: `[{"type":"file","path":"m-Q8_0.gguf","size":134,"oid":"x","lfs":{"oid":"` + strings.Repeat("a", 64) + `","size":99,"pointerSize":134},"xetHash":"y"},{"type":"directory","path":"onnx","oid":"z"}]`}},
		"o/paged":      {{body: listing(t, file("a-F16.gguf")), link: `</api/models/o/paged/tree/main?cursor=1>; rel="next"`}, {body: listing(t, file("a-Q8_0.gguf"))}},
		"o/huge":       {{body: listing(t, many...)}},
		"o/truncated":  {{body: `[{"type":"file","path":"m-Q8_0.gguf"`}},
		"o/object":     {{body: `{"error":"nope"}`}},
		"o/null":       {{body: `null`}},
		"o/trailing":   {{body: listing(t, file("a.gguf")) + `[]`}},
		"o/wrongtype":  {{body: `[{"type":"file","path":7}]`}},
		"o/notype":     {{body: `[{"path":"a.gguf"}]`}},
		"o/dotdot":     {{body: listing(t, file("../evil-Q8_0.gguf"))}},
		"o/slash":      {{body: listing(t, file("sub/m-Q8_0.gguf"))}},
		"o/absolute":   {{body: listing(t, file("/etc/m-Q8_0.gguf"))}},
		"o/backslash":  {{body: listing(t, file(`..\m-Q8_0.gguf`))}},
		"o/drive":      {{body: listing(t, file(`c:m-Q8_0.gguf`))}},
		"o/control":    {{body: listing(t, file("m-Q8_0\x1b[2J.gguf"))}},
		"o/bidi":       {{body: listing(t, file("m-\u202efg.8_0Q.gguf"))}},
		"o/dirdotdot":  {{body: listing(t, hub.Entry{Type: "directory", Path: ".."})}},
		"o/negative":   {{body: `[{"type":"file","path":"a.gguf","size":-1}]`}},
		"o/offhost":    {{body: listing(t, file("a.gguf")), link: `<http://elsewhere.invalid/next>; rel="next"`}},
		"o/endless":    {{body: listing(t, file("a.gguf")), link: `</api/models/o/endless/tree/main?cursor=0>; rel="next"`}},
		"o/bigbody":    {{body: "[" + strings.Repeat(" ", hub.DefaultMaxBytes) + "]"}},
		"o/dupepath":   {{body: `[{"type":"file","path":"ok-Q8_0.gguf","path":"../evil.gguf"}]`}},
		"o/futuretype": {{body: `[{"type":"symlink","path":"x"},{"type":"file","path":"a-F16.gguf"}]`}},
	}
	srv := hubServer(t, repos)
	l := &hub.Lister{Base: srv.URL}
	tests := []struct {
		repo  string
		err   error
		paths []string
	}{
		{"o/mixed", nil, []string{"m-Q8_0.gguf", "onnx"}},
		{"o/paged", nil, []string{"a-F16.gguf", "a-Q8_0.gguf"}},
		{"o/futuretype", nil, []string{"x", "a-F16.gguf"}},
		{"o/missing", hub.ErrNotFound, nil},
		{"o/huge", hub.ErrTooLarge, nil},
		{"o/endless", hub.ErrTooLarge, nil},
		{"o/bigbody", hub.ErrTooLarge, nil},
		{"o/truncated", hub.ErrListing, nil},
		{"o/object", hub.ErrListing, nil},
		{"o/null", hub.ErrListing, nil},
		{"o/trailing", hub.ErrListing, nil},
		{"o/wrongtype", hub.ErrListing, nil},
		{"o/notype", hub.ErrListing, nil},
		{"o/negative", hub.ErrListing, nil},
		{"o/offhost", hub.ErrListing, nil},
		{"o/dotdot", hub.ErrHostileName, nil},
		{"o/slash", hub.ErrHostileName, nil},
		{"o/absolute", hub.ErrHostileName, nil},
		{"o/backslash", hub.ErrHostileName, nil},
		{"o/drive", hub.ErrHostileName, nil},
		{"o/control", hub.ErrHostileName, nil},
		{"o/bidi", hub.ErrHostileName, nil},
		{"o/dirdotdot", hub.ErrHostileName, nil},
		{"o/dupepath", hub.ErrHostileName, nil},
		{"../o", hub.ErrRepoName, nil},
		{"o/r?x=1", hub.ErrRepoName, nil},
		{"o/r/extra", hub.ErrRepoName, nil},
		{"o", hub.ErrRepoName, nil},
		{"o/..", hub.ErrRepoName, nil},
		{"o/.hidden", hub.ErrRepoName, nil},
		{"o/r%2F..", hub.ErrRepoName, nil},
	}
	for _, tt := range tests {
		t.Run(tt.repo, func(t *testing.T) {
			entries, err := l.List(context.Background(), tt.repo)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Nil(t, entries, "nothing is returned from a refused listing")
				return
			}
			require.NoError(t, err)
			var paths []string
			for _, e := range entries {
				paths = append(paths, e.Path)
			}
			assert.Equal(t, tt.paths, paths)
		})
	}
}

// TestListToken: the token goes to the hub, as a bearer header.
func TestListToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sekrit" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	_, err := (&hub.Lister{Base: srv.URL}).List(context.Background(), "o/gated")
	require.ErrorIs(t, err, hub.ErrStatus)
	assert.Contains(t, err.Error(), "401")
	entries, err := (&hub.Lister{Base: srv.URL, Token: "sekrit"}).List(context.Background(), "o/gated")
	require.NoError(t, err)
	assert.Empty(t, entries)
}
