// Package chunk splits a long text into windows of at most N tokens that
// overlap by M tokens, cutting preferably at paragraph, then sentence,
// then line ends, and reports each window's exact byte offsets in the
// text. It is pure Go: the tokenizer is a function given by the caller.
//
// # How offsets stay exact
//
// The text is cut into units: a word with the white space in front of it
// (the first unit also holds the text's leading white space, the last its
// trailing white space). Windows are runs of whole units, so a window's
// text is text[Start:End] exactly, and its tokens are the tokenization of
// that text. Tokenizers that pre-split on white space (WordPiece, the
// byte-level BPE of GPT-2/Qwen/Llama 3) tokenize a run of units into the
// concatenation of the units' tokens: [Result.Additive] reports it for
// the text at hand, and then token counts, overlaps and the position of
// each window in the whole text's tokens ([Window.TokenStart]) are exact.
// A unit longer than a window (a long run without spaces, such as CJK
// text) is cut between characters where the tokenizer agrees locally.
package chunk

import (
	"errors"
	"fmt"
	"slices"
)

// Tokenizer returns the tokens of text without special tokens.
type Tokenizer func(text string) ([]int32, error)

// Errors.
var (
	// ErrInvalidSize reports a window size below 1 or an overlap that
	// is negative or not smaller than the size.
	ErrInvalidSize = errors.New("chunk: invalid window size or overlap")
	// ErrTooLong reports a character that alone tokenizes to more tokens
	// than a window holds.
	ErrTooLong = errors.New("chunk: one character is longer than a window")
)

// Window is one chunk of a text.
type Window struct {
	// Start and End are byte offsets: the chunk's text is text[Start:End].
	Start, End int
	// Tokens are the tokens of text[Start:End] (no special tokens).
	Tokens []int32
	// TokenStart is the index of the window's first token in the tokens
	// of the whole text; meaningful when Result.Additive.
	TokenStart int
	// Overlap is the number of tokens this window shares with the one
	// before it (0 for the first).
	Overlap int
}

// Result is a text's windows.
type Result struct {
	Windows []Window
	// Tokens are the tokens of the whole text.
	Tokens []int32
	// Additive reports that the whole text's tokens are the windows'
	// tokens laid end to end without their overlaps, so that a window is
	// the token range [TokenStart, TokenStart+len(Tokens)) of the text.
	Additive bool
}

// Split cuts text into windows of at most size tokens overlapping by
// overlap tokens: each window after the first starts at the latest unit
// boundary that leaves at least overlap tokens shared with the window
// before (exactly overlap when the words there are single tokens). The
// windows cover every byte of text. An empty text has no windows.
func Split(text string, tok Tokenizer, size, overlap int) (*Result, error) {
	if size < 1 || overlap < 0 || overlap >= size {
		return nil, fmt.Errorf("%w: size %d, overlap %d", ErrInvalidSize, size, overlap)
	}
	all, err := tok(text)
	if err != nil {
		return nil, err
	}
	res := &Result{Tokens: all}
	if text == "" {
		res.Additive = true
		return res, nil
	}
	us, err := units(text, tok, size)
	if err != nil {
		return nil, err
	}
	var concat []int32
	for _, u := range us {
		concat = append(concat, u.tokens...)
	}
	res.Additive = slices.Equal(concat, all)
	ws, err := windows(text, tok, us, size, overlap)
	if err != nil {
		return nil, err
	}
	res.Windows = ws
	return res, nil
}

// windows groups units into windows.
func windows(text string, tok Tokenizer, us []unit, size, overlap int) ([]Window, error) {
	// prefix[i] is the number of tokens of units [0, i).
	prefix := make([]int, len(us)+1)
	for i, u := range us {
		prefix[i+1] = prefix[i] + len(u.tokens)
	}
	count := func(a, b int) int { return prefix[b] - prefix[a] }
	var out []Window
	start, shared := 0, 0
	for {
		end := start + 1 // a unit always fits (units cuts them to size)
		for end < len(us) && count(start, end+1) <= size {
			end++
		}
		if end < len(us) {
			end = bestCut(text, us, start, end, func(e int) int { return count(start, e) }, size)
		}
		w, err := window(text, tok, us, start, end, size)
		if err != nil {
			return nil, err
		}
		w.TokenStart, w.Overlap = prefix[start], shared
		out = append(out, w)
		if end == len(us) {
			return out, nil
		}
		next := end
		for next > start+1 && count(next, end) < overlap {
			next--
		}
		start, shared = next, count(next, end)
	}
}

// window builds the window of units [a, b), checking its tokens against
// the size: where the tokenizer is not additive, the text's own tokens
// may outnumber the units' and the window is shortened.
func window(text string, tok Tokenizer, us []unit, a, b, size int) (Window, error) {
	for {
		w := Window{Start: us[a].start, End: us[b-1].end}
		if b == len(us) {
			w.End = len(text)
		}
		t, err := tok(text[w.Start:w.End])
		if err != nil {
			return Window{}, err
		}
		if len(t) <= size || b == a+1 {
			if len(t) > size {
				return Window{}, fmt.Errorf("%w: %d tokens at byte %d", ErrTooLong, len(t), w.Start)
			}
			w.Tokens = t
			return w, nil
		}
		b--
	}
}

// Boundary strengths, strongest last.
const (
	cutWord = iota
	cutLine
	cutSentence
	cutParagraph
)

// bestCut returns the end unit of a window starting at unit start that
// may extend to end: the strongest boundary in the window's second half,
// the latest one of that strength.
func bestCut(text string, us []unit, start, end int, count func(int) int, size int) int {
	best, bestKind := end, strength(text, us, end)
	for e := end - 1; e > start && count(e) >= size/2; e-- {
		if k := strength(text, us, e); k > bestKind {
			best, bestKind = e, k
		}
	}
	return best
}

// strength classifies the boundary in front of unit i.
func strength(text string, us []unit, i int) int {
	ws := text[us[i].gap[0]:us[i].gap[1]]
	nl := 0
	for k := 0; k < len(ws); k++ {
		if ws[k] == '\n' {
			nl++
		}
	}
	switch {
	case nl >= 2:
		return cutParagraph
	case endsSentence(text[us[i-1].word:us[i-1].end]):
		return cutSentence
	case nl == 1:
		return cutLine
	}
	return cutWord
}
