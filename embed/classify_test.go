package embed_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/filehash"
	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/internal/testenv"
)

// classifyGolden is testdata/golden/<classifier>.json, recorded by
// internal/cmd/goldenrerank from llama.cpp's C API (csrc/classify.c).
type classifyGolden struct {
	SHA256  string   `json:"sha256"`
	Context int      `json:"context"`
	Labels  []string `json:"labels"`
	Inputs  []struct {
		Texts   []string  `json:"texts"`
		Outputs []float64 `json:"outputs"`
		Tokens  int       `json:"tokens"`
	} `json:"inputs"`
}

func loadClassifyGolden(t *testing.T, name string) classifyGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "golden", name+".json"))
	require.NoError(t, err)
	var g classifyGolden
	require.NoError(t, json.Unmarshal(b, &g))
	require.NotEmpty(t, g.Inputs)
	return g
}

// TestClassifyGolden checks the classifier fixtures against the class
// outputs llama.cpp computed for the same inputs (single texts and
// pairs), all inputs in one call (packed) and each alone: the labels
// llama.cpp reads, the raw outputs within the rerankers' tolerance, the
// token counts, and the scores as the softmax of the raw outputs.
func TestClassifyGolden(t *testing.T) {
	for _, s := range fixtures.ClassifierSpecs() {
		t.Run(s.Name, func(t *testing.T) {
			g := loadClassifyGolden(t, s.Name)
			path := testenv.Fixture(t, s.Name)
			sum, err := filehash.SHA256(path)
			require.NoError(t, err)
			require.Equal(t, g.SHA256, sum, "the golden outputs were recorded from another file: make golden-rerank")
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: path, ContextSize: g.Context}})
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			assert.Equal(t, embed.KindClassifier, info.Kind)
			assert.Equal(t, g.Labels, info.Labels)
			assert.Equal(t, s.Labels, info.Labels)

			var inputs [][]string
			scale := 0.0
			for _, in := range g.Inputs {
				inputs = append(inputs, in.Texts)
				for _, v := range in.Outputs {
					scale = max(scale, math.Abs(v))
				}
			}
			packed, err := e.Classify(context.Background(), "", inputs)
			require.NoError(t, err)
			require.NoError(t, packed.Err())
			for i, want := range g.Inputs {
				got := packed.Items[i]
				assert.Equal(t, i, got.Index)
				assert.Equal(t, want.Tokens, got.Tokens, "input %d: tokens as llama.cpp lays it out", i)
				checkClasses(t, g, want.Outputs, got, scale, "packed")

				one, err := e.Classify(context.Background(), "", [][]string{want.Texts})
				require.NoError(t, err)
				require.NoError(t, one.Err())
				checkClasses(t, g, want.Outputs, one.Items[0], scale, "alone")
			}
		})
	}
}

// checkClasses compares one item's classes with llama.cpp's outputs: the
// labels in output order, Raw within packedTolerance of the scale, and
// Score the softmax of Raw.
func checkClasses(t *testing.T, g classifyGolden, want []float64, got embed.ClassifyItem, scale float64, how string) {
	t.Helper()
	require.Len(t, got.Classes, len(want))
	var sum, total float64
	mx := math.Inf(-1)
	for _, c := range got.Classes {
		mx = math.Max(mx, c.Raw)
	}
	for _, c := range got.Classes {
		sum += math.Exp(c.Raw - mx)
	}
	for k, c := range got.Classes {
		assert.Equal(t, g.Labels[k], c.Label)
		assert.LessOrEqual(t, relErr(c.Raw, want[k], scale), packedTolerance, "%s, input %d class %s: %v vs llama.cpp %v",
			how, got.Index, c.Label, c.Raw, want[k])
		assert.InDelta(t, math.Exp(c.Raw-mx)/sum, c.Score, 1e-12)
		total += c.Score
	}
	assert.InDelta(t, 1, total, 1e-9, "probabilities sum to 1")
	best := got.Sorted()[0]
	for _, c := range got.Classes {
		assert.GreaterOrEqual(t, best.Score, c.Score)
	}
}

// TestClassifyRefuses checks the call-level and per-input errors of
// Classify: an embedding model, no input, an option it does not apply,
// and inputs that fail alone (empty, three texts, a pair with an empty
// second text, over-long without truncation) while the others succeed.
func TestClassifyRefuses(t *testing.T) {
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-classify-tiny"), ContextSize: 64}})
	ctx := context.Background()
	_, err := e.Classify(ctx, "", nil)
	assert.ErrorIs(t, err, embed.ErrNoInput)
	_, err = e.Classify(ctx, "", [][]string{{"a"}}, embed.WithDimensions(2))
	assert.ErrorIs(t, err, embed.ErrInvalidOption)

	long := ""
	for range 100 {
		long += "panda "
	}
	r, err := e.Classify(ctx, "", [][]string{{"fine"}, {""}, {"a", "b", "c"}, {"a", " "}, {long}, {"query", "document"}})
	require.NoError(t, err)
	assert.NoError(t, r.Items[0].Err)
	assert.ErrorIs(t, r.Items[1].Err, embed.ErrEmptyInput)
	assert.ErrorIs(t, r.Items[2].Err, embed.ErrInvalidPair)
	assert.ErrorIs(t, r.Items[3].Err, embed.ErrEmptyInput)
	assert.ErrorIs(t, r.Items[4].Err, embed.ErrTooLong)
	assert.NoError(t, r.Items[5].Err)
	for _, i := range []int{0, 5} {
		assert.Len(t, r.Items[i].Classes, 3)
	}
	for _, i := range []int{1, 2, 3, 4} {
		assert.Nil(t, r.Items[i].Classes)
	}
	cut, err := e.Classify(ctx, "", [][]string{{long}}, embed.WithTruncation(embed.TruncateEnd))
	require.NoError(t, err)
	require.NoError(t, cut.Err())
	assert.True(t, cut.Items[0].Truncated)
	assert.Equal(t, 64, cut.Items[0].Tokens)

	emb := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny")}})
	_, err = emb.Classify(ctx, "", [][]string{{"a"}})
	assert.ErrorIs(t, err, embed.ErrNotClassifier)
}

// TestModelKinds checks that ModelInfo.Kind tells the fixtures apart:
// embedding models, the one-logit cross-encoder and Qwen3-Reranker (its
// "yes"/"no" labels come with a rerank template) are not classifiers.
func TestModelKinds(t *testing.T) {
	for name, want := range map[string]embed.ModelKind{
		"bert-mean-tiny":     embed.KindEmbedding,
		"bert-rerank-tiny":   embed.KindReranker,
		"qwen3-rerank-tiny":  embed.KindReranker,
		"bert-classify-tiny": embed.KindClassifier,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, name), ContextSize: 512}})
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			assert.Equal(t, want, info.Kind)
		})
	}
}
