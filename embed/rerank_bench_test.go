package embed_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// BenchmarkRerank scores 64 short documents against one query per
// operation, packed into shared decodes, and reports pairs per second.
// $EMBELLAMA_BENCH_RERANKER names another reranker GGUF (default: the
// bert-rerank-tiny fixture); $EMBELLAMA_LIB another library.
func BenchmarkRerank(b *testing.B) {
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: os.Getenv("EMBELLAMA_BENCH_RERANKER"), ContextSize: 512}}
	if cfg.ModelPath == "" {
		cfg.ModelPath = testenv.Fixture(b, "bert-rerank-tiny")
	}
	require.NoError(b, cfg.ApplyEnv(os.Getenv))
	cfg.Library = os.Getenv("EMBELLAMA_LIB")
	if cfg.Library == "" {
		cfg.Library = testenv.Library(b)
	}
	e, err := embed.New(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	docs := shortTexts(b, 64)
	ctx := context.Background()
	_, err = e.Rerank(ctx, "", "warm up", docs[:1])
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		r, err := e.Rerank(ctx, "", "what is a giant panda?", docs)
		if err != nil || r.Err() != nil {
			b.Fatal(err, r.Err())
		}
	}
	b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "pairs/s")
}
