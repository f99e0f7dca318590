package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestClassifyCommand runs classify on the classifier fixture: one JSON
// row per input line, in order, a blank line an error row with its line
// number (exit 1, the others still printed), and each row's classes the
// library's Classify gives for the text.
func TestClassifyCommand(t *testing.T) {
	model := testenv.Fixture(t, "bert-classify-tiny")
	lib := testenv.Library(t)
	code, out, stderr := runCLI(t, "I love pandas\n\nthis is terrible\n", "classify", "-lib", lib, "-model", model)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "line 2: empty input")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	var rows []classifyRecord
	for _, l := range lines {
		var r classifyRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		rows = append(rows, r)
	}
	assert.Equal(t, "1", string(rows[1].ID))
	assert.Contains(t, rows[1].Error, "line 2:")
	assert.Empty(t, rows[1].Classes)

	var cfg embed.Config
	cfg.Library, cfg.ModelPath = lib, model
	e, err := embed.New(context.Background(), cfg)
	require.NoError(t, err)
	defer e.Close()
	want, err := e.Classify(context.Background(), "", [][]string{{"I love pandas"}, {"this is terrible"}})
	require.NoError(t, err)
	for k, i := range []int{0, 2} {
		r := rows[i]
		require.Empty(t, r.Error)
		require.Len(t, r.Classes, 3)
		best := want.Items[k].Sorted()[0]
		assert.Equal(t, best.Label, r.Label)
		require.NotNil(t, r.Score)
		assert.InDelta(t, best.Score, *r.Score, 1e-6)
		for c, cl := range want.Items[k].Classes {
			assert.Equal(t, cl.Label, r.Classes[c].Label)
			assert.InDelta(t, cl.Raw, r.Classes[c].Raw, 1e-4)
		}
	}

	code, _, stderr = runCLI(t, "", "classify", "-lib", lib, "-model", testenv.Fixture(t, "bert-mean-tiny"), "hello")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not a classifier")
}

// TestModelsKinds runs models on a directory of an embedding model, a
// reranker and a classifier: the KIND column tells them apart.
func TestModelsKinds(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"bert-mean-tiny", "bert-rerank-tiny", "bert-classify-tiny", "qwen3-rerank-tiny"} {
		require.NoError(t, os.Symlink(testenv.Fixture(t, n), filepath.Join(dir, n+".gguf")))
	}
	code, out, stderr := runCLI(t, "", "models", dir)
	require.Equal(t, exitOK, code, stderr)
	kinds := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(l)
		kinds[f[0]] = f[len(f)-1]
	}
	assert.Equal(t, map[string]string{"bert-mean-tiny.gguf": "embedding", "bert-rerank-tiny.gguf": "reranker",
		"bert-classify-tiny.gguf": "classifier", "qwen3-rerank-tiny.gguf": "reranker"}, kinds)
}
