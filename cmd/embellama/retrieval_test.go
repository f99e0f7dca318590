package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestRerankCommand checks embellama rerank against llama.cpp's scores.
func TestRerankCommand(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-rerank-tiny")
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "golden", "bert-rerank-tiny.json"))
	require.NoError(t, err)
	var g struct {
		Pairs []struct {
			Query, Document string
			Score           float64
		}
	}
	require.NoError(t, json.Unmarshal(b, &g))
	query := g.Pairs[0].Query
	var docs []string
	var want []float64
	for _, p := range g.Pairs {
		if p.Query == query {
			docs, want = append(docs, p.Document), append(want, p.Score)
		}
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	code, out, stderr := runCLI(t, strings.Join(docs, "\n")+"\n", "rerank", "-lib", lib, "-model", model, "-query", query, "-")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(docs))
	ranks := map[int]bool{}
	for i, l := range lines {
		var rec rerankRecord
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		assert.Equal(t, i, rec.Index, "input order")
		// Flash attention at the reranker's defaults: within 2.5e-3 of
		// llama.cpp's exact scores (embed's TestRerankGolden).
		assert.LessOrEqual(t, math.Abs(rec.Raw-want[i])/math.Max(math.Abs(want[i]), scale), 2.5e-3, "document %d vs llama.cpp", i)
		assert.InDelta(t, 1/(1+math.Exp(-rec.Raw)), rec.Score, 1e-12)
		ranks[rec.Rank] = true
	}
	assert.Len(t, ranks, len(docs))

	code, out, stderr = runCLI(t, strings.Join(docs, "\n")+"\n", "rerank", "-lib", lib, "-model", model, "-query", query, "-sorted", "-top", "2", "-")
	require.Equal(t, exitOK, code, stderr)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var first rerankRecord
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, 1, first.Rank)

	code, _, _ = runCLI(t, "", "rerank", "-lib", lib, "-model", model, "-")
	assert.Equal(t, exitUsage, code, "-query is required")
}

func TestEmbedChunkCommand(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	text := "Llamas live in the Andes. They eat grass. Llamas are social animals and live in herds. Ünïcödé café 東京です。"
	for _, late := range []bool{false, true} {
		args := []string{"embed", "-lib", lib, "-model", model, "-chunk", "8", "-overlap", "2", "-prompt-name", "document"}
		if late {
			args = append(args, "-late")
		}
		code, out, stderr := runCLI(t, text+"\n", args...)
		require.Equal(t, exitOK, code, stderr)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Greater(t, len(lines), 3)
		end := 0
		for i, l := range lines {
			var rec chunkRecord
			require.NoError(t, json.Unmarshal([]byte(l), &rec))
			assert.Equal(t, i, rec.Chunk)
			assert.Equal(t, text[rec.Start:rec.End], rec.Text)
			assert.LessOrEqual(t, rec.Start, end, "every byte covered")
			assert.LessOrEqual(t, rec.Tokens, 8)
			assert.Len(t, rec.Embedding, 128)
			end = rec.End
		}
		assert.Equal(t, len(text), end)
	}
}

func TestInfoShowsPrompts(t *testing.T) {
	lib := testenv.Library(t)
	code, out, stderr := runCLI(t, "", "info", "-lib", lib, "-model", testenv.Fixture(t, "nomic-bert-tiny"), "-prompt", "query=mine: ", "-default-prompt", "document")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, `prompt query           "mine: " (config)`)
	assert.Contains(t, out, `"search_document: " (built-in nomic-embed`)
	assert.Contains(t, out, "the default")
	code, out, stderr = runCLI(t, "", "info", "-lib", lib, "-model", testenv.Fixture(t, "qwen3-rerank-tiny"))
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "reranker  ")
	assert.Contains(t, out, "softmax in the graph")
}

// TestEmbedChunkFlagsChecked: chunking flags out of range, or that would
// be ignored, are usage errors decided before any text is embedded. (Before,
// -chunk 9223372036854775807 passed the context check by overflowing it,
// -chunk -1 embedded whole texts, and -overlap or -late without -chunk did
// nothing.)
func TestEmbedChunkFlagsChecked(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"size past int64 overflow", []string{"-chunk", "9223372036854775807"}, "context"},
		{"size above the context", []string{"-chunk", "100000"}, "context of 512"},
		{"size above -ctx", []string{"-ctx", "64", "-chunk", "65"}, "context of 64"},
		{"negative size", []string{"-chunk", "-1"}, "-chunk"},
		{"overlap equal to size", []string{"-chunk", "8", "-overlap", "8"}, "-overlap"},
		{"overlap above size", []string{"-chunk", "8", "-overlap", "9"}, "-overlap"},
		{"negative overlap", []string{"-chunk", "8", "-overlap", "-1"}, "-overlap"},
		{"overlap without chunk", []string{"-overlap", "2"}, "-chunk"},
		{"late without chunk", []string{"-late"}, "-chunk"},
		{"-format with chunk", []string{"-chunk", "8", "-format", "npy"}, "-format"},
		{"-truncate with chunk", []string{"-chunk", "8", "-truncate", "end"}, "-truncate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"embed", "-lib", lib, "-model", model}, tt.args...)
			code, out, stderr := runCLI(t, "Llamas eat grass. They live in herds.\n", args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.Empty(t, out)
		})
	}
	code, out, stderr := runCLI(t, "Llamas eat grass.\n", "embed", "-lib", lib, "-model", model, "-chunk", "500", "-overlap", "499")
	require.Equal(t, exitOK, code, "a size within the context is fine: %s", stderr)
	assert.NotEmpty(t, out)
}
