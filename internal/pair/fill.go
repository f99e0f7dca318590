package pair

import (
	"errors"
	"fmt"
	"strings"
)

// The markers a rerank template holds.
const (
	queryMarker    = "{query}"
	documentMarker = "{document}"
)

// MaxMarkers is the most {query} markers, and the most {document}
// markers, a rerank template may hold. The rerank templates of llama.cpp's
// converter (Qwen3-Reranker's) hold one of each; 4 leaves room for a
// template that repeats the query or the document (in an instruction and
// in the turn, say) while it bounds every fill: a pair's text is at most
// len(template) + MaxMarkers×(len(query)+len(doc)) bytes, whatever the
// template, so a model file cannot turn one request into gigabytes.
const MaxMarkers = 4

// MaxTemplateBytes bounds a rerank template's length: Qwen3-Reranker's is
// about 500 bytes, and a template is tokenized with every pair.
const MaxTemplateBytes = 64 << 10

// ErrTemplate reports a rerank template over [MaxMarkers] markers of a
// kind or [MaxTemplateBytes] bytes: the model file is refused, not the
// request, since every pair would pay for it.
var ErrTemplate = errors.New("pair: rerank template refused")

// Template is a checked rerank template, cut at its markers.
type Template struct {
	pieces []string // the text between markers: len(isDoc)+1 pieces
	isDoc  []bool   // marker i is {document} (else {query})
	fixed  int      // the pieces' bytes
	nq, nd int      // the markers of each kind
	// segs are the pieces cut at the special tokens they spell, once
	// found (WithSpecials, special.go); nil: none looked for.
	segs [][]segment
}

// ParseTemplate checks a rerank template against [MaxTemplateBytes] and
// [MaxMarkers] and cuts it at its markers, scanning it once: a refused
// template is an [ErrTemplate] with what was counted.
func ParseTemplate(s string) (*Template, error) {
	if len(s) > MaxTemplateBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrTemplate, len(s), MaxTemplateBytes)
	}
	t := &Template{}
	start := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '{')
		if j < 0 {
			break
		}
		i += j
		rest, m := s[i:], ""
		switch {
		case strings.HasPrefix(rest, queryMarker):
			m, t.nq = queryMarker, t.nq+1
		case strings.HasPrefix(rest, documentMarker):
			m, t.nd = documentMarker, t.nd+1
		default:
			i++
			continue
		}
		if t.nq > MaxMarkers || t.nd > MaxMarkers {
			return nil, fmt.Errorf("%w: more than %d %s markers (llama.cpp's templates have one)", ErrTemplate, MaxMarkers, m)
		}
		t.pieces = append(t.pieces, s[start:i])
		t.isDoc = append(t.isDoc, m == documentMarker)
		t.fixed += i - start
		i += len(m)
		start = i
	}
	t.pieces = append(t.pieces, s[start:])
	t.fixed += len(s) - start
	return t, nil
}

// Len returns the length of [Template.Fill]'s result, computed without
// building it: the pieces' bytes plus len(query) per {query} and len(doc)
// per {document}, at most len(template) + MaxMarkers×(len(query)+len(doc)).
func (t *Template) Len(query, doc string) int {
	return t.fixed + t.nq*len(query) + t.nd*len(doc)
}

// Fill returns the template with each {query} marker replaced by query
// and each {document} marker by doc. The texts are inserted as they are
// and never scanned for markers, so a query that spells "{document}"
// keeps it (llama.cpp replaces {query} first and then scans the result
// for {document}, which copies the document into such a query once per
// marker). Its length is [Template.Len].
func (t *Template) Fill(query, doc string) string {
	var b strings.Builder
	b.Grow(t.Len(query, doc))
	for i, p := range t.pieces {
		b.WriteString(p)
		if i < len(t.isDoc) {
			b.WriteString(t.text(i, query, doc))
		}
	}
	return b.String()
}

// text is what marker i is replaced by.
func (t *Template) text(i int, query, doc string) string {
	if t.isDoc[i] {
		return doc
	}
	return query
}

// Fill is [ParseTemplate] and [Template.Fill]: a template over the
// bounds is [ErrTemplate], so the result is never longer than
// len(template) + MaxMarkers×(len(query)+len(doc)).
func Fill(template, query, doc string) (string, error) {
	t, err := ParseTemplate(template)
	if err != nil {
		return "", err
	}
	return t.Fill(query, doc), nil
}
