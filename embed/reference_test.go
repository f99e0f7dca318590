package embed_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func maxAbsDiff(a []float32, b []float64) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-b[i]))
	}
	return m
}

// referenceModels are the models of ../shared/models/SOURCES.md with their
// dimension and pooling. stories260K declares no pooling: its reference is
// the last token's hidden state, so it is loaded with pooling last.
var referenceModels = []struct {
	name     string
	dim      int
	pooling  embed.Pooling
	declared string
	arch     string
}{
	{"bert-mean", 128, embed.PoolingMean, "mean", "bert"},
	{"qwen3-last", 64, embed.PoolingLast, "last", "qwen3"},
	{"stories260K", 64, embed.PoolingLast, "none", "llama"},
}

// newEngine returns an engine on the test library with cfg's model, if
// any, closed when the test ends.
func newEngine(t testing.TB, cfg embed.Config) *embed.Engine {
	t.Helper()
	cfg.Library = testenv.Library(t)
	e, err := embed.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// open returns an engine with one of the shared models loaded as
// "default"; stories260K gets pooling last, as it declares none.
func open(t testing.TB, name string, cfg ...embed.Config) *embed.Engine {
	t.Helper()
	var c embed.Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	c.ModelPath = testenv.Model(t, name+".gguf")
	if name == "stories260K" && c.Pooling == embed.PoolingDefault {
		c.Pooling = embed.PoolingLast
	}
	return newEngine(t, c)
}

// TestReferenceVectors checks every text of every reference file, all in
// one EmbedBatch call (proving the packing) and each alone: the tokens
// exactly, and the vector with cosine ≥ 0.9999 and at most 1e-3 per
// component, against llama.cpp's own output for the same file.
func TestReferenceVectors(t *testing.T) {
	only := os.Getenv("EMBELLAMA_TEST_REFERENCE") // a comma-separated subset, for the backend children
	for _, m := range referenceModels {
		if only != "" && !slices.Contains(strings.Split(only, ","), m.name) {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			refs := testenv.LoadReference(t, m.name)
			// llama.cpp made the reference vectors with its default
			// kernel, flash attention, on the CPU: the engine must match
			// them exactly with the same kernel.
			var cfg embed.Config
			if b := os.Getenv(testenv.EnvBackend); b == "" || b == "cpu" {
				cfg.FlashAttention = embed.FlashAttentionOn
			}
			e := open(t, m.name, cfg)
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			assert.Equal(t, m.dim, info.Dim)
			assert.Equal(t, m.pooling, info.Pooling)
			assert.Equal(t, m.declared, info.DeclaredPooling)
			assert.Equal(t, m.arch, info.Architecture)

			texts := make([]string, len(refs))
			for i, r := range refs {
				texts[i] = r.Text
			}
			batch, err := e.EmbedBatch(context.Background(), "", texts)
			require.NoError(t, err)
			require.NoError(t, batch.Err())
			require.Len(t, batch.Vectors, len(refs))
			for i, r := range refs {
				name := fmt.Sprintf("%d:%.30q", i, r.Text)
				toks, err := e.Tokenize("", r.Text)
				require.NoError(t, err)
				assert.Equal(t, r.Tokens, toks, "tokens of %s", name)
				assert.Equal(t, len(r.Tokens), batch.Tokens[i])
			}
			check(t, m.name+" batched", refs, batch.Vectors)

			single := make([][]float32, len(refs))
			for i, r := range refs {
				single[i], err = e.Embed(context.Background(), "", r.Text)
				require.NoError(t, err)
			}
			check(t, m.name+" one by one", refs, single)

			// The default may pick the plain attention path instead
			// (heads ggml cannot vectorize): another summation order, so
			// the vectors agree as closely as another backend's do.
			d := open(t, m.name)
			di, err := d.ModelInfo("")
			require.NoError(t, err)
			if di.FlashAttention != embed.FlashAttentionOff {
				return
			}
			got, err := d.EmbedBatch(context.Background(), "", texts)
			require.NoError(t, err)
			require.NoError(t, got.Err())
			worst := 1.0
			for i, r := range refs {
				c := testenv.Cosine(got.Vectors[i], r.Want)
				assert.GreaterOrEqual(t, c, 0.99999, "default kernel: cosine of text %d", i)
				assert.LessOrEqual(t, maxAbsDiff(got.Vectors[i], r.Want), 3e-3, "default kernel: text %d", i)
				worst = min(worst, c)
			}
			t.Logf("%s with flash attention off (the default here): worst cosine %.9f", m.name, worst)
		})
	}
}

// absTolerance is the largest difference per component from llama.cpp's
// CPU vectors: testenv.MaxComponentDiff on the CPU, whichever CPU variant
// runs; a GPU backend computes in another order and precision, so there
// only the cosine (still ≥ 0.9999) is held tight.
func absTolerance() float64 {
	if b := os.Getenv(testenv.EnvBackend); b != "" && b != "cpu" {
		return 3e-3
	}
	return testenv.MaxComponentDiff
}

func check(t *testing.T, what string, refs []testenv.Reference, got [][]float32) {
	t.Helper()
	worstCos, worstAbs := 1.0, 0.0
	for i, r := range refs {
		name := fmt.Sprintf("%d:%.30q", i, r.Text)
		require.Len(t, got[i], len(r.Want), name)
		c, d := testenv.Cosine(got[i], r.Want), maxAbsDiff(got[i], r.Want)
		assert.GreaterOrEqual(t, c, 0.9999, "%s: cosine of %s", what, name)
		assert.LessOrEqual(t, d, absTolerance(), "%s: max abs diff of %s", what, name)
		worstCos, worstAbs = min(worstCos, c), max(worstAbs, d)
	}
	t.Logf("%s: %d texts, worst cosine %.9f, worst abs diff %.3g", what, len(refs), worstCos, worstAbs)
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
		{"empty", []string{"ok", ""}, embed.ErrEmptyInput, 1},
		{"white space", []string{" \t\n "}, embed.ErrEmptyInput, 0},
		{"invalid UTF-8", []string{"ok", "ok", "bad \xff\xfe"}, embed.ErrInvalidUTF8, 2},
		{"too long", []string{long}, embed.ErrTooLong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.EmbedBatch(context.Background(), "", tt.texts)
			require.NoError(t, err, "a bad input fails alone")
			for i := range tt.texts {
				if i == tt.index {
					require.ErrorIs(t, r.Errors[i], tt.want)
					var ie *embed.InputError
					require.ErrorAs(t, r.Errors[i], &ie)
					assert.Equal(t, tt.index, ie.Index)
					assert.Nil(t, r.Vectors[i])
				} else {
					assert.NoError(t, r.Errors[i])
					assert.Len(t, r.Vectors[i], 128, "the other inputs are embedded")
				}
			}
			_, err = e.Embed(context.Background(), "", tt.texts[tt.index])
			assert.ErrorIs(t, err, tt.want)
		})
	}
	_, err := e.EmbedBatch(context.Background(), "", nil)
	assert.ErrorIs(t, err, embed.ErrNoInput)

	// The engine still works, and agrees with itself.
	a, err := e.Embed(context.Background(), "", "hello world")
	require.NoError(t, err)
	b, err := e.Embed(context.Background(), "", "hello world")
	require.NoError(t, err)
	assert.Equal(t, a, b)
}

func TestOpenErrors(t *testing.T) {
	lib := testenv.Library(t)
	dir := t.TempDir()
	bert := testenv.Model(t, "bert-mean.gguf")
	tests := []struct {
		name string
		cfg  embed.Config
		want error
	}{
		{"missing model", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: filepath.Join(dir, "nope.gguf")}}, embed.ErrModelNotFound},
		{"model is a directory", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: dir}}, embed.ErrModelLoad},
		{"library not found", embed.Config{EngineConfig: embed.EngineConfig{Library: filepath.Join(dir, "nolib")}, ModelConfig: embed.ModelConfig{ModelPath: bert}}, embed.ErrLibrary},
		{"bad context size", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: bert, ContextSize: 1}}, embed.ErrInvalidConfig},
		{"bad threads", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: bert, Threads: -1}}, embed.ErrInvalidConfig},
		{"batch below context", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: bert, ContextSize: 256, BatchSize: 128}}, embed.ErrInvalidConfig},
		{"not an embedding model", embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: testenv.Model(t, "stories260K.gguf")}}, embed.ErrNotEmbeddingModel},
		{"memory limit", embed.Config{EngineConfig: embed.EngineConfig{Library: lib, MemoryLimit: 1 << 20}, ModelConfig: embed.ModelConfig{ModelPath: bert}}, embed.ErrMemoryLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := embed.New(context.Background(), tt.cfg)
			assert.Nil(t, e)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestClose(t *testing.T) {
	e := open(t, "bert-mean")
	require.NoError(t, e.Close())
	require.NoError(t, e.Close())
	_, err := e.Embed(context.Background(), "", "hello")
	assert.ErrorIs(t, err, embed.ErrClosed)
	_, err = e.Tokenize("", "hello")
	assert.ErrorIs(t, err, embed.ErrClosed)
	assert.ErrorIs(t, e.LoadModel(context.Background(), "x", embed.ModelConfig{ModelPath: testenv.Model(t, "bert-mean.gguf")}), embed.ErrClosed)
}

func TestEmbedCancelled(t *testing.T) {
	e := open(t, "bert-mean")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Embed(ctx, "", "hello")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = e.Embed(context.Background(), "", "hello")
	assert.NoError(t, err)
}
