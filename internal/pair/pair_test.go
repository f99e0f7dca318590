package pair_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/pair"
)

// words gives each word its length as token, and the word <sp> -1 when
// special tokens are parsed (a stand-in for "<|im_end|>").
func words(text string, special bool) ([]int32, error) {
	var out []int32
	for _, w := range strings.Fields(text) {
		if special && w == "<sp>" {
			out = append(out, -1)
			continue
		}
		out = append(out, int32(len(w)))
	}
	return out, nil
}

// wordPiece is the text of a words token: "<sp>" for -1, else as many
// bytes as the token says.
func wordPiece(id int32) (string, error) {
	if id == -1 {
		return "<sp>", nil
	}
	return strings.Repeat("x", int(max(id, 0))), nil
}

var (
	// llama.cpp's WordPiece vocabularies add CLS (as BOS) and SEP, no EOS:
	// the pair is [CLS] q [SEP] d, without a final [SEP].
	bert = pair.Specials{BOS: 101, EOS: -1, SEP: 102, AddBOS: true, AddEOS: false, AddSEP: true}
	// A vocabulary with no EOS that adds one falls back to SEP.
	noEOS = pair.Specials{BOS: 101, EOS: -1, SEP: 102, AddBOS: true, AddEOS: true}
	xlmr  = pair.Specials{BOS: 0, EOS: 2, SEP: 2, AddBOS: true, AddEOS: true, AddSEP: true}
	none  = pair.Specials{BOS: 1, EOS: 2, SEP: -1}
)

func TestBuild(t *testing.T) {
	for _, c := range []struct {
		name       string
		s          pair.Specials
		template   string
		query, doc string
		limit      int
		truncate   bool
		want       []int32
		cut        bool
		err        error
	}{
		{"bert: CLS q SEP d", bert, "", "a bb", "ccc", 10, true, []int32{101, 1, 2, 102, 3}, false, nil},
		{"missing EOS: SEP", noEOS, "", "a bb", "ccc", 10, true, []int32{101, 1, 2, 102, 3, 102}, false, nil},
		{"xlm-r: <s> q </s></s> d </s>", xlmr, "", "a", "ccc", 10, true, []int32{0, 1, 2, 2, 3, 2}, false, nil},
		{"no specials", none, "", "a", "bb", 10, true, []int32{1, 2}, false, nil},
		{"document cut", bert, "", "a", "b cc ddd eeee", 5, true, []int32{101, 1, 102, 1, 2}, true, nil},
		{"query never cut", bert, "", "a b c d", "e", 5, true, nil, false, pair.ErrQueryTooLong},
		{"truncation off", bert, "", "a", "b cc ddd eeee", 5, false, nil, false, pair.ErrTooLong},
		{"template", none, "Q: {query} <sp> D: {document} <sp>", "aa", "bbb", 20, true,
			[]int32{2, 2, -1, 2, 3, -1}, false, nil},
		{"template, document cut at a character", none, "Q: {query} D: {document} end", "aa", "bbb ccc", 5, true,
			[]int32{2, 2, 2, 3, 3}, true, nil},
		{"template, query too long", none, "Q: {query} D: {document} end", "a b c d", "x", 5, true, nil, false, pair.ErrQueryTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, cut, err := pair.Build(words, wordPiece, c.s, c.template, c.query, c.doc, c.limit, c.truncate)
			if c.err != nil {
				assert.ErrorIs(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.cut, cut)
			assert.LessOrEqual(t, len(got), c.limit)
		})
	}
}

func TestFill(t *testing.T) {
	for _, c := range []struct{ name, template, query, doc, want string }{
		{"both", "q={query}, d={document}", "x", "y", "q=x, d=y"},
		// Query and document are text, never template: a marker they
		// spell stays as it is.
		{"query spells {document}", "q={query}, d={document}", "{document}", "y", "q={document}, d=y"},
		{"document spells {query}", "q={query}, d={document}", "x", "{query}{document}", "q=x, d={query}{document}"},
		{"marker split by the insert", "{query}document}", "{", "d", "{document}"},
		{"repeated markers", "{document}{document}", "q", "dd", "dddd"},
		{"no markers", "plain {quer} {docum", "q", "d", "plain {quer} {docum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := pair.Fill(c.template, c.query, c.doc)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

// TestFillInjection is the request of issue 26: 3,000 {document} markers
// in the query and a 10 KB document once took a gigabyte.
func TestFillInjection(t *testing.T) {
	query := strings.Repeat("{document}", 3000)
	doc := strings.Repeat("fox ", 2500)
	got, err := pair.Fill("Q: {query} D: {document}", query, doc)
	require.NoError(t, err)
	assert.Equal(t, len("Q:  D: ")+len(query)+len(doc), len(got))
}

func TestBuildTemplateMultiByte(t *testing.T) {
	// A document of multi-byte characters, each a token: the cut falls
	// between characters.
	perRune := func(text string, special bool) ([]int32, error) {
		var out []int32
		for _, r := range text {
			if r != ' ' {
				out = append(out, int32(r))
			}
		}
		return out, nil
	}
	got, cut, err := pair.Build(perRune, nil, none, "{query}|{document}", "q", "日本語テキスト", 5, true)
	require.NoError(t, err)
	assert.True(t, cut)
	assert.Equal(t, []int32{'q', '|', '日', '本', '語'}, got)
}

// counting wraps a tokenizer and counts the bytes it is given.
type counting struct {
	tok   pair.Tokenizer
	calls int
	bytes int
}

func (c *counting) tokenize(text string, special bool) ([]int32, error) {
	c.calls++
	c.bytes += len(text)
	return c.tok(text, special)
}

// TestBuildTruncateBoundedWork: cutting a long document to the context
// tokenizes the whole of it at most twice and then only texts the size of
// the context, a bounded number of times: not once per step of a binary
// search over its bytes (a 1 MB document took about 20 tokenizations, 7 s).
func TestBuildTruncateBoundedWork(t *testing.T) {
	doc := strings.Repeat("fox ", 1<<18) // 1 MiB
	for _, c := range []struct {
		name     string
		s        pair.Specials
		template string
	}{
		{"specials", bert, ""},
		{"template", none, "Q: {query} D: {document} end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct := &counting{tok: words}
			const limit = 1 << 17 // half the document's words
			got, cut, err := pair.Build(ct.tokenize, nil, c.s, c.template, "a query", doc, limit, true)
			require.NoError(t, err)
			assert.True(t, cut)
			assert.Len(t, got, limit)
			assert.LessOrEqual(t, ct.calls, 12, "tokenizations")
			t.Logf("%d tokenizations, %d bytes", ct.calls, ct.bytes)
			assert.LessOrEqual(t, ct.bytes, 2*len(doc)+10*(len(doc)/2), "bytes tokenized in %d calls", ct.calls)
		})
	}
}

// TestCutLongest checks the cut against every character prefix: the one
// chosen fits, and one character more does not, on documents of uneven
// density (long words then short ones, and the other way round).
func TestCutLongest(t *testing.T) {
	const template = "Q: {query} D: {document} end"
	docs := map[string]string{
		"dense then sparse": strings.Repeat("a ", 40) + strings.Repeat("bbbbbbbbbbbb ", 40),
		"sparse then dense": strings.Repeat("bbbbbbbbbbbb ", 40) + strings.Repeat("a ", 40),
		"multi-byte":        strings.Repeat("日本 語テ キスト ", 30),
		"one long word":     strings.Repeat("x", 300) + " y z",
	}
	for name, doc := range docs {
		for _, limit := range []int{5, 9, 17, 33, 60} {
			t.Run(fmt.Sprintf("%s/%d", name, limit), func(t *testing.T) {
				got, cut, err := pair.Build(words, wordPiece, none, template, "aa", doc, limit, true)
				require.NoError(t, err)
				want := 0 // the longest fitting prefix, character by character
				for i := range len(doc) + 1 {
					if i < len(doc) && !utf8.RuneStart(doc[i]) {
						continue
					}
					toks, _ := words(fill(t, template, "aa", doc[:i]), true)
					if len(toks) <= limit {
						want = i
					}
				}
				wantToks, _ := words(fill(t, template, "aa", doc[:want]), true)
				assert.Equal(t, wantToks, got)
				assert.Equal(t, want < len(doc), cut)
			})
		}
	}
}

func fill(t *testing.T, template, query, doc string) string {
	t.Helper()
	s, err := pair.Fill(template, query, doc)
	require.NoError(t, err)
	return s
}
