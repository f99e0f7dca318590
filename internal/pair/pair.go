// Package pair builds the token sequence a reranker scores for a query
// and a document, as llama.cpp's server does (format_prompt_rerank in
// tools/server/server-common.cpp of the pinned source):
//
//   - when the GGUF has a rerank template (tokenizer.chat_template.rerank,
//     as llama.cpp's converter writes for Qwen3-Reranker), its {query}
//     and {document} markers are replaced by the texts (in one pass,
//     unlike llama.cpp, so that a text is never read as template: see
//     [Template.Fill]), and the result is tokenized as llama.cpp does with
//     special tokens parsed, except that only the template's own text is
//     cut at the special tokens it spells (see [Template.WithSpecials]):
//     a query or document that spells "<|im_end|>" stays text;
//   - otherwise BOS query EOS SEP document EOS, each special only where
//     the vocabulary adds it, with SEP standing in for a missing EOS
//     (BERT: [CLS] q [SEP] d [SEP]; XLM-R: <s> q </s></s> d </s>).
//
// Over-long pairs lose the end of the document, never the query. A
// [Pairer] does the query's work once for all the documents of a call.
package pair

import (
	"errors"
	"fmt"
)

// TemplateKey is the GGUF key of the rerank template.
const TemplateKey = "tokenizer.chat_template.rerank"

// Errors.
var (
	// ErrQueryTooLong reports a query that, with the special tokens or
	// the template and no document at all, does not fit the limit.
	ErrQueryTooLong = errors.New("pair: the query alone does not fit the context")
	// ErrTooLong reports a pair over the limit when truncation is off.
	ErrTooLong = errors.New("pair: query and document do not fit the context")
)

// LengthError is [ErrQueryTooLong] or [ErrTooLong] with the counts: the
// tokens of the pair (of the query without document for ErrQueryTooLong)
// and the limit.
type LengthError struct {
	Tokens, Limit int
	Err           error
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("%v: %d tokens, limit %d", e.Err, e.Tokens, e.Limit)
}

func (e *LengthError) Unwrap() error { return e.Err }

// Specials are the vocabulary's special tokens and whether tokenization
// adds them (llama_vocab_bos, _eos, _sep and llama_vocab_get_add_*).
type Specials struct {
	BOS, EOS, SEP          int32
	AddBOS, AddEOS, AddSEP bool
}

// Tokenizer tokenizes text; special says whether special tokens in the
// text are parsed (no special tokens are ever added).
type Tokenizer func(text string, special bool) ([]int32, error)

// Join lays out query and document tokens with the specials.
func Join(s Specials, q, d []int32) []int32 {
	eos := s.EOS
	if eos < 0 {
		eos = s.SEP
	}
	out := make([]int32, 0, len(q)+len(d)+4)
	if s.AddBOS {
		out = append(out, s.BOS)
	}
	out = append(out, q...)
	if s.AddEOS {
		out = append(out, eos)
	}
	if s.AddSEP {
		out = append(out, s.SEP)
	}
	out = append(out, d...)
	if s.AddEOS {
		out = append(out, eos)
	}
	return out
}

// Pairer lays out the pairs of one query with documents. The query is
// tokenized once, when the Pairer is made, and checked against the limit
// before any document is; each document is then tokenized whole at most
// twice (see [Pairer.Pair]).
type Pairer struct {
	tok      Tokenizer
	s        Specials
	template *Template // nil: no template
	query    string
	limit    int
	q        []int32 // the query's tokens, without a template
	fixed    int     // tokens of the pair with an empty document
}

// NewPairer tokenizes query for pairs within limit tokens; template is
// the GGUF's rerank template (see [ParseTemplate]) or nil. The query is
// tokenized alone first, once: a query that alone, or without any
// document, does not fit is a [*LengthError] of [ErrQueryTooLong] before
// the template is filled or any document tokenized.
func NewPairer(tok Tokenizer, s Specials, template *Template, query string, limit int) (*Pairer, error) {
	p := &Pairer{tok: tok, s: s, template: template, query: query, limit: limit}
	q, err := tok(query, false)
	if err != nil {
		return nil, err
	}
	p.q, p.fixed = q, len(Join(s, q, nil))
	if template != nil {
		p.fixed = len(q) // a template adds no special tokens of its own
	}
	if template != nil && p.fixed < limit {
		empty, err := template.Tokens(tok, query, "")
		if err != nil {
			return nil, err
		}
		p.fixed = len(empty)
	}
	if p.fixed >= limit {
		return nil, &LengthError{Tokens: p.fixed, Limit: limit, Err: ErrQueryTooLong}
	}
	return p, nil
}

// Pair returns the tokens of the query with doc within the limit, and
// whether the document was cut to fit; with truncate false an over-long
// pair is a [*LengthError] of [ErrTooLong] with the pair's whole length.
func (p *Pairer) Pair(doc string, truncate bool) ([]int32, bool, error) {
	if p.template != nil {
		return p.pairTemplate(doc, truncate)
	}
	d, err := p.tok(doc, false)
	if err != nil {
		return nil, false, err
	}
	switch {
	case p.fixed+len(d) <= p.limit:
		return Join(p.s, p.q, d), false, nil
	case !truncate:
		return nil, false, &LengthError{Tokens: p.fixed + len(d), Limit: p.limit, Err: ErrTooLong}
	}
	return Join(p.s, p.q, d[:p.limit-p.fixed]), true, nil
}

// Build is [ParseTemplate] and [Template.WithSpecials] (for a template
// other than ""), [NewPairer] and [Pairer.Pair] for one document.
func Build(tok Tokenizer, piece PieceFunc, s Specials, template, query, doc string, limit int, truncate bool) ([]int32, bool, error) {
	var t *Template
	if template != "" {
		var err error
		if t, err = ParseTemplate(template); err != nil {
			return nil, false, err
		}
		if t, err = t.WithSpecials(tok, piece); err != nil {
			return nil, false, err
		}
	}
	p, err := NewPairer(tok, s, t, query, limit)
	if err != nil {
		return nil, false, err
	}
	return p.Pair(doc, truncate)
}
