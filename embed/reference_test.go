package embed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// reference is one text of ../shared/models/reference/<model>.json with
// what llama.cpp computed for it.
type reference struct {
	Text   string
	Tokens []int32   // special tokens included
	Want   []float64 // L2-normalized
}

// loadReference reads a reference file. The fixture files carry the
// prebuilt library's vectors (embedding_l2_prebuilt) and tokens; the
// stories260K file carries raw vectors and tokens without the BOS that
// llama.cpp prepends.
func loadReference(t *testing.T, name string) []reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.ModelsDir(t), "reference", name+".json"))
	require.NoError(t, err)
	var f struct {
		Results []struct {
			Text                 string    `json:"text"`
			Tokens               []int32   `json:"tokens"`
			TokensWithoutSpecial []int32   `json:"tokens_without_special"`
			EmbeddingL2Prebuilt  []float64 `json:"embedding_l2_prebuilt"`
			Embedding            []float64 `json:"embedding"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.NotEmpty(t, f.Results)
	var refs []reference
	for _, r := range f.Results {
		ref := reference{Text: r.Text, Tokens: r.Tokens, Want: r.EmbeddingL2Prebuilt}
		if ref.Want == nil {
			ref.Tokens = append([]int32{1}, r.TokensWithoutSpecial...) // BOS
			ref.Want = l2(r.Embedding)
		}
		require.NotEmpty(t, ref.Want, "reference for %q has no vector", r.Text)
		refs = append(refs, ref)
	}
	return refs
}

func l2(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / math.Sqrt(s)
	}
	return out
}

func cosine(a []float32, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * b[i]
		na += float64(a[i]) * float64(a[i])
		nb += b[i] * b[i]
	}
	return dot / math.Sqrt(na*nb)
}

func maxAbsDiff(a []float32, b []float64) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-b[i]))
	}
	return m
}

// referenceModels are the models of ../shared/models/SOURCES.md with their
// dimension and the pooling the engine should report.
var referenceModels = []struct {
	name    string
	dim     int
	pooling string
	arch    string
}{
	{"bert-mean", 128, "mean", "bert"},
	{"qwen3-last", 64, "last", "qwen3"},
	{"stories260K", 64, "none", "llama"},
}

func open(t *testing.T, model string, opts ...embed.Option) *embed.Engine {
	t.Helper()
	opts = append([]embed.Option{embed.WithLibrary(testenv.Library(t))}, opts...)
	e, err := embed.Open(context.Background(), testenv.Model(t, model+".gguf"), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// TestReferenceVectors checks every text of every reference file: the
// tokens exactly, and the vector with cosine ≥ 0.9999 and at most 1e-3
// per component, against llama.cpp's own output for the same file.
func TestReferenceVectors(t *testing.T) {
	for _, m := range referenceModels {
		t.Run(m.name, func(t *testing.T) {
			refs := loadReference(t, m.name)
			e := open(t, m.name)
			info := e.Info()
			assert.Equal(t, m.dim, e.Dim())
			assert.Equal(t, m.pooling, info.Pooling)
			assert.Equal(t, m.arch, info.Architecture)

			texts := make([]string, len(refs))
			for i, r := range refs {
				texts[i] = r.Text
			}
			got, err := e.Embed(context.Background(), texts...)
			require.NoError(t, err)
			require.Len(t, got, len(refs))
			worstCos, worstAbs := 1.0, 0.0
			for i, r := range refs {
				name := fmt.Sprintf("%d:%.30q", i, r.Text)
				toks, err := e.Tokenize(r.Text)
				require.NoError(t, err)
				assert.Equal(t, r.Tokens, toks, "tokens of %s", name)
				require.Len(t, got[i], m.dim)
				c, d := cosine(got[i], r.Want), maxAbsDiff(got[i], r.Want)
				assert.GreaterOrEqual(t, c, 0.9999, "cosine of %s", name)
				assert.LessOrEqual(t, d, 1e-3, "max abs diff of %s", name)
				worstCos, worstAbs = min(worstCos, c), max(worstAbs, d)
			}
			t.Logf("%s: %d texts, worst cosine %.9f, worst abs diff %.3g", m.name, len(refs), worstCos, worstAbs)
		})
	}
}

func TestEmbedBadInput(t *testing.T) {
	e := open(t, "bert-mean")
	long := strings.Repeat("hello ", 600) // > 512 tokens, the model's context
	tests := []struct {
		name  string
		texts []string
		want  error
		index int
	}{
		{"no texts", nil, embed.ErrNoInput, -1},
		{"empty", []string{"ok", ""}, embed.ErrEmptyInput, 1},
		{"white space", []string{" \t\n "}, embed.ErrEmptyInput, 0},
		{"invalid UTF-8", []string{"ok", "ok", "bad \xff\xfe"}, embed.ErrInvalidUTF8, 2},
		{"too long", []string{long}, embed.ErrTooLong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Embed(context.Background(), tt.texts...)
			assert.Nil(t, got)
			require.ErrorIs(t, err, tt.want)
			if tt.index >= 0 {
				var ie *embed.InputError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, tt.index, ie.Index)
			}
		})
	}
	// The engine still works, and agrees with itself.
	a, err := e.Embed(context.Background(), "hello world")
	require.NoError(t, err)
	b, err := e.Embed(context.Background(), "hello world")
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestOpenErrors(t *testing.T) {
	lib := testenv.Library(t)
	dir := t.TempDir()
	tests := []struct {
		name  string
		model string
		opts  []embed.Option
		want  error
	}{
		{"missing model", filepath.Join(dir, "nope.gguf"), nil, embed.ErrModelNotFound},
		{"model is a directory", dir, nil, embed.ErrModelLoad},
		{"library not found", testenv.Model(t, "bert-mean.gguf"), []embed.Option{embed.WithLibrary(filepath.Join(dir, "nolib"))}, embed.ErrLibrary},
		{"bad context size", testenv.Model(t, "bert-mean.gguf"), []embed.Option{embed.WithContextSize(1)}, embed.ErrInvalidOption},
		{"bad threads", testenv.Model(t, "bert-mean.gguf"), []embed.Option{embed.WithThreads(0)}, embed.ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]embed.Option{embed.WithLibrary(lib)}, tt.opts...)
			e, err := embed.Open(context.Background(), tt.model, opts...)
			assert.Nil(t, e)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestClose(t *testing.T) {
	e := open(t, "bert-mean")
	require.NoError(t, e.Close())
	require.NoError(t, e.Close())
	_, err := e.Embed(context.Background(), "hello")
	assert.ErrorIs(t, err, embed.ErrClosed)
	_, err = e.Tokenize("hello")
	assert.ErrorIs(t, err, embed.ErrClosed)
}

func TestEmbedCancelled(t *testing.T) {
	e := open(t, "bert-mean")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Embed(ctx, "hello")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = e.Embed(context.Background(), "hello")
	assert.NoError(t, err)
}
