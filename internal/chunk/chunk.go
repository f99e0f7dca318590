// Package chunk splits a long text into windows of at most N tokens that
// overlap by at most M tokens, cutting preferably at paragraph, then
// sentence, then line ends, and reports each window's exact byte offsets
// in the text. It is pure Go: the tokenizer is a function given by the
// caller.
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
// text, or white space that is many tokens) is cut between characters
// where the tokenizer agrees locally, else where its prefix fits.
//
// # Invariants
//
// For every text, tokenizer, size >= 1 and 0 <= overlap < size, [Split]
// never panics, and its windows satisfy:
//
//   - text[Start:End] is valid UTF-8 wherever text is (cuts fall between
//     characters), Tokens is exactly the tokenizer's output for it, and
//     1 <= len(Tokens) <= size.
//   - No window is white space only.
//   - Start and End both strictly increase from one window to the next:
//     no window lies inside another, and every window adds text.
//   - Every byte of text is in some window, except white space (or
//     characters that tokenize to nothing) that fits in no window with a
//     word: the text between windows, before the first and after the
//     last, is such text only. A text of white space only has no window.
//   - Overlap is the number of tokens of text[Start:previous End] (0 when
//     the windows do not meet) and never exceeds overlap: each window
//     after the first starts at the earliest unit boundary after the
//     previous window's start that shares at most overlap tokens with
//     it, then later if needed to fit a new word.
//   - When Result.Additive, Tokens are Result.Tokens[TokenStart:] for
//     len(Tokens) tokens.
//
// Errors are the tokenizer's, the context's, [ErrInvalidSize] and
// [ErrTooLong]. Every loop checks the context: the tokenizer is never
// called once it is done.
package chunk

import (
	"context"
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
	// ErrTooManyWindows reports a text that makes more windows than
	// Options.MaxWindows: the split stopped there.
	ErrTooManyWindows = errors.New("chunk: too many windows")
)

// Options sets how [SplitWith] cuts a text.
type Options struct {
	// Size is the most tokens of a window, Overlap the most it shares
	// with the one before it (0 <= Overlap < Size).
	Size, Overlap int
	// MaxWindows, when positive, stops the split with
	// [ErrTooManyWindows] as soon as a window past it would be placed:
	// the work and the memory of a split are then bounded by
	// MaxWindows windows whatever the text and the overlap.
	MaxWindows int
}

// Window is one chunk of a text.
type Window struct {
	// Start and End are byte offsets: the chunk's text is text[Start:End].
	Start, End int
	// Tokens are the tokens of text[Start:End] (no special tokens).
	Tokens []int32
	// TokenStart is the index of the window's first token in the tokens
	// of the whole text; meaningful when Result.Additive.
	TokenStart int
	// Overlap is the number of tokens of the text this window shares
	// with the one before it (0 for the first).
	Overlap int
}

// Result is a text's windows.
type Result struct {
	Windows []Window
	// Tokens are the tokens of the whole text.
	Tokens []int32
	// Additive reports that the whole text's tokens are the units'
	// tokens laid end to end, so that a window is the token range
	// [TokenStart, TokenStart+len(Tokens)) of the text.
	Additive bool
}

// Split is [SplitWith] without a limit on the windows.
func Split(ctx context.Context, text string, tok Tokenizer, size, overlap int) (*Result, error) {
	return SplitWith(ctx, text, tok, Options{Size: size, Overlap: overlap})
}

// SplitWith cuts text into windows of at most o.Size tokens that overlap
// by at most o.Overlap tokens, as the package documentation states, and
// at most o.MaxWindows of them when it is positive. An empty text, or
// one of white space only, has no windows. When ctx is done, SplitWith
// stops and returns ctx.Err().
//
// # Memory
//
// A window's Tokens share memory with the units' tokens where they are
// the units' tokens laid end to end (always, for an additive
// tokenizer), and then with Result.Tokens when Result.Additive: the
// windows of a text cost its tokens once, not windows×size. Each
// window's slice is capped at its length; none may be written to.
func SplitWith(ctx context.Context, text string, tok Tokenizer, o Options) (*Result, error) {
	if o.Size < 1 || o.Overlap < 0 || o.Overlap >= o.Size {
		return nil, fmt.Errorf("%w: size %d, overlap %d", ErrInvalidSize, o.Size, o.Overlap)
	}
	tok = guard(ctx, tok)
	res := &Result{}
	var concat []int32
	if text != "" {
		us, err := units(ctx, text, tok, o.Size)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			concat = append(concat, u.tokens...)
		}
		if res.Windows, err = windows(text, tok, us, concat, o); err != nil {
			return nil, err
		}
	}
	// The whole text last: a call that cannot be stopped midway comes
	// only once the windows are done in time.
	all, err := tok(text)
	if err != nil {
		return nil, err
	}
	res.Tokens = all
	if res.Additive = slices.Equal(concat, all); res.Additive && concat != nil {
		res.Tokens = concat // what the windows share
	}
	return res, nil
}

// guard returns tok that first returns ctx's error once ctx is done.
func guard(ctx context.Context, tok Tokenizer) Tokenizer {
	return func(text string) ([]int32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return tok(text)
	}
}
