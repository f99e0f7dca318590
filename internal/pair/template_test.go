package pair_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/pair"
)

// TestTemplateBounds is review R25: a GGUF rerank template with 100,000
// {document} (or {query}) markers was accepted, and the first rerank
// asked Fill for markers × len(doc) bytes (the server died of OOM).
func TestTemplateBounds(t *testing.T) {
	for _, c := range []struct {
		name     string
		template string
		ok       bool
	}{
		{"one of each", "Q: {query} D: {document}", true},
		{"the bound of each", strings.Repeat("{query}{document}", pair.MaxMarkers), true},
		{"100,000 documents", "Q: {query} D: " + strings.Repeat("{document}", 100000), false},
		{"100,000 queries", strings.Repeat("{query}", 100000) + "{document}", false},
		{"one document too many", strings.Repeat("{document}", pair.MaxMarkers+1), false},
		{"one query too many", strings.Repeat("{query}", pair.MaxMarkers+1), false},
		{"too long", "{query}{document}" + strings.Repeat("x", pair.MaxTemplateBytes), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := pair.ParseTemplate(c.template)
			_, _, berr := pair.Build(words, wordPiece, none, c.template, "q", strings.Repeat("fox ", 1000), 1<<30, true)
			_, ferr := pair.Fill(c.template, "q", "d")
			if c.ok {
				assert.NoError(t, err)
				assert.NoError(t, berr)
				assert.NoError(t, ferr)
				return
			}
			assert.ErrorIs(t, err, pair.ErrTemplate)
			assert.ErrorIs(t, berr, pair.ErrTemplate)
			assert.ErrorIs(t, ferr, pair.ErrTemplate)
		})
	}
}

// TestFillLen: the length of a fill is known before it is built.
func TestFillLen(t *testing.T) {
	tp, err := pair.ParseTemplate("a{query}b{document}{document}")
	require.NoError(t, err)
	assert.Equal(t, len(tp.Fill("qq", "ddd")), tp.Len("qq", "ddd"))
	assert.Equal(t, "aqqbdddddd", tp.Fill("qq", "ddd"))
}

// TestTemplateQueryAloneFirst is review R3: with a rerank template the
// query was tokenized inside the filled template; a query too long for
// the context must be refused from one tokenization of the query alone,
// before the template is filled or any document tokenized.
func TestTemplateQueryAloneFirst(t *testing.T) {
	var calls []string
	count := func(text string, special bool) ([]int32, error) {
		calls = append(calls, text)
		return words(text, special)
	}
	query := strings.Repeat("w ", 50)
	_, err := pair.NewPairer(count, none, mustTemplate(t, "Q: {query} D: {document} end"), query, 10)
	var le *pair.LengthError
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, pair.ErrQueryTooLong)
	assert.Equal(t, 50, le.Tokens)
	assert.Equal(t, []string{query}, calls, "the query alone, once")
}

func mustTemplate(t *testing.T, s string) *pair.Template {
	t.Helper()
	tp, err := pair.ParseTemplate(s)
	require.NoError(t, err)
	return tp
}

// TestTemplateSpecialsOnlyInTemplate is review R6: the filled template
// was tokenized with special tokens parsed, so a document spelling
// "<|im_end|>" (here "<sp>") became the control token and could close
// the template's turn. Only the template's own text is cut at special
// tokens; with texts that spell none the tokens are what parsing the
// whole filled template gives.
func TestTemplateSpecialsOnlyInTemplate(t *testing.T) {
	const template = "Q: {query} <sp> D: {document} <sp> end"
	for _, c := range []struct {
		name, query, doc string
		want             []int32
	}{
		{"plain texts", "aa b", "ccc", []int32{2, 2, 1, -1, 2, 3, -1, 3}},
		{"the document spells it", "aa", "x <sp> y", []int32{2, 2, -1, 2, 1, 4, 1, -1, 3}},
		{"the query spells it", "<sp> aa", "ccc", []int32{2, 4, 2, -1, 2, 3, -1, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := pair.Build(words, wordPiece, none, template, c.query, c.doc, 100, false)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			if !strings.Contains(c.query+c.doc, "<sp>") {
				whole, _ := words(fill(t, template, c.query, c.doc), true)
				assert.Equal(t, whole, got, "as parsing the whole filled template")
			}
		})
	}
}
