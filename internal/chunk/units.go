package chunk

import (
	"context"
	"slices"
	"unicode"
	"unicode/utf8"
)

// unit is text[start:end]: white space in [start, word), then a word
// (the last unit also holds the text's trailing white space; a piece of
// a long unit may be white space only, then word == end). Units tile the
// text.
type unit struct {
	start, word, end int
	tokens           []int32
}

// blank reports whether a unit has no content: white space only, or no
// token at all. A window is never made of blank units alone.
func (u unit) blank() bool { return u.word == u.end || len(u.tokens) == 0 }

// units cuts text into units of at most size tokens each.
func units(ctx context.Context, text string, tok Tokenizer, size int) ([]unit, error) {
	raw, err := words(ctx, text)
	if err != nil {
		return nil, err
	}
	if raw, err = placeCuts(text, tok, raw); err != nil {
		return nil, err
	}
	var out []unit
	for _, u := range raw {
		t, err := tok(text[u.start:u.end])
		if err != nil {
			return nil, err
		}
		u.tokens = t
		if len(t) <= size {
			out = append(out, u)
			continue
		}
		parts, err := splitLong(text, tok, u, size)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

// words cuts text into white space and word pairs, checking ctx every
// few thousand.
func words(ctx context.Context, text string) ([]unit, error) {
	var raw []unit
	i := 0
	for i < len(text) {
		if len(raw)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		u := unit{start: i}
		i = skip(text, i, len(text), true)
		u.word = i
		i = skip(text, i, len(text), false)
		u.end = i
		raw = append(raw, u)
	}
	// Trailing white space joins the last word (or is the only unit).
	if n := len(raw); n > 1 && raw[n-1].word == raw[n-1].end {
		raw[n-2].end = raw[n-1].end
		raw = raw[:n-1]
	}
	return raw, nil
}

// skip returns the offset of the first character in text[i:end] that is
// not white space (space true) or is (space false), or end.
func skip(text string, i, end int, space bool) int {
	for i < end {
		r, n := utf8.DecodeRuneInString(text[i:end])
		if unicode.IsSpace(r) != space {
			break
		}
		i += n
	}
	return i
}

// placeCuts moves each cut between units within the white space there to
// the first place where the tokenizer agrees locally (byte-level BPE
// merges "!\n\n" into one token, so the newlines go with the word before
// them), and joins units where no place agrees.
func placeCuts(text string, tok Tokenizer, raw []unit) ([]unit, error) {
	out := raw[:1]
	for _, u := range raw[1:] {
		prev := &out[len(out)-1]
		placed := false
		for q := u.start; q <= u.word; {
			ok, err := agrees(text, tok, max(prev.word, q-around), q, min(u.end, q+around))
			if err != nil {
				return nil, err
			}
			if ok {
				prev.end, u.start, placed = q, q, true
				break
			}
			if q == u.word {
				break
			}
			_, n := utf8.DecodeRuneInString(text[q:])
			q += n
		}
		if !placed {
			prev.end = u.end
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// window of text on each side of a candidate cut inside a long unit.
const around = 24

// splitLong cuts a unit longer than a window between characters where
// the tokenizer agrees locally (tokens of the text around the cut are the
// tokens of each side laid end to end), then cuts any piece still too
// long after its longest prefix that fits, again and again.
func splitLong(text string, tok Tokenizer, u unit, size int) ([]unit, error) {
	cuts := []int{u.start}
	for q := u.word; q < u.end; {
		_, n := utf8.DecodeRuneInString(text[q:])
		q += n
		if q >= u.end {
			break
		}
		ok, err := agrees(text, tok, max(u.word, q-around), q, min(u.end, q+around))
		if err != nil {
			return nil, err
		}
		if ok {
			cuts = append(cuts, q)
		}
	}
	cuts = append(cuts, u.end)
	var out []unit
	for k := 0; k+1 < len(cuts); k++ {
		a, b := cuts[k], cuts[k+1]
		if (b-a)/8 <= size { // short: one call says whether it fits (no size*8: size may be math.MaxInt)
			t, err := tok(text[a:b])
			if err != nil {
				return nil, err
			}
			if len(t) <= size {
				out = append(out, piece(text, a, b, t))
				continue
			}
		}
		// Long: never tokenized whole, so that each call stays near a
		// window's length and the context is checked between them.
		for a < b {
			e, head, err := longestPrefix(text, tok, a, b, size)
			if err != nil {
				return nil, err
			}
			out = append(out, piece(text, a, e, head))
			a = e
		}
	}
	return out, nil
}

// piece returns the unit text[a:b] with its tokens.
func piece(text string, a, b int, tokens []int32) unit {
	return unit{start: a, word: skip(text, a, b, true), end: b, tokens: tokens}
}

// agrees reports whether text[a:b] tokenizes as text[a:q] then text[q:b].
func agrees(text string, tok Tokenizer, a, q, b int) (bool, error) {
	for a < q && !utf8.RuneStart(text[a]) {
		a++
	}
	for b > q && b < len(text) && !utf8.RuneStart(text[b]) {
		b--
	}
	whole, err := tok(text[a:b])
	if err != nil {
		return false, err
	}
	left, err := tok(text[a:q])
	if err != nil {
		return false, err
	}
	right, err := tok(text[q:b])
	if err != nil {
		return false, err
	}
	return slices.Equal(whole, append(left, right...)), nil
}

// longestPrefix returns the end of a long prefix of text[a:b], cut
// between characters, that holds at most size tokens (at least one
// character), and its tokens. It gallops from the first character, then
// bisects, so that cutting a long piece stays O(n log n).
func longestPrefix(text string, tok Tokenizer, a, b, size int) (int, []int32, error) {
	next := func(q int) int {
		_, n := utf8.DecodeRuneInString(text[q:b])
		return q + n
	}
	lo := next(a)
	best, err := tok(text[a:lo])
	if err != nil {
		return 0, nil, err
	}
	if len(best) > size {
		return 0, nil, ErrTooLong
	}
	hi := b + 1 // the first offset known not to fit (b+1: none known)
	// The step stays within b-a: no overflow, whatever the size.
	for step := min(size, b-a); hi > b && lo < b; step = min(2*step, b-a) {
		q := min(b, lo+step)
		for q < b && !utf8.RuneStart(text[q]) {
			q++
		}
		t, err := tok(text[a:q])
		if err != nil {
			return 0, nil, err
		}
		if len(t) > size {
			hi = q
			break
		}
		lo, best = q, t
	}
	for hi <= b {
		mid := (lo + hi) / 2
		for mid > lo && !utf8.RuneStart(text[mid]) {
			mid--
		}
		if mid == lo {
			mid = next(lo)
		}
		if mid >= hi {
			break
		}
		t, err := tok(text[a:mid])
		if err != nil {
			return 0, nil, err
		}
		if len(t) <= size {
			lo, best = mid, t
		} else {
			hi = mid
		}
	}
	return lo, best, nil
}
