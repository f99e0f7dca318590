package prompts_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/prompts"
)

func TestBuiltinFamilies(t *testing.T) {
	for _, c := range []struct {
		meta         prompts.Meta
		family       string
		query, doc   string
		hasDocPrompt bool
	}{
		{prompts.Meta{Architecture: "bert", Name: "E5 Base V2", Basename: "e5"}, "e5", "query: how?", "passage: text", true},
		{prompts.Meta{Architecture: "xlm-roberta", Name: "multilingual-e5-large"}, "e5", "query: how?", "passage: text", true},
		{prompts.Meta{Architecture: "llama", Name: "e5-mistral-7b-instruct"}, "e5-mistral",
			"Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery: how?", "text", false},
		{prompts.Meta{Architecture: "nomic-bert", Name: "nomic-embed-text-v1.5"}, "nomic-embed", "search_query: how?", "search_document: text", true},
		{prompts.Meta{Architecture: "bert", Name: "mxbai-embed-large-v1"}, "mxbai-embed",
			"Represent this sentence for searching relevant passages: how?", "text", false},
		{prompts.Meta{Architecture: "bert", Basename: "bge-base-en", Name: "bge-base-en-v1.5"}, "bge-en",
			"Represent this sentence for searching relevant passages: how?", "text", false},
		{prompts.Meta{Architecture: "bert", Name: "snowflake-arctic-embed-m-v1.5"}, "snowflake-arctic-embed",
			"Represent this sentence for searching relevant passages: how?", "text", false},
		{prompts.Meta{Architecture: "qwen3", Name: "Qwen3 Embedding 0.6B", Basename: "Qwen3-Embedding"}, "qwen3-embedding",
			"Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:how?", "text", false},
		{prompts.Meta{Architecture: "gemma-embedding", Name: "embeddinggemma-300m"}, "embeddinggemma",
			"task: search result | query: how?", "title: none | text: text", true},
	} {
		t.Run(c.family+"/"+c.meta.Name, func(t *testing.T) {
			f, ok := prompts.FamilyOf(c.meta)
			require.True(t, ok)
			assert.Equal(t, c.family, f.Name)
			assert.NotEmpty(t, f.Source)
			s := prompts.Resolve(c.meta, nil, nil)
			q, err := s.Apply(prompts.Query, "how?")
			require.NoError(t, err)
			assert.Equal(t, c.query, q)
			d, err := s.Apply(prompts.Document, "text")
			require.NoError(t, err)
			assert.Equal(t, c.doc, d)
			_, has := s[prompts.Document]
			assert.Equal(t, c.hasDocPrompt, has)
			assert.Contains(t, s[prompts.Query].Source, "built-in "+c.family)
		})
	}
}

func TestNoFamily(t *testing.T) {
	for _, m := range []prompts.Meta{
		{Architecture: "bert", Name: "all-MiniLM-L6-v2"},
		{Architecture: "bert", Name: "bge-m3"},
		{Architecture: "qwen3", Name: "Qwen3 Reranker 0.6B"},
		{Architecture: "bert", Name: "e5mistral-like-but-not"},
		{Architecture: "nomic-bert-x", Name: "something"},
	} {
		_, ok := prompts.FamilyOf(m)
		assert.False(t, ok, "%+v", m)
		s := prompts.Resolve(m, nil, nil)
		got, err := s.Apply(prompts.Query, "q")
		require.NoError(t, err)
		assert.Equal(t, "q", got, "no prompt: the text as it is")
	}
}

func TestResolveOrder(t *testing.T) {
	m := prompts.Meta{Architecture: "nomic-bert", Name: "nomic-embed-text-v1.5"}
	s := prompts.Resolve(m,
		map[string]string{"query": "gguf query: ", "code": "code: "},
		map[string]string{"query": "mine: ", "clustering": ""})
	assert.Equal(t, prompts.Prompt{Name: "query", Text: "mine: ", Source: "config"}, s["query"])
	assert.Equal(t, prompts.Prompt{Name: "code", Text: "code: ", Source: "gguf"}, s["code"])
	assert.Equal(t, "search_document: ", s["document"].Text)
	_, ok := s["clustering"]
	assert.False(t, ok, "an empty override removes the prompt")
	assert.Equal(t, []string{"classification", "code", "document", "query"}, s.Names())

	_, err := s.Apply("nope", "x")
	assert.ErrorIs(t, err, prompts.ErrUnknown)
	got, err := s.Apply("", "x")
	require.NoError(t, err)
	assert.Equal(t, "x", got)
}

func TestParseOverride(t *testing.T) {
	for in, want := range map[string][2]string{
		"query=search_query: ": {"query", "search_query: "},
		"document=":            {"document", ""},
		" q =a=b":              {"q", "a=b"},
	} {
		n, text, err := prompts.ParseOverride(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, [2]string{n, text}, in)
	}
	for _, bad := range []string{"", "noequals", "=text", "a b=c"} {
		_, _, err := prompts.ParseOverride(bad)
		assert.Error(t, err, bad)
	}
}
