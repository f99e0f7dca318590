package chunk_test

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/embellama/embellama/internal/chunk"
)

// invariants returns what r breaks of the package's documented
// invariants for text split by tok into windows of size tokens that
// overlap by at most overlap, or nil.
func invariants(text string, tok chunk.Tokenizer, r *chunk.Result, size, overlap int) error {
	all, err := tok(text)
	if err != nil {
		return err
	}
	if !slices.Equal(all, r.Tokens) {
		return fmt.Errorf("Tokens are not the text's tokens")
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	covered := 0 // bytes [0, covered) are checked
	for i, w := range r.Windows {
		if w.Start < 0 || w.End > len(text) || w.Start >= w.End {
			return fmt.Errorf("window %d: offsets [%d, %d) out of the text of %d bytes", i, w.Start, w.End, len(text))
		}
		s := text[w.Start:w.End]
		if utf8.ValidString(text) && !utf8.ValidString(s) {
			fail("window %d: [%d, %d) cuts a character", i, w.Start, w.End)
		}
		if strings.TrimFunc(s, unicode.IsSpace) == "" {
			fail("window %d: %q is white space only", i, s)
		}
		want, err := tok(s)
		if err != nil {
			return err
		}
		if !slices.Equal(want, w.Tokens) {
			fail("window %d: its tokens are not those of its text %q", i, s)
		}
		if len(w.Tokens) == 0 || len(w.Tokens) > size {
			fail("window %d: %d tokens, want 1 to %d", i, len(w.Tokens), size)
		}
		if r.Additive && (w.TokenStart < 0 || w.TokenStart+len(w.Tokens) > len(all) ||
			!slices.Equal(all[w.TokenStart:w.TokenStart+len(w.Tokens)], w.Tokens)) {
			fail("window %d: not at TokenStart %d of the text's tokens", i, w.TokenStart)
		}
		if w.Start > covered && !blank(text[covered:w.Start], tok) {
			fail("bytes [%d, %d) before window %d are in no window", covered, w.Start, i)
		}
		covered = max(covered, w.End)
		if i == 0 {
			if w.Overlap != 0 {
				fail("window 0: overlap %d", w.Overlap)
			}
			continue
		}
		prev := r.Windows[i-1]
		if w.Start <= prev.Start || w.End <= prev.End {
			fail("window %d [%d, %d) does not move past window %d [%d, %d)", i, w.Start, w.End, i-1, prev.Start, prev.End)
			continue
		}
		shared := 0
		if w.Start < prev.End {
			t, err := tok(text[w.Start:prev.End])
			if err != nil {
				return err
			}
			shared = len(t)
		}
		if w.Overlap != shared || shared > overlap {
			fail("window %d: overlap %d, shares %d tokens, at most %d allowed", i, w.Overlap, shared, overlap)
		}
	}
	if !blank(text[covered:], tok) {
		fail("bytes [%d, %d) after the last window are in no window", covered, len(text))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// blank reports whether s is white space only or has no tokens: text a
// window may leave out.
func blank(s string, tok chunk.Tokenizer) bool {
	if strings.TrimFunc(s, unicode.IsSpace) == "" {
		return true
	}
	t, err := tok(s)
	return err == nil && len(t) == 0
}
