package embed_test

import (
	"context"
	"math"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/rss"
	"github.com/embellama/embellama/internal/testenv"
)

// TestContextMemoryBound embeds one text that fills the context and
// checks that the process's resident memory afterwards is within what the
// engine reports as a context's bound (ModelInfo.ContextMemory): on a
// decoder with a 151,936-token vocabulary (qwen3-last), a context kept
// 4.6 GiB after one 4,096-token text, a vocabulary-sized row of logits
// per token that embedding never reads; and on an encoder (bert-mean).
func TestContextMemoryBound(t *testing.T) {
	for _, name := range []string{"qwen3-last", "bert-mean"} {
		t.Run(name, func(t *testing.T) {
			e := open(t, name, embed.Config{ModelConfig: embed.ModelConfig{Contexts: 1}})
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			debug.FreeOSMemory()
			before := rss.Current()
			text := strings.Repeat("llamas eat grass and live in herds. ", info.ContextSize)
			_, err = e.Embed(context.Background(), "", text, embed.WithTruncation(embed.TruncateEnd))
			require.NoError(t, err)
			debug.FreeOSMemory()
			after := rss.Current()
			t.Logf("context %d tokens, ubatch %d, vocabulary %d: RSS %d MiB before, %d MiB after one long input (peak %d MiB); bound %d MiB",
				info.ContextSize, info.UBatchSize, info.VocabSize, before>>20, after>>20, rss.Peak()>>20, info.ContextMemory>>20)
			assert.LessOrEqual(t, after-before, info.ContextMemory, "growth after one long input is within the context bound")
		})
	}
}

// TestSplitDecodeMatchesOneCall: a decoder's long texts go to llama.cpp
// in calls of one small ubatch (to bound its vocabulary-sized buffers);
// every pooling, per-token vectors and rerank scores must equal those of
// the whole batch in one call (UBatchSize = BatchSize), packed with a
// short text so that a call boundary falls inside and between texts.
func TestSplitDecodeMatchesOneCall(t *testing.T) {
	long := strings.Repeat("llamas eat grass and live in herds. ", 60) // about 500 tokens
	texts := []string{"a short one", long, "another short text", long[:400]}
	bg := context.Background()
	for _, p := range []embed.Pooling{embed.PoolingLast, embed.PoolingMean, embed.PoolingCLS} {
		t.Run(p.String(), func(t *testing.T) {
			split := open(t, "qwen3-last", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 1024, Contexts: 1}})
			info, err := split.ModelInfo("")
			require.NoError(t, err)
			require.Less(t, info.UBatchSize, 500, "the long text spans calls")
			whole := open(t, "qwen3-last", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 1024, Contexts: 1, UBatchSize: 1024}})
			a, err := split.EmbedBatch(bg, "", texts, embed.WithPooling(p))
			require.NoError(t, err)
			b, err := whole.EmbedBatch(bg, "", texts, embed.WithPooling(p))
			require.NoError(t, err)
			for i := range texts {
				assert.InDeltaSlice(t, b.Vectors[i], a.Vectors[i], 1e-3, "text %d", i)
			}
			if p != embed.PoolingLast {
				return
			}
			ta, err := split.EmbedTokens(bg, "", long)
			require.NoError(t, err)
			tb, err := whole.EmbedTokens(bg, "", long)
			require.NoError(t, err)
			require.Len(t, ta, len(tb))
			// Other batch shapes, other kernels: F16 rounding moves single
			// components by about 1e-3 (see packedTolerance).
			for i := range tb {
				assert.InDelta(t, 1, cosine(ta[i], tb[i]), 1e-4, "token %d", i)
			}
		})
	}
	t.Run("rerank", func(t *testing.T) {
		cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "qwen3-rerank-tiny"), ContextSize: 1024, Contexts: 1}}
		split := newEngine(t, cfg)
		cfg.UBatchSize = 1024
		whole := newEngine(t, cfg)
		docs := []string{"grass", long, "herds", long[:300]}
		a, err := split.Rerank(bg, "", "what do llamas eat?", docs)
		require.NoError(t, err)
		b, err := whole.Rerank(bg, "", "what do llamas eat?", docs)
		require.NoError(t, err)
		for i := range docs {
			assert.InDelta(t, b.Items[i].Score, a.Items[i].Score, 1e-4, "document %d", i)
		}
	})
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestCanceledDecodeFreesWorker: a call cancelled while its long text is
// being evaluated frees the model's worker within the ubatch in flight:
// the next call does not wait for the rest of the abandoned text.
func TestCanceledDecodeFreesWorker(t *testing.T) {
	e := open(t, "qwen3-last", embed.Config{ModelConfig: embed.ModelConfig{Contexts: 1, Threads: 1}})
	info, err := e.ModelInfo("")
	require.NoError(t, err)
	long := strings.Repeat("llamas eat grass and live in herds. ", info.ContextSize)
	bg := context.Background()
	start := time.Now()
	_, err = e.Embed(bg, "", long, embed.WithTruncation(embed.TruncateEnd))
	require.NoError(t, err)
	whole := time.Since(start)
	ids, err := e.Tokenize("", long)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(bg, whole/10) // tokens given: the decode is under way
	defer cancel()
	_, err = e.EmbedBatchTokens(ctx, "", [][]int32{ids[:info.ContextSize]})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	start = time.Now()
	_, err = e.Embed(bg, "", "a short text")
	require.NoError(t, err)
	next := time.Since(start)
	t.Logf("the long text takes %v; the call after a cancel %v", whole, next)
	assert.Less(t, next, whole/4, "the next call waited for the abandoned text")
}
