package main

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// TestBenchRerank runs bench -rerank against embellama's own server on
// the same reranker: the score comparison must find the same scores when
// told the server's kind (relevance), and a large difference when told
// the wrong one (raw logits against sigmoids).
func TestBenchRerank(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-rerank-tiny")
	e, err := embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: model}})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	s, err := server.New(server.Options{Engine: e})
	require.NoError(t, err)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	diff := regexp.MustCompile(`rerank scores of (\d+) documents, .* largest difference (\S+),`)
	bench := func(scores string) (docs int, largest float64) {
		t.Helper()
		code, out, stderr := runCLI(t, "", "bench", "-lib", lib, "-model", model, "-rerank", "-n", "20", "-request", "8",
			"-latency", "0", "-warmup", "0", "-vs-server", srv.URL+"/v1/rerank", "-server-scores", scores,
			"-clients", "2", "-client-request", "3")
		require.Equal(t, exitOK, code, stderr)
		m := diff.FindStringSubmatch(out)
		require.NotNil(t, m, out)
		docs, _ = strconv.Atoi(m[1])
		largest, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err)
		assert.Contains(t, out, "(2 clients × 3 texts)")
		return docs, largest
	}
	docs, same := bench("relevance")
	assert.Equal(t, 20, docs)
	assert.LessOrEqual(t, same, 1e-6, "the same engine behind the server scores the same")
	_, wrong := bench("raw")
	assert.Greater(t, wrong, 0.01, "raw logits against the server's sigmoids must differ")

	for _, args := range [][]string{{"-client-request", "0"}, {"-rerank", "-server-scores", "logit"}} {
		code, _, stderr := runCLI(t, "", append([]string{"bench", "-lib", lib, "-model", model}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
}
