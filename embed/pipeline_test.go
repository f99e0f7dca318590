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

// TestLateChunksShareDecodes: the documents of one late-chunking call
// are one job, packed together like the texts of EmbedBatch, not one
// decode per document.
func TestLateChunksShareDecodes(t *testing.T) {
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 512,
		Contexts: 1, BatchTarget: 512, MaxSequences: 8}})
	docs := []string{"Llamas eat grass. They live in herds.", "The giant panda eats bamboo.",
		"Embellama turns text into vectors.", "Tokyo is the capital of Japan."}
	before, err := e.Stats("")
	require.NoError(t, err)
	r, err := e.EmbedChunks(context.Background(), "", docs, embed.ChunkOptions{Size: 4, Overlap: 1, Late: true})
	require.NoError(t, err)
	require.NoError(t, r.Err())
	after, err := e.Stats("")
	require.NoError(t, err)
	assert.Equal(t, uint64(len(docs)), after.Sequences-before.Sequences, "one sequence per document")
	assert.Equal(t, uint64(1), after.Batches-before.Batches, "the documents share one decode")
	for i := range docs {
		alone, err := e.EmbedChunks(context.Background(), "", docs[i:i+1], embed.ChunkOptions{Size: 4, Overlap: 1, Late: true})
		require.NoError(t, err)
		require.NoError(t, alone.Err())
		var packed []embed.Chunk
		for _, c := range r.Chunks {
			if c.Doc == i {
				packed = append(packed, c)
			}
		}
		require.Len(t, packed, len(alone.Chunks), "document %d", i)
		for k, c := range alone.Chunks {
			assert.Equal(t, c.Start, packed[k].Start)
			assert.GreaterOrEqual(t, embed.Cosine(c.Vector, packed[k].Vector), 0.9999, "document %d chunk %d: packed as alone", i, k)
		}
	}
}

// TestUnsupportedOptions: each operation refuses an option it cannot
// apply with ErrInvalidOption instead of ignoring it, and takes those it
// applies.
func TestUnsupportedOptions(t *testing.T) {
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 128}})
	ctx := context.Background()
	m := e.Model("")
	doc := []string{"Llamas eat grass. They live in herds."}
	plain, late := embed.ChunkOptions{Size: 4}, embed.ChunkOptions{Size: 4, Late: true}
	for _, tt := range []struct {
		name string
		call func(opt embed.Option) error
		bad  map[string]embed.Option
		good []embed.Option
	}{
		{
			name: "EmbedTokens",
			call: func(opt embed.Option) error { _, err := m.EmbedTokens(ctx, "hello", opt); return err },
			bad:  map[string]embed.Option{"pooling": embed.WithPooling(embed.PoolingCLS)},
			good: []embed.Option{embed.WithNormalization(embed.NormalizeNone), embed.WithDimensions(4), embed.WithMaxTokens(8)},
		},
		{
			name: "EmbedChunks",
			call: func(opt embed.Option) error { _, err := m.EmbedChunks(ctx, doc, plain, opt); return err },
			bad:  map[string]embed.Option{"truncation": embed.WithTruncation(embed.TruncateEnd)},
			good: []embed.Option{embed.WithPooling(embed.PoolingCLS), embed.WithDimensions(4), embed.WithMaxInputs(100)},
		},
		{
			name: "late EmbedChunks",
			call: func(opt embed.Option) error { _, err := m.EmbedChunks(ctx, doc, late, opt); return err },
			bad: map[string]embed.Option{"pooling": embed.WithPooling(embed.PoolingCLS),
				"truncation": embed.WithTruncation(embed.TruncateEnd)},
			good: []embed.Option{embed.WithDimensions(4), embed.WithMaxInputs(100), embed.WithMaxTokens(64)},
		},
	} {
		for name, opt := range tt.bad {
			t.Run(tt.name+" "+name, func(t *testing.T) {
				err := tt.call(opt)
				require.ErrorIs(t, err, embed.ErrInvalidOption)
				assert.Contains(t, err.Error(), name)
			})
		}
		for _, opt := range tt.good {
			assert.NoError(t, tt.call(opt), tt.name)
		}
	}
}

// TestChunkLimits: WithMaxInputs bounds a chunking call's documents and
// its chunks together (the vectors of the call: the server's max inputs
// bounds the vectors of a response; review R1/R8), and WithMaxTokens
// bounds a late document as it bounds a plain chunk.
func TestChunkLimits(t *testing.T) {
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 128}})
	ctx := context.Background()
	doc := strings.Repeat("Llamas eat grass. ", 8)
	for _, late := range []bool{false, true} {
		// WithMaxInputs bounds the chunks (the call's vectors), not only
		// the documents (review R1/R8).
		r, err := e.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 8, Late: late})
		require.NoError(t, err, "late %v", late)
		require.NoError(t, r.Err())
		n := len(r.Chunks)
		assert.Greater(t, n, 1)
		_, err = e.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 8, Late: late}, embed.WithMaxInputs(n))
		require.NoError(t, err, "late %v", late)
		_, err = e.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 8, Late: late}, embed.WithMaxInputs(n-1))
		assert.ErrorIs(t, err, embed.ErrTooManyInputs, "late %v", late)
		_, err = e.EmbedChunks(ctx, "", []string{doc, doc}, embed.ChunkOptions{Size: 8, Late: late}, embed.WithMaxInputs(1))
		assert.ErrorIs(t, err, embed.ErrTooManyInputs, "late %v", late)
	}
	r, err := e.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 8, Late: true}, embed.WithMaxTokens(20))
	require.NoError(t, err)
	var ie *embed.InputError
	require.ErrorAs(t, r.Errors[0], &ie)
	assert.ErrorIs(t, ie, embed.ErrTooLong)
	assert.Equal(t, 20, ie.Limit)
	assert.Greater(t, ie.Tokens, 20)
}
