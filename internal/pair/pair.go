// Package pair builds the token sequence a reranker scores for a query
// and a document, as llama.cpp's server does (format_prompt_rerank in
// tools/server/server-common.cpp of the pinned source):
//
//   - when the GGUF has a rerank template (tokenizer.chat_template.rerank,
//     as llama.cpp's converter writes for Qwen3-Reranker), {query} and then
//     {document} are replaced in it, and the result is tokenized whole,
//     special tokens parsed and none added;
//   - otherwise BOS query EOS SEP document EOS, each special only where
//     the vocabulary adds it, with SEP standing in for a missing EOS
//     (BERT: [CLS] q [SEP] d [SEP]; XLM-R: <s> q </s></s> d </s>).
//
// Over-long pairs lose the end of the document, never the query.
package pair

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
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

// Specials are the vocabulary's special tokens and whether tokenization
// adds them (llama_vocab_bos, _eos, _sep and llama_vocab_get_add_*).
type Specials struct {
	BOS, EOS, SEP          int32
	AddBOS, AddEOS, AddSEP bool
}

// Tokenizer tokenizes text; special says whether special tokens in the
// text are parsed (no special tokens are ever added).
type Tokenizer func(text string, special bool) ([]int32, error)

// Fill returns the template with {query} and then {document} replaced,
// in llama.cpp's order.
func Fill(template, query, doc string) string {
	s := strings.ReplaceAll(template, "{query}", query)
	return strings.ReplaceAll(s, "{document}", doc)
}

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

// Build returns the tokens of the pair within limit tokens, and whether
// the document was cut to fit; with truncate false an over-long pair is
// [ErrTooLong]. template is the GGUF's rerank template or "".
func Build(tok Tokenizer, s Specials, template, query, doc string, limit int, truncate bool) ([]int32, bool, error) {
	if template != "" {
		return buildTemplate(tok, template, query, doc, limit, truncate)
	}
	q, err := tok(query, false)
	if err != nil {
		return nil, false, err
	}
	d, err := tok(doc, false)
	if err != nil {
		return nil, false, err
	}
	fixed := len(Join(s, q, nil))
	switch {
	case fixed+len(d) <= limit:
		return Join(s, q, d), false, nil
	case fixed >= limit:
		return nil, false, fmt.Errorf("%w: %d tokens without the document, limit %d", ErrQueryTooLong, fixed, limit)
	case !truncate:
		return nil, false, fmt.Errorf("%w: %d tokens, limit %d", ErrTooLong, fixed+len(d), limit)
	}
	return Join(s, q, d[:limit-fixed]), true, nil
}

// buildTemplate cuts the document at the longest character prefix whose
// filled template fits: the template is tokenized whole, so the tokens
// at the document's end depend on what follows it.
func buildTemplate(tok Tokenizer, template, query, doc string, limit int, truncate bool) ([]int32, bool, error) {
	whole, err := tok(Fill(template, query, doc), true)
	if err != nil || len(whole) <= limit {
		return whole, false, err
	}
	empty, err := tok(Fill(template, query, ""), true)
	if err != nil {
		return nil, false, err
	}
	switch {
	case len(empty) >= limit:
		return nil, false, fmt.Errorf("%w: %d tokens without the document, limit %d", ErrQueryTooLong, len(empty), limit)
	case !truncate:
		return nil, false, fmt.Errorf("%w: %d tokens, limit %d", ErrTooLong, len(whole), limit)
	}
	// Binary search over character boundaries: lo fits (the empty
	// document does), hi does not (the whole one does not).
	lo, hi := 0, len(doc)
	best := empty
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		for mid > lo && !utf8.RuneStart(doc[mid]) {
			mid--
		}
		if mid == lo {
			mid = (lo + hi) / 2
			for mid < hi && !utf8.RuneStart(doc[mid]) {
				mid++
			}
			if mid == hi {
				break
			}
		}
		t, err := tok(Fill(template, query, doc[:mid]), true)
		if err != nil {
			return nil, false, err
		}
		if len(t) <= limit {
			lo, best = mid, t
		} else {
			hi = mid
		}
	}
	return best, true, nil
}
