package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestEmbedChunksMaxInputs is review R1 and R8 scaled down: with
// overlap = size-1 one document makes a chunk per word; the chunks were
// all built (each window's text tokenized again) before WithMaxInputs,
// which counted documents, was checked against them, and the refusal
// said "inputs". WithMaxInputs bounds the chunks of the call, documents
// together, and the refusal names the document and the chunks; nothing
// is evaluated (the progress callback is never called).
func TestEmbedChunksMaxInputs(t *testing.T) {
	ctx := context.Background()
	for _, late := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "late"}[late], func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 512}})
			progress := 0
			opts := []embed.Option{embed.WithMaxInputs(100), embed.WithProgress(func(int, int) { progress++ })}
			co := embed.ChunkOptions{Size: 8, Overlap: 7, Late: late}
			_, err := e.EmbedChunks(ctx, "", []string{strings.Repeat("fox ", 400)}, co, opts...)
			require.ErrorIs(t, err, embed.ErrTooManyInputs)
			assert.Contains(t, err.Error(), "document 0 makes more than 100 chunks")
			assert.Zero(t, progress, "nothing evaluated")

			// Documents together: 60 chunks each, the second one over.
			doc := strings.Repeat("fox ", 67)
			_, err = e.EmbedChunks(ctx, "", []string{doc, doc}, co, opts...)
			require.ErrorIs(t, err, embed.ErrTooManyInputs)
			assert.Contains(t, err.Error(), "document 1 makes more than 40 chunks")

			r, err := e.EmbedChunks(ctx, "", []string{doc}, co, embed.WithMaxInputs(100))
			require.NoError(t, err)
			require.NoError(t, r.Err())
			assert.Len(t, r.Chunks, 60)
		})
	}
}

// TestEmbedChunksUsage is review R21: a chunk's Evaluated counts what
// was evaluated for it, prompt and special tokens included, as
// EmbedBatch's Tokens does for the same text (the chunks route's usage
// said 1 for "fox" on a BERT, /v1/embeddings 7 with the prompt); a late
// call's chunks sum to the document's sequence, evaluated once.
func TestEmbedChunksUsage(t *testing.T) {
	ctx := context.Background()
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 512}}
	cfg.SetPrompt("query", "search query: ")
	e := newEngine(t, cfg)
	for _, c := range []struct {
		name, prompt, doc string
		co                embed.ChunkOptions
	}{
		{"plain", "", "fox", embed.ChunkOptions{Size: 4}},
		{"plain, prompt", "query", "fox", embed.ChunkOptions{Size: 4}},
		{"plain, several chunks", "query", strings.Repeat("fox ", 10), embed.ChunkOptions{Size: 4, Overlap: 1}},
		{"late", "query", strings.Repeat("fox ", 10), embed.ChunkOptions{Size: 4, Overlap: 1, Late: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := []embed.Option{embed.WithPrompt(c.prompt)}
			r, err := e.EmbedChunks(ctx, "", []string{c.doc}, c.co, opts...)
			require.NoError(t, err)
			require.NoError(t, r.Err())
			sum, texts := 0, []string{}
			for _, ch := range r.Chunks {
				sum += ch.Evaluated
				texts = append(texts, c.doc[ch.Start:ch.End])
			}
			if c.co.Late {
				texts = []string{c.doc}
			}
			b, err := e.EmbedBatch(ctx, "", texts, opts...)
			require.NoError(t, err)
			want := 0
			for _, n := range b.Tokens {
				want += n
			}
			assert.Equal(t, want, sum)
			assert.Greater(t, sum, r.Chunks[0].Tokens, "special tokens counted")
		})
	}
}
