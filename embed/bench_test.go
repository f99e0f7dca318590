package embed_test

import (
	"context"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// benchEngine opens the model named by $EMBELLAMA_BENCH_MODEL (a path), or
// the shared bert-mean fixture. $EMBELLAMA_LIB selects another library,
// such as a native build, to compare engines on the same library; the
// other EMBELLAMA_* settings apply too (EMBELLAMA_CONTEXTS, …).
func benchEngine(b *testing.B, cfg embed.Config) *embed.Engine {
	b.Helper()
	require.NoError(b, cfg.ApplyEnv(os.Getenv))
	cfg.ModelPath = os.Getenv("EMBELLAMA_BENCH_MODEL")
	if cfg.ModelPath == "" {
		cfg.ModelPath = testenv.Model(b, "bert-mean.gguf")
	}
	cfg.Library = os.Getenv("EMBELLAMA_LIB")
	if cfg.Library == "" {
		cfg.Library = testenv.Library(b)
	}
	e, err := embed.New(context.Background(), cfg)
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	require.NoError(b, e.Warmup(context.Background(), ""))
	return e
}

// shortTexts returns n texts cycling through the reference set's texts.
func shortTexts(b *testing.B, n int) []string {
	refs := testenv.LoadReference(b, "bert-mean")
	texts := make([]string, n)
	for i := range texts {
		texts[i] = refs[i%len(refs)].Text
	}
	return texts
}

// BenchmarkEmbedBatch embeds 256 short texts per operation in one call.
func BenchmarkEmbedBatch(b *testing.B) {
	e := benchEngine(b, embed.Config{})
	texts := shortTexts(b, 256)
	b.ResetTimer()
	for b.Loop() {
		r, err := e.EmbedBatch(context.Background(), "", texts)
		if err != nil || r.Err() != nil {
			b.Fatal(err, r.Err())
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkEmbedOne embeds one short text per operation. It also reports
// the llama_decode time per text (decode-ns/op) and the engine's share of
// a call beyond it (overhead-%): tokenizing, queueing, filling the batch,
// reading and normalizing the vector, waking the caller.
func BenchmarkEmbedOne(b *testing.B) {
	var decode atomic.Int64
	e := benchEngine(b, embed.Config{EngineConfig: embed.EngineConfig{OnBatch: func(bi embed.BatchInfo) { decode.Add(int64(bi.Decode)) }}})
	texts := shortTexts(b, 16)
	i := 0
	decode.Store(0) // warm-up batches do not count
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Embed(context.Background(), "", texts[i%len(texts)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
	d := float64(decode.Load()) / float64(b.N)
	b.ReportMetric(d, "decode-ns/op")
	b.ReportMetric(100*(float64(b.Elapsed().Nanoseconds())/float64(b.N)-d)/d, "overhead-%")
}
