package chunk

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// windows groups units into windows (see the package's invariants), at
// most o.MaxWindows of them when it is positive; concat is the units'
// tokens laid end to end. Its loops call tok, which stops once the
// context is done.
func windows(text string, tok Tokenizer, us []unit, concat []int32, o Options) ([]Window, error) {
	// prefix[i] is the number of tokens of units [0, i).
	prefix := make([]int, len(us)+1)
	for i, u := range us {
		prefix[i+1] = prefix[i] + len(u.tokens)
	}
	g := grouping{text: text, tok: tok, us: us, prefix: prefix, concat: concat, size: o.Size, overlap: o.Overlap}
	var out []Window
	first, last := -1, 0 // the previous window is units [first, last)
	for {
		c := last // the first unit with content not in a window yet
		for c < len(us) && us[c].blank() {
			c++
		}
		if c == len(us) {
			return out, nil // only white space is left: it fits nowhere
		}
		if o.MaxWindows > 0 && len(out) == o.MaxWindows {
			return nil, fmt.Errorf("%w: more than %d", ErrTooManyWindows, o.MaxWindows)
		}
		s := 0
		if first >= 0 {
			// The earliest start after the previous one that shares at
			// most overlap tokens.
			s = first + 1 + sort.Search(last-first, func(k int) bool { return g.count(first+1+k, last) <= o.Overlap })
		}
		w, s, e, err := g.place(s, c, last)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
		first, last = s, e
	}
}

// grouping holds what windows needs to place one window.
type grouping struct {
	text          string
	tok           Tokenizer
	us            []unit
	prefix        []int
	concat        []int32 // the units' tokens laid end to end
	size, overlap int
}

// count returns the tokens of units [a, b).
func (g *grouping) count(a, b int) int { return g.prefix[b] - g.prefix[a] }

// place returns the window of units [s, e) that holds unit c, starting
// at s or as little after it as makes the window fit and its overlap
// with units [.., last) at most g.overlap tokens.
func (g *grouping) place(s, c, last int) (Window, int, int, error) {
	us := g.us
	for ; s <= c; s++ {
		if g.count(s, c+1) > g.size {
			continue
		}
		// The most units that fit, then the best boundary among them.
		e := s + sort.Search(len(us)-s+1, func(k int) bool { return g.count(s, s+k) > g.size }) - 1
		if e < len(us) {
			e = bestCut(g.text, us, s, c+1, e, g.count, g.size)
		}
		w, e, err := g.exact(s, c+1, e)
		if err != nil {
			return Window{}, 0, 0, err
		}
		if e == 0 {
			continue // the text's own tokens do not fit from s
		}
		if s < last {
			shared, err := g.tok(g.text[us[s].start:us[last-1].end])
			if err != nil {
				return Window{}, 0, 0, err
			}
			if len(shared) > g.overlap {
				continue
			}
			w.Overlap = len(shared)
		}
		w.TokenStart = g.prefix[s]
		return w, s, e, nil
	}
	// Unreachable: unit c alone is at most size tokens (units cuts them).
	return Window{}, 0, 0, fmt.Errorf("%w: no window fits at byte %d", ErrTooLong, us[c].start)
}

// exact returns the window of units [s, e), shortened down to [s, min)
// while its text's own tokens outnumber the size (where the tokenizer is
// not additive, they may outnumber the units'), and its end unit; end 0
// when even [s, min) does not fit.
func (g *grouping) exact(s, minEnd, e int) (Window, int, error) {
	for ; e >= minEnd; e-- {
		w := Window{Start: g.us[s].start, End: g.us[e-1].end}
		t, err := g.tok(g.text[w.Start:w.End])
		if err != nil {
			return Window{}, 0, err
		}
		if len(t) <= g.size && len(t) > 0 {
			w.Tokens = t
			if a, b := g.prefix[s], g.prefix[e]; slices.Equal(t, g.concat[a:b]) {
				w.Tokens = g.concat[a:b:b] // shared, not a copy per window
			}
			return w, e, nil
		}
	}
	return Window{}, 0, nil
}

// Boundary strengths, strongest last.
const (
	cutInside = iota // between characters of a word
	cutWord
	cutLine
	cutSentence
	cutParagraph
)

// bestCut returns the end unit of a window of units [start, end) that
// must hold units [start, lo): the strongest boundary in the window's
// second half, the latest one of that strength.
func bestCut(text string, us []unit, start, lo, end int, count func(int, int) int, size int) int {
	best, bestKind := end, strength(text, us[end].start)
	for e := end - 1; e >= lo && count(start, e) >= size/2; e-- {
		if k := strength(text, us[e].start); k > bestKind {
			best, bestKind = e, k
		}
	}
	return best
}

// near bounds how far strength looks on each side of a cut, so that
// classifying every cut stays linear in the text.
const near = 64

// strength classifies a cut at byte off by the white space around it and
// the word before that.
func strength(text string, off int) int {
	l, r := off, off
	for l > 0 && off-l < near {
		c, n := utf8.DecodeLastRuneInString(text[:l])
		if !unicode.IsSpace(c) {
			break
		}
		l -= n
	}
	for r < len(text) && r-off < near {
		c, n := utf8.DecodeRuneInString(text[r:])
		if !unicode.IsSpace(c) {
			break
		}
		r += n
	}
	if l == r {
		return cutInside
	}
	nl := strings.Count(text[l:r], "\n")
	switch {
	case nl >= 2:
		return cutParagraph
	case l > 0 && endsSentence(text[max(0, l-near):l]):
		return cutSentence
	case nl == 1:
		return cutLine
	}
	return cutWord
}

// endsSentence reports whether a word ends a sentence: its last
// character, past closing quotes and brackets, is a full stop, question
// or exclamation mark (Latin or CJK) or an ellipsis.
func endsSentence(word string) bool {
	w := strings.TrimRightFunc(word, func(r rune) bool {
		return strings.ContainsRune(`"')]}»”’`, r)
	})
	r, _ := utf8.DecodeLastRuneInString(w)
	return strings.ContainsRune(".!?。！？…", r)
}
