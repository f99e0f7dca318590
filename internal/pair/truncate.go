package pair

import (
	"math"
	"unicode/utf8"
)

// guided is how many probes [Pairer.cut] places by the document's
// density before it falls back to halving.
const guided = 4

// pairTemplate tokenizes the filled template whole. An over-long pair
// with truncate set loses the end of its document at the longest
// character prefix whose filled template fits: the template is tokenized
// whole, so the tokens at the document's end depend on what follows it,
// and the cut is searched by tokenizing prefixes.
func (p *Pairer) pairTemplate(doc string, truncate bool) ([]int32, bool, error) {
	whole, err := p.template.Tokens(p.tok, p.query, doc)
	if err != nil || len(whole) <= p.limit {
		return whole, false, err
	}
	if !truncate {
		return nil, false, &LengthError{Tokens: len(whole), Limit: p.limit, Err: ErrTooLong}
	}
	alone, err := p.tok(doc, false)
	if err != nil {
		return nil, false, err
	}
	return p.cut(doc, len(alone))
}

// cut finds the longest fitting prefix of doc, which has about docTokens
// tokens alone. The first probes are placed where the document's average
// bytes per token put the limit, each corrected by the count the last one
// gave, so that on text of even density they land within a token of the
// answer; a binary search over the bytes left between the longest prefix
// known to fit and the shortest known not to finishes it. Every probe
// tokenizes a prefix shorter than the shortest known not to fit, so only
// the two tokenizations of Pair see the whole document.
func (p *Pairer) cut(doc string, docTokens int) ([]int32, bool, error) {
	budget := p.limit - p.fixed // tokens left for the document, >= 1
	lo, hi := 0, len(doc)       // doc[:lo] fits, doc[:hi] does not
	var best []int32
	perToken := float64(len(doc)) / float64(max(docTokens, 1))
	guess := float64(budget) * perToken
	for range guided {
		mid, ok := boundary(doc, int(math.Round(guess)), lo, hi)
		if !ok {
			break
		}
		t, err := p.template.Tokens(p.tok, p.query, doc[:mid])
		if err != nil {
			return nil, false, err
		}
		n := len(t) - p.fixed // the prefix's tokens
		if len(t) <= p.limit {
			lo, best = mid, t
		} else {
			hi = mid
		}
		guess = float64(mid) * float64(budget) / float64(max(n, 1))
		if len(t) == p.limit || math.Abs(guess-float64(mid)) < 1 {
			guess = float64(mid) + perToken // a fit to the token: is one more character too many?
		}
	}
	for hi-lo > 1 {
		mid, ok := boundary(doc, (lo+hi)/2, lo, hi)
		if !ok {
			break
		}
		t, err := p.template.Tokens(p.tok, p.query, doc[:mid])
		if err != nil {
			return nil, false, err
		}
		if len(t) <= p.limit {
			lo, best = mid, t
		} else {
			hi = mid
		}
	}
	if best == nil { // only the empty document fits
		t, err := p.template.Tokens(p.tok, p.query, "")
		return t, true, err
	}
	return best, true, nil
}

// boundary returns a character boundary of s strictly between lo and hi,
// the one at or before b when there is one, else the first after it.
func boundary(s string, b, lo, hi int) (int, bool) {
	b = min(max(b, lo+1), hi-1)
	for i := b; i > lo; i-- {
		if utf8.RuneStart(s[i]) {
			return i, true
		}
	}
	for i := b + 1; i < hi; i++ {
		if utf8.RuneStart(s[i]) {
			return i, true
		}
	}
	return 0, false
}
