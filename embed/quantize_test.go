package embed_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

// quantizeCases are the formats the CLI documents, with the smallest
// cosine between a converted model's vector and the source model's, over
// the reference texts of every shared model. The bounds sit below what
// was measured on random-weight fixtures (docs/performance.md lists the
// figures), which quantize worse than trained weights.
var quantizeCases = []struct {
	typ      string
	fileType string // gguf.File.FileType of the output
	minCos   float64
}{
	{"f16", "F16", 0.9999},   // measured 0.999998
	{"bf16", "BF16", 0.9999}, // measured 0.999976
	{"q8_0", "Q8_0", 0.999},  // measured 0.999649
	{"q4_k", "Q4_K_M", 0.97}, // measured 0.980729
}

// TestQuantizeKeepsEmbeddings converts each shared model into each format
// and compares the vectors of its reference texts with the source's, both
// computed in this process.
func TestQuantizeKeepsEmbeddings(t *testing.T) {
	e := newEngine(t, embed.Config{})
	for _, rm := range referenceModels {
		t.Run(rm.name, func(t *testing.T) {
			src := testenv.Model(t, rm.name+".gguf")
			var texts []string
			for _, r := range testenv.LoadReference(t, rm.name) {
				texts = append(texts, r.Text)
			}
			// qwen3-last keeps its token embedding in Q8_0. The two
			// decoders are slow to load and embed: only the recommended
			// format and the smallest are checked on them (docs/performance.md
			// has the figures of all four).
			requantize, only := rm.name == "qwen3-last", []string{"q8_0", "q4_k"}
			if rm.name == "bert-mean" {
				only = nil
			}
			checkQuantized(t, e, rm.name, src, rm.pooling, texts, requantize, only...)
		})
	}
	// The generated fixtures of the other architectures and poolings, on
	// the same texts.
	var texts []string
	for _, r := range testenv.LoadReference(t, "bert-mean") {
		texts = append(texts, r.Text)
	}
	for _, name := range []string{"bert-cls-tiny", "nomic-bert-tiny", "jina-bert-v2-tiny"} {
		t.Run(name, func(t *testing.T) {
			checkQuantized(t, e, name, testenv.Fixture(t, name), embed.PoolingDefault, texts, false)
		})
	}
}

// checkQuantized converts src into the formats of quantizeCases (those
// named in only, if any) and compares the vectors of texts with src's.
func checkQuantized(t *testing.T, e *embed.Engine, name, src string, pooling embed.Pooling, texts []string, requantize bool, only ...string) {
	ctx := context.Background()
	want := embedAll(t, e, "src-"+name, src, pooling, texts)
	for _, tc := range quantizeCases {
		if len(only) > 0 && !slices.Contains(only, tc.typ) {
			continue
		}
		t.Run(tc.typ, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+"-"+tc.typ+".gguf")
			require.NoError(t, e.Quantize(ctx, src, out, embed.QuantizeOptions{Type: tc.typ, Requantize: requantize}))
			f, err := gguf.Open(out)
			require.NoError(t, err)
			assert.Equal(t, tc.fileType, f.FileType())
			got := embedAll(t, e, name+"-"+tc.typ, out, pooling, texts)
			worst := 1.0
			for i := range want {
				worst = min(worst, embed.Cosine(want[i], got[i]))
			}
			t.Logf("%s %s: smallest cosine vs source %.6f", name, tc.typ, worst)
			assert.GreaterOrEqual(t, worst, tc.minCos)
		})
	}
}

// embedAll loads path under name, embeds texts, and unloads it.
func embedAll(t *testing.T, e *embed.Engine, name, path string, pooling embed.Pooling, texts []string) [][]float32 {
	t.Helper()
	require.NoError(t, e.LoadModel(context.Background(), name, embed.ModelConfig{ModelPath: path, Pooling: pooling}))
	defer e.UnloadModel(name)
	res, err := e.EmbedBatch(context.Background(), name, texts)
	require.NoError(t, err)
	require.NoError(t, res.Err())
	require.Len(t, res.Vectors, len(texts))
	return res.Vectors
}
