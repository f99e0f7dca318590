package chunk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/chunk"
)

var ctx = context.Background()

func TestSplit(t *testing.T) {
	words := strings.Repeat("alpha beta gamma delta epsilon zeta eta theta iota kappa ", 20)
	sentences := strings.Repeat("One two three four five. Six seven eight nine ten eleven twelve. ", 10)
	paragraphs := strings.Repeat("a b c d e f g h.\n\ni j k l m n o p q r s t u v w x y z a b c d e. ", 6)
	mixed := "  Ünïcödé wörds, naïve café.\tÉté à Paris!\n" + strings.Repeat("日本語のテキスト。", 30) + " done  \n"
	for _, c := range []struct {
		name          string
		text          string
		tok           chunk.Tokenizer
		size, overlap int
		exactOverlap  bool
	}{
		{"single-token words", words, pieces(100), 16, 4, true},
		{"no overlap", words, pieces(100), 16, 0, true},
		{"multi-token words", words, pieces(2), 16, 5, false},
		{"sentences", sentences, pieces(100), 12, 3, true},
		{"paragraphs", paragraphs, pieces(100), 40, 8, false},
		{"utf-8 and cjk", mixed, pieces(3), 10, 2, false},
		{"one window", "short text here", pieces(100), 50, 10, true},
		{"window of one token", words, pieces(100), 1, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := chunk.Split(ctx, c.text, c.tok, c.size, c.overlap)
			require.NoError(t, err)
			assert.True(t, r.Additive)
			require.NoError(t, invariants(c.text, c.tok, r, c.size, c.overlap))
			for i, w := range r.Windows[1:] {
				if c.exactOverlap {
					assert.Equal(t, c.overlap, w.Overlap, "window %d", i+1)
				}
			}
		})
	}
}

func TestSplitPrefersSentenceEnds(t *testing.T) {
	text := strings.Repeat("One two three four five. Six seven eight nine ten eleven twelve. ", 10)
	r, err := chunk.Split(ctx, text, pieces(100), 15, 0)
	require.NoError(t, err)
	for i, w := range r.Windows[:len(r.Windows)-1] {
		assert.True(t, strings.HasSuffix(text[w.Start:w.End], "."), "window %d ends a sentence: %q", i, text[w.Start:w.End])
	}
}

func TestSplitPrefersParagraphs(t *testing.T) {
	text := "a b c. d e f g h i j k l.\n\nm n o. p q r s t u v w x y z. a b c d e f g h i j k"
	r, err := chunk.Split(ctx, text, pieces(100), 20, 0)
	require.NoError(t, err)
	require.Greater(t, len(r.Windows), 1)
	assert.Equal(t, "a b c. d e f g h i j k l.", text[r.Windows[0].Start:r.Windows[0].End])
}

func TestSplitErrors(t *testing.T) {
	for _, c := range []struct{ size, overlap int }{{0, 0}, {-1, 0}, {4, 4}, {4, -1}} {
		_, err := chunk.Split(ctx, "some text", pieces(1), c.size, c.overlap)
		assert.ErrorIs(t, err, chunk.ErrInvalidSize, "%+v", c)
	}
	r, err := chunk.Split(ctx, "", pieces(1), 4, 1)
	require.NoError(t, err)
	assert.Empty(t, r.Windows)
}

// TestSplitNotAdditive uses a tokenizer that ends every text with a
// token of its own, so that no cut ever tokenizes as the whole: windows
// are still exact and within the size, and Additive says the rest is not.
func TestSplitNotAdditive(t *testing.T) {
	base := pieces(100)
	prefix := func(text string) ([]int32, error) {
		t, err := base(text)
		return append(t, -1), err
	}
	text := strings.Repeat("word ", 40)
	r, err := chunk.Split(ctx, text, prefix, 8, 2)
	require.NoError(t, err)
	assert.False(t, r.Additive)
	require.NoError(t, invariants(text, prefix, r, 8, 2))
}

// TestSplitRegressions holds inputs that broke an invariant once.
func TestSplitRegressions(t *testing.T) {
	for _, c := range []struct {
		name          string
		text          string
		tok           chunk.Tokenizer
		size, overlap int
	}{
		// White space that is a token of its own, in a unit longer than
		// a window: the cut fell inside the white space and strength
		// sliced text[word:end] with word > end (issue 26: a panic).
		{"white space token in a long unit", "a \n b", bpe(2), 1, 0},
		{"white space only window", "a \n b", bpe(4), 1, 0},
		// The next window started inside the previous one and cut at the
		// same sentence end: " eat grass." then " grass." (issue 26).
		{"window inside its neighbour", "Llamas eat grass. They live in herds.", bpe(3), 4, 1},
		{"window inside its neighbour, spm", "Llamas eat grass. They live in herds.", spm, 8, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := chunk.Split(ctx, c.text, c.tok, c.size, c.overlap)
			require.NoError(t, err)
			require.NoError(t, invariants(c.text, c.tok, r, c.size, c.overlap))
		})
	}
}
