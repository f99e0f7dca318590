package pair

import "strings"

// The markers a rerank template holds.
const (
	queryMarker    = "{query}"
	documentMarker = "{document}"
)

// Fill returns the template with each {query} marker replaced by query
// and each {document} marker by doc, in one pass over the template: the
// texts are inserted as they are and never scanned for markers, so a
// query that spells "{document}" keeps it (llama.cpp replaces {query}
// first and then scans the result for {document}, which copies the
// document into such a query once per marker). The result's length is
// len(template) less the markers plus, per marker of the template, the
// length of its text: it grows with the template's markers, never with
// the inputs'.
func Fill(template, query, doc string) string {
	nq := strings.Count(template, queryMarker)
	nd := strings.Count(template, documentMarker)
	var b strings.Builder
	b.Grow(len(template) + nq*(len(query)-len(queryMarker)) + nd*(len(doc)-len(documentMarker)))
	for rest := template; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, queryMarker):
			b.WriteString(query)
			rest = rest[len(queryMarker):]
		case strings.HasPrefix(rest, documentMarker):
			b.WriteString(doc)
			rest = rest[len(documentMarker):]
		default:
			b.WriteByte('{')
			rest = rest[1:]
		}
	}
	return b.String()
}
