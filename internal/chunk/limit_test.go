package chunk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/chunk"
)

// TestSplitMaxWindows is review R1 scaled down: with overlap = size-1
// every window advances by one word, so a document of N words gives ~N
// windows of size tokens each, and all of them were built (each window's
// text tokenized again, twice) before the caller could count them. With
// MaxWindows the split stops once the window after the last allowed one
// would be placed: the tokenizer reads a bounded amount of text, and the
// windows never hold more than MaxWindows×size tokens.
func TestSplitMaxWindows(t *testing.T) {
	const words, size, limit = 5000, 50, 20
	text := strings.Repeat("fox ", words)
	for _, c := range []struct {
		name string
		tok  chunk.Tokenizer
	}{{"pieces", pieces(100)}, {"bpe", bpe(100)}} {
		t.Run(c.name, func(t *testing.T) {
			var bytes int
			count := func(s string) ([]int32, error) {
				bytes += len(s)
				return c.tok(s)
			}
			r, err := chunk.SplitWith(context.Background(), text, count, chunk.Options{Size: size, Overlap: size - 1, MaxWindows: limit})
			require.ErrorIs(t, err, chunk.ErrTooManyWindows)
			assert.True(t, r == nil, "no result")
			// Cutting the text into units reads it a few times (placeCuts
			// tokenizes a little around every cut), then at most three
			// tokenizations of a window's text per window placed: linear
			// in the text, far below the ~2×words×size×4 bytes (2 MB) of
			// the whole split.
			assert.LessOrEqual(t, bytes, 6*len(text)+3*(limit+1)*size*4, "tokenized bytes")

			// Within the limit the result is the unlimited one.
			short := strings.Repeat("fox ", limit)
			got, err := chunk.SplitWith(context.Background(), short, c.tok, chunk.Options{Size: 5, Overlap: 4, MaxWindows: limit})
			require.NoError(t, err)
			want, err := chunk.Split(context.Background(), short, c.tok, 5, 4)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// TestSplitSharesTokens: with an additive tokenizer the windows' tokens
// are the document's, not copies: a split's memory is the document's
// tokens, not windows×size.
func TestSplitSharesTokens(t *testing.T) {
	text := strings.Repeat("fox ", 200)
	r, err := chunk.Split(context.Background(), text, pieces(100), 10, 9)
	require.NoError(t, err)
	require.True(t, r.Additive)
	for _, w := range r.Windows {
		require.NotEmpty(t, w.Tokens)
		assert.Same(t, &r.Tokens[w.TokenStart], &w.Tokens[0], "window at %d copies its tokens", w.Start)
		assert.Equal(t, len(w.Tokens), cap(w.Tokens), "a window's tokens are capped: appending never writes into the next")
	}
}
