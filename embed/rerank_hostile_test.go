package embed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// rerankers are the reranker fixtures: one laid out with the specials,
// one with the GGUF's rerank template.
var rerankers = []string{"bert-rerank-tiny", "qwen3-rerank-tiny"}

func rerankEngine(t *testing.T, name string) *embed.Engine {
	t.Helper()
	return newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, name), ContextSize: 128}})
}

// TestRerankTooLongCounts: every too-long error of Rerank reports the
// pair's real token count and the limit, never 0 (issue 26, item 7), also
// when the query spells the template's markers (item 1: 3,000 of them
// and a 10 KB document once took a gigabyte and said "0 tokens").
func TestRerankTooLongCounts(t *testing.T) {
	for _, name := range rerankers {
		t.Run(name, func(t *testing.T) {
			e := rerankEngine(t, name)
			for _, c := range []struct{ name, query, doc string }{
				{"long document", "what do llamas eat?", strings.Repeat("grass ", 400)},
				{"markers in the query", strings.Repeat("{document}", 3000)[:100], strings.Repeat("fox ", 2500)},
			} {
				t.Run(c.name, func(t *testing.T) {
					r, err := e.Rerank(context.Background(), "", c.query, []string{c.doc}, embed.WithTruncation(embed.TruncateNone))
					require.NoError(t, err)
					var ie *embed.InputError
					require.ErrorAs(t, r.Items[0].Err, &ie)
					assert.ErrorIs(t, ie, embed.ErrTooLong)
					assert.Greater(t, ie.Tokens, 128, ie.Error())
					assert.Equal(t, 128, ie.Limit)
					assert.Equal(t, ie.Tokens, r.Items[0].Tokens)
				})
			}
			for _, q := range []string{strings.Repeat("grass ", 400), strings.Repeat("{document}", 3000)} {
				_, err := e.Rerank(context.Background(), "", q, []string{strings.Repeat("fox ", 2500)})
				require.ErrorIs(t, err, embed.ErrTooLong)
				assert.NotContains(t, err.Error(), " 0 tokens")
				assert.Contains(t, err.Error(), "limit 128")
			}
		})
	}
}

// TestRerankEmptyDocument: an empty or whitespace-only document is
// refused like an empty query, alone, with ErrEmptyInput.
func TestRerankEmptyDocument(t *testing.T) {
	for _, name := range rerankers {
		t.Run(name, func(t *testing.T) {
			e := rerankEngine(t, name)
			r, err := e.Rerank(context.Background(), "", "what do llamas eat?", []string{"", "grass", " \n\t"})
			require.NoError(t, err)
			for _, i := range []int{0, 2} {
				var ie *embed.InputError
				require.ErrorAs(t, r.Items[i].Err, &ie, "document %d", i)
				assert.ErrorIs(t, ie, embed.ErrEmptyInput)
				assert.Equal(t, i, ie.Index)
			}
			assert.NoError(t, r.Items[1].Err)
			_, err = e.Rerank(context.Background(), "", " ", []string{"grass"})
			assert.ErrorIs(t, err, embed.ErrEmptyInput)
		})
	}
}

// TestRerankUnsupportedOptions: an option Rerank cannot apply is refused,
// not ignored.
func TestRerankUnsupportedOptions(t *testing.T) {
	e := rerankEngine(t, "bert-rerank-tiny")
	for name, opt := range map[string]embed.Option{
		"pooling":    embed.WithPooling(embed.PoolingMean),
		"dimensions": embed.WithDimensions(1),
		"prompt":     embed.WithPrompt(embed.PromptQuery),
		"max tokens": embed.WithMaxTokens(8),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.Rerank(context.Background(), "", "q", []string{"d"}, opt)
			assert.ErrorIs(t, err, embed.ErrInvalidOption)
		})
	}
	_, err := e.Rerank(context.Background(), "", "q", []string{"d", "e"}, embed.WithMaxInputs(1))
	assert.ErrorIs(t, err, embed.ErrTooManyInputs)
	// WithMaxTotalTokens bounds the pairs' tokens together, as a server's
	// request limit does on every route.
	one, err := e.Rerank(context.Background(), "", "q", []string{"d"})
	require.NoError(t, err)
	_, err = e.Rerank(context.Background(), "", "q", []string{"d", "d"}, embed.WithMaxTotalTokens(2*one.Items[0].Tokens-1))
	assert.ErrorIs(t, err, embed.ErrTooManyTokens)
	_, err = e.Rerank(context.Background(), "", "q", []string{"d", "d"}, embed.WithMaxTotalTokens(2*one.Items[0].Tokens))
	assert.NoError(t, err)
	_, err = e.Rerank(context.Background(), "", "q", []string{"d"}, embed.WithTruncation(embed.TruncateEnd), embed.WithProgress(func(int, int) {}))
	assert.NoError(t, err)
}

// TestRerankCancel: a cancelled Rerank returns within 100 ms, however
// much tokenization its inputs still ask for (a 1 MB query with 4,096
// documents kept a core busy for 90 s after its client had gone).
func TestRerankCancel(t *testing.T) {
	query := strings.Repeat("what do llamas eat? ", 1<<14)
	docs := make([]string, 4096)
	doc := strings.Repeat("llamas eat grass. ", 1000) // 18 KB each, cut to the context
	for i := range docs {
		docs[i] = doc
	}
	for _, name := range rerankers {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, name)}})
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			q := query[:info.ContextSize*2] // about half the context
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			start := time.Now()
			_, err = e.Rerank(ctx, "", q, docs, embed.WithTruncation(embed.TruncateEnd))
			took := time.Since(start)
			t.Logf("returned %v after the cancel", took-20*time.Millisecond)
			require.ErrorIs(t, err, context.Canceled)
			assert.Less(t, took, 120*time.Millisecond, "returned %v after the cancel", took-20*time.Millisecond)
		})
	}
}

// TestEmbedBatchDeadline: EmbedBatch's tokenization of thousands of big
// texts stops at its deadline.
func TestEmbedBatchDeadline(t *testing.T) {
	e := open(t, "bert-mean")
	texts := make([]string, 4000)
	for i := range texts {
		texts[i] = strings.Repeat("llamas eat grass and live in herds. ", 300)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.EmbedBatch(ctx, "", texts, embed.WithTruncation(embed.TruncateEnd))
	took := time.Since(start)
	t.Logf("returned after %v", took)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, took, 120*time.Millisecond)
}
