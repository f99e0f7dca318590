package pair

import (
	"slices"
	"strings"
)

// Special tokens in the template: llama.cpp tokenizes a filled template
// with parse_special, which first cuts the text at the strings of special
// tokens and then tokenizes each fragment between them as plain text. A
// query or document that spells "<|im_end|>" was thus read as the control
// token, and could close the user's turn of the template. A Template
// with its specials found ([Template.WithSpecials]) cuts only its own
// text at them: the fragments, query and document included, are
// tokenized with special tokens not parsed, so the texts stay text, and
// the tokens are llama.cpp's whenever the texts spell no special token.

// PieceFunc returns a token's text, special tokens rendered ("<|im_end|>").
type PieceFunc func(id int32) (string, error)

// special is a special token the template's text spells.
type special struct {
	text string
	id   int32
}

// segment is a run of a template piece: text, or a special token.
type segment struct {
	text string
	id   int32
	tok  bool // a special token (id), else text
}

// WithSpecials returns a copy of t that cuts its own text at the special
// tokens it spells: those that tokenizing a piece with special tokens
// parsed gives, whose text the piece holds, and that its text tokenized
// without parsing does not give. Longer ones are cut first, as llama.cpp
// does. With piece nil, none.
func (t *Template) WithSpecials(tok Tokenizer, piece PieceFunc) (*Template, error) {
	c := *t
	var found []special
	if piece != nil {
		for _, p := range t.pieces {
			sp, err := spelled(tok, piece, p)
			if err != nil {
				return nil, err
			}
			for _, s := range sp {
				if !slices.Contains(found, s) {
					found = append(found, s)
				}
			}
		}
	}
	slices.SortStableFunc(found, func(a, b special) int { return len(b.text) - len(a.text) })
	c.segs = make([][]segment, len(t.pieces))
	for i, p := range t.pieces {
		c.segs[i] = cut([]segment{{text: p}}, found)
	}
	return &c, nil
}

// spelled returns the special tokens piece p spells.
func spelled(tok Tokenizer, piece PieceFunc, p string) ([]special, error) {
	ids, err := tok(p, true)
	if err != nil {
		return nil, err
	}
	var out []special
	for _, id := range ids {
		s, err := piece(id)
		if err != nil {
			return nil, err
		}
		if s == "" || !strings.Contains(p, s) || slices.Contains(out, special{s, id}) {
			continue
		}
		plain, err := tok(s, false)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(plain, []int32{id}) {
			out = append(out, special{s, id})
		}
	}
	return out, nil
}

// cut splits the text segments of segs at every occurrence of each
// special, in order.
func cut(segs []segment, specials []special) []segment {
	for _, sp := range specials {
		var out []segment
		for _, s := range segs {
			for !s.tok {
				i := strings.Index(s.text, sp.text)
				if i < 0 {
					break
				}
				if i > 0 {
					out = append(out, segment{text: s.text[:i]})
				}
				out = append(out, segment{id: sp.id, tok: true})
				s.text = s.text[i+len(sp.text):]
			}
			if s.tok || s.text != "" {
				out = append(out, s)
			}
		}
		segs = out
	}
	return segs
}

// Tokens returns the tokens of the template filled with query and doc:
// the fragments between the special tokens its own text spells, texts
// inserted, each tokenized without parsing special tokens, and those
// special tokens between them. No special token is added.
func (t *Template) Tokens(tok Tokenizer, query, doc string) ([]int32, error) {
	segs := t.segs
	if segs == nil { // no WithSpecials: the template is text
		segs = make([][]segment, len(t.pieces))
		for i, p := range t.pieces {
			segs[i] = []segment{{text: p}}
		}
	}
	var out []int32
	var frag strings.Builder
	flush := func() error {
		if frag.Len() == 0 {
			return nil // llama.cpp makes no empty fragment
		}
		ids, err := tok(frag.String(), false)
		out = append(out, ids...)
		frag.Reset()
		return err
	}
	for i, piece := range segs {
		for _, s := range piece {
			if !s.tok {
				frag.WriteString(s.text)
				continue
			}
			if err := flush(); err != nil {
				return nil, err
			}
			out = append(out, s.id)
		}
		if i < len(t.isDoc) {
			frag.WriteString(t.text(i, query, doc))
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
