package pair_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/internal/pair"
)

// FuzzFill checks the invariants of the template fill on any template,
// query and document:
//
//   - it never panics;
//   - it refuses ([pair.ErrTemplate]) exactly the templates of more
//     than pair.MaxMarkers markers of a kind or pair.MaxTemplateBytes
//     bytes, and what it fills is at most len(template) +
//     MaxMarkers×(len(query)+len(doc)) bytes, as Template.Len said
//     before building it;
//   - its length is len(template) less the markers, plus len(query) per
//     {query} and len(doc) per {document} of the template: it grows with
//     the template's markers, never with markers inside the texts;
//   - it is the template's pieces between markers, in order, with the
//     texts inserted verbatim between them (nothing is scanned again).
func FuzzFill(f *testing.F) {
	for _, s := range [][3]string{
		{"q={query}, d={document}", "x", "y"},
		{"q={query}, d={document}", "{document}", "y"},
		{"{query}document}", "{", "d"},
		{"{document}{document}{query}", "{query}", "{document}"},
		{fixtures.QwenRerankTemplate, "what do llamas eat?", "Llamas eat grass."},
		{"{{query}}{", "{", "}"},
		{"", "q", "d"},
		{"{document}{document}{document}{document}{document}", "q", "d"},
		{"{query}{query}{query}{query}{query}{document}", "q", "d"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, template, query, doc string) {
		got, err := pair.Fill(template, query, doc)
		pieces, markers := split(template)
		nq, nd := 0, 0
		for _, m := range markers {
			if m == "{query}" {
				nq++
			} else {
				nd++
			}
		}
		over := nq > pair.MaxMarkers || nd > pair.MaxMarkers || len(template) > pair.MaxTemplateBytes
		if over != errors.Is(err, pair.ErrTemplate) || (err != nil && !over) {
			t.Fatalf("Fill(%q): %d query and %d document markers, %d bytes: error %v", template, nq, nd, len(template), err)
		}
		if over {
			return
		}
		if bound := len(template) + pair.MaxMarkers*(len(query)+len(doc)); len(got) > bound {
			t.Fatalf("Fill(%q, %q, %q) has %d bytes, over the bound %d", template, query, doc, len(got), bound)
		}
		if tp, _ := pair.ParseTemplate(template); tp.Len(query, doc) != len(got) {
			t.Fatalf("Len says %d bytes, Fill made %d", tp.Len(query, doc), len(got))
		}
		want := 0
		for _, p := range pieces {
			want += len(p)
		}
		for _, m := range markers {
			want += len(text(m, query, doc))
		}
		if len(got) != want {
			t.Fatalf("Fill(%q, %q, %q) has %d bytes, want %d", template, query, doc, len(got), want)
		}
		rest := got
		for i, p := range pieces {
			if !strings.HasPrefix(rest, p) {
				t.Fatalf("piece %d %q of the template is not where expected in %q", i, p, got)
			}
			rest = rest[len(p):]
			if i < len(markers) {
				ins := text(markers[i], query, doc)
				if !strings.HasPrefix(rest, ins) {
					t.Fatalf("marker %d: %q is not inserted verbatim in %q", i, ins, got)
				}
				rest = rest[len(ins):]
			}
		}
	})
}

// split cuts a template at its markers, scanning left to right as a
// reference independent of Fill: len(pieces) == len(markers)+1.
func split(template string) (pieces, markers []string) {
	start := 0
	for i := 0; i < len(template); {
		rest := template[i:]
		switch {
		case strings.HasPrefix(rest, "{query}"), strings.HasPrefix(rest, "{document}"):
			m := rest[:strings.IndexByte(rest, '}')+1]
			pieces, markers = append(pieces, template[start:i]), append(markers, m)
			i += len(m)
			start = i
		default:
			i++
		}
	}
	return append(pieces, template[start:]), markers
}

func text(marker, query, doc string) string {
	if marker == "{query}" {
		return query
	}
	return doc
}
