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

// TestBenchRefusesBadCounts: a count no run can use is a usage error
// before anything is loaded (review R17: -n -5 printed -24,271,844
// texts/s).
func TestBenchRefusesBadCounts(t *testing.T) {
	tests := []struct{ flag, value, want string }{
		{"-n", "-5", "-n must be at least 1"},
		{"-n", "0", "-n must be at least 1"},
		{"-latency", "-1", "may not be negative"},
		{"-clients", "-2", "may not be negative"},
		{"-warmup", "-1", "may not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.flag+" "+tt.value, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", "bench", "-model", "missing.gguf", tt.flag, tt.value)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}
