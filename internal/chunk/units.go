package chunk

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unit is text[start:end]: white space in [start, word), then a word
// (the last unit also holds the text's trailing white space). Units tile
// the text. gap is the white space run in front of the word as the text
// has it, wherever the cut in it fell.
type unit struct {
	start, word, end int
	gap              [2]int
	tokens           []int32
}

// units cuts text into units of at most size tokens each.
func units(text string, tok Tokenizer, size int) ([]unit, error) {
	var raw []unit
	i := 0
	for i < len(text) {
		u := unit{start: i}
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		u.word = i
		u.gap = [2]int{u.start, u.word}
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += n
		}
		u.end = i
		raw = append(raw, u)
	}
	// Trailing white space joins the last word (or is the only unit).
	if n := len(raw); n > 1 && raw[n-1].word == raw[n-1].end {
		raw[n-2].end = raw[n-1].end
		raw = raw[:n-1]
	}
	raw, err := placeCuts(text, tok, raw)
	if err != nil {
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
// tokens of each side laid end to end), then forces cuts in any piece
// still too long.
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
		p := unit{start: cuts[k], word: cuts[k], end: cuts[k+1], gap: [2]int{cuts[k], cuts[k]}}
		if k == 0 {
			p.word, p.gap = u.word, u.gap
		}
		t, err := tok(text[p.start:p.end])
		if err != nil {
			return nil, err
		}
		p.tokens = t
		for len(p.tokens) > size {
			head, err := longestPrefix(text, tok, p, size)
			if err != nil {
				return nil, err
			}
			out = append(out, head)
			p = unit{start: head.end, word: head.end, end: p.end, gap: [2]int{head.end, head.end}}
			if p.tokens, err = tok(text[p.start:p.end]); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// agrees reports whether text[a:b] tokenizes as text[a:q] then text[q:b].
func agrees(text string, tok Tokenizer, a, q, b int) (bool, error) {
	for a > 0 && !utf8.RuneStart(text[a]) {
		a++
	}
	for b < len(text) && !utf8.RuneStart(text[b]) {
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

// longestPrefix returns the longest prefix of p, cut between characters,
// that holds at most size tokens (at least one character).
func longestPrefix(text string, tok Tokenizer, p unit, size int) (unit, error) {
	var runes []int // end offsets of p's characters
	for q := p.start; q < p.end; {
		_, n := utf8.DecodeRuneInString(text[q:])
		q += n
		runes = append(runes, q)
	}
	lo, hi := 0, len(runes)-1 // runes[lo] always fits, or is the one character
	first, err := tok(text[p.start:runes[0]])
	if err != nil {
		return unit{}, err
	}
	if len(first) > size {
		return unit{}, ErrTooLong
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		t, err := tok(text[p.start:runes[mid]])
		if err != nil {
			return unit{}, err
		}
		if len(t) <= size {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	head := unit{start: p.start, word: p.word, end: runes[lo], gap: p.gap}
	head.tokens, err = tok(text[head.start:head.end])
	return head, err
}

// endsSentence reports whether a word ends a sentence: its last
// character, past closing quotes and brackets, is a full stop, question
// or exclamation mark (Latin or CJK) or an ellipsis.
func endsSentence(word string) bool {
	w := strings.TrimRightFunc(word, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`"')]}»”’`, r)
	})
	r, _ := utf8.DecodeLastRuneInString(w)
	return strings.ContainsRune(".!?。！？…", r)
}
