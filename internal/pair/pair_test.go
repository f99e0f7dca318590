package pair_test

import (
	"strings"
	"testing"

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
			got, cut, err := pair.Build(words, c.s, c.template, c.query, c.doc, c.limit, c.truncate)
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
	// llama.cpp replaces {query} first, so a query that spells
	// {document} gets the document too.
	assert.Equal(t, "q=x, d=y", pair.Fill("q={query}, d={document}", "x", "y"))
	assert.Equal(t, "q=y, d=y", pair.Fill("q={query}, d={document}", "{document}", "y"))
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
	got, cut, err := pair.Build(perRune, none, "{query}|{document}", "q", "日本語テキスト", 5, true)
	require.NoError(t, err)
	assert.True(t, cut)
	assert.Equal(t, []int32{'q', '|', '日', '本', '語'}, got)
}
