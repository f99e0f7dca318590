package chunk_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/chunk"
)

// pieces is a WordPiece-like tokenizer: white space separates words, a
// word is one token per piece of at most n characters, and every CJK
// character is a token of its own.
func pieces(n int) chunk.Tokenizer {
	return func(text string) ([]int32, error) {
		var out []int32
		for _, w := range strings.FieldsFunc(text, unicode.IsSpace) {
			run := 0
			for _, r := range w {
				if unicode.Is(unicode.Han, r) {
					out = append(out, int32(r))
					run = 0
					continue
				}
				if run%n == 0 {
					out = append(out, int32(r))
				}
				run++
			}
		}
		return out, nil
	}
}

// CheckInvariants asserts what every split must satisfy.
func checkInvariants(t *testing.T, text string, tok chunk.Tokenizer, r *chunk.Result, size, overlap int) {
	t.Helper()
	require.NotEmpty(t, r.Windows)
	ws := r.Windows
	assert.Equal(t, 0, ws[0].Start, "the first window starts at the text")
	assert.Equal(t, len(text), ws[len(ws)-1].End, "the last window ends at the text's end")
	for i, w := range ws {
		assert.True(t, utf8.ValidString(text[w.Start:w.End]), "window %d cuts a character", i)
		want, err := tok(text[w.Start:w.End])
		require.NoError(t, err)
		assert.Equal(t, want, w.Tokens, "window %d: its tokens are those of its text", i)
		assert.LessOrEqual(t, len(w.Tokens), size, "window %d", i)
		if r.Additive {
			assert.Equal(t, r.Tokens[w.TokenStart:w.TokenStart+len(w.Tokens)], w.Tokens, "window %d in the text's tokens", i)
		}
		if i == 0 {
			assert.Zero(t, w.Overlap)
			continue
		}
		prev := ws[i-1]
		assert.Greater(t, w.Start, prev.Start, "window %d makes progress", i)
		assert.LessOrEqual(t, w.Start, prev.End, "no byte between windows %d and %d", i-1, i)
		if !r.Additive {
			continue
		}
		shared, err := tok(text[w.Start:prev.End])
		require.NoError(t, err)
		assert.Equal(t, len(shared), w.Overlap, "window %d: overlap counted in tokens", i)
		if r.Additive {
			assert.Equal(t, prev.TokenStart+len(prev.Tokens)-w.Overlap, w.TokenStart, "window %d", i)
		}
	}
}

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
			r, err := chunk.Split(c.text, c.tok, c.size, c.overlap)
			require.NoError(t, err)
			assert.True(t, r.Additive)
			checkInvariants(t, c.text, c.tok, r, c.size, c.overlap)
			for i, w := range r.Windows[1:] {
				if c.exactOverlap {
					assert.Equal(t, c.overlap, w.Overlap, "window %d", i+1)
				} else {
					assert.GreaterOrEqual(t, w.Overlap, min(c.overlap, len(r.Windows[i].Tokens)-1), "window %d", i+1)
				}
			}
		})
	}
}

func TestSplitPrefersSentenceEnds(t *testing.T) {
	text := strings.Repeat("One two three four five. Six seven eight nine ten eleven twelve. ", 10)
	r, err := chunk.Split(text, pieces(100), 15, 0)
	require.NoError(t, err)
	for i, w := range r.Windows[:len(r.Windows)-1] {
		assert.True(t, strings.HasSuffix(text[w.Start:w.End], "."), "window %d ends a sentence: %q", i, text[w.Start:w.End])
	}
}

func TestSplitPrefersParagraphs(t *testing.T) {
	text := "a b c. d e f g h i j k l.\n\nm n o. p q r s t u v w x y z. a b c d e f g h i j k"
	r, err := chunk.Split(text, pieces(100), 20, 0)
	require.NoError(t, err)
	require.Greater(t, len(r.Windows), 1)
	assert.Equal(t, "a b c. d e f g h i j k l.", text[r.Windows[0].Start:r.Windows[0].End])
}

func TestSplitErrors(t *testing.T) {
	for _, c := range []struct{ size, overlap int }{{0, 0}, {-1, 0}, {4, 4}, {4, -1}} {
		_, err := chunk.Split("some text", pieces(1), c.size, c.overlap)
		assert.ErrorIs(t, err, chunk.ErrInvalidSize, "%+v", c)
	}
	r, err := chunk.Split("", pieces(1), 4, 1)
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
	r, err := chunk.Split(text, prefix, 8, 2)
	require.NoError(t, err)
	assert.False(t, r.Additive)
	checkInvariants(t, text, prefix, r, 8, 2)
}
