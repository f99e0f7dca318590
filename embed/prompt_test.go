package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestPrompts uses nomic-bert-tiny, which the built-in table recognizes
// by its architecture (nomic-embed: search_query: / search_document:).
func TestPrompts(t *testing.T) {
	ctx := context.Background()
	path := testenv.Fixture(t, "nomic-bert-tiny")
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: path}})
	info, err := e.ModelInfo("")
	require.NoError(t, err)
	byName := map[string]embed.PromptInfo{}
	for _, p := range info.Prompts {
		byName[p.Name] = p
	}
	assert.Equal(t, "search_query: ", byName["query"].Text)
	assert.Equal(t, "search_document: ", byName["document"].Text)
	assert.Contains(t, byName["query"].Source, "built-in nomic-embed")

	q, err := e.EmbedQuery(ctx, "", "what is a llama?")
	require.NoError(t, err)
	want, err := e.Embed(ctx, "", "search_query: what is a llama?", embed.WithPrompt(""))
	require.NoError(t, err)
	assert.Equal(t, want, q)
	d, err := e.EmbedDocuments(ctx, "", []string{"A llama is a camelid."})
	require.NoError(t, err)
	want, err = e.Embed(ctx, "", "search_document: A llama is a camelid.")
	require.NoError(t, err)
	assert.Equal(t, want, d.Vectors[0])
	assert.NotEqual(t, q, d.Vectors[0])

	// Token counts include the prompt.
	with, err := e.TokenizeWith("", "what is a llama?", embed.TokenizeOptions{AddSpecial: true, Prompt: "query"})
	require.NoError(t, err)
	direct, err := e.Tokenize("", "search_query: what is a llama?")
	require.NoError(t, err)
	assert.Equal(t, direct, with)
	r, err := e.EmbedBatch(ctx, "", []string{"what is a llama?"}, embed.WithPrompt(embed.PromptQuery))
	require.NoError(t, err)
	assert.Equal(t, len(direct), r.Tokens[0])

	_, err = e.Embed(ctx, "", "x", embed.WithPrompt("nope"))
	assert.ErrorIs(t, err, embed.ErrUnknownPrompt)
	_, err = e.TokenizeWith("", "x", embed.TokenizeOptions{Prompt: "nope"})
	assert.ErrorIs(t, err, embed.ErrUnknownPrompt)
}

func TestPromptOverrides(t *testing.T) {
	ctx := context.Background()
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "nomic-bert-tiny"), DefaultPrompt: "document"}}
	require.NoError(t, cfg.ApplyEnv(func(k string) string {
		return map[string]string{"EMBELLAMA_PROMPT_QUERY": "mine: "}[k]
	}))
	assert.Equal(t, "mine: ", cfg.Prompts["query"], "the trailing space is kept")
	e := newEngine(t, cfg)
	info, err := e.ModelInfo("")
	require.NoError(t, err)
	assert.Equal(t, "document", info.DefaultPrompt)
	for _, p := range info.Prompts {
		if p.Name == "query" {
			assert.Equal(t, embed.PromptInfo{Name: "query", Text: "mine: ", Source: "config"}, p)
		}
	}
	q, err := e.EmbedQuery(ctx, "", "hello")
	require.NoError(t, err)
	want, err := e.Embed(ctx, "", "mine: hello", embed.WithPrompt(""))
	require.NoError(t, err)
	assert.Equal(t, want, q)
	def, err := e.Embed(ctx, "", "hello")
	require.NoError(t, err)
	want, err = e.Embed(ctx, "", "search_document: hello", embed.WithPrompt(""))
	require.NoError(t, err)
	assert.Equal(t, want, def, "the default prompt applies when a call names none")

	bad := embed.Config{ModelConfig: embed.ModelConfig{Prompts: map[string]string{"a b": "x"}, DefaultPrompt: "no spaces"}}
	assert.ErrorIs(t, bad.Validate(), embed.ErrInvalidConfig)
}

// TestPromptNeverTruncated checks that truncation cuts the text, not the
// prompt, from either end.
func TestPromptNeverTruncated(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "nomic-bert-tiny"), ContextSize: 16}})
	prompt, err := e.TokenizeWith("", "", embed.TokenizeOptions{Prompt: "query"})
	require.NoError(t, err)
	require.NotEmpty(t, prompt)
	long := strings.Repeat("llamas graze on the hills ", 10)
	for _, tr := range []embed.Truncation{embed.TruncateEnd, embed.TruncateStart} {
		r, err := e.EmbedBatch(ctx, "", []string{long}, embed.WithPrompt("query"), embed.WithTruncation(tr))
		require.NoError(t, err)
		require.NoError(t, r.Err())
		assert.True(t, r.Truncated[0])
		assert.Equal(t, 16, r.Tokens[0])
		// The same vector as the tokens [CLS] prompt kept-text [SEP].
		full, err := e.TokenizeWith("", long, embed.TokenizeOptions{AddSpecial: true, Prompt: "query"})
		require.NoError(t, err)
		body := full[1+len(prompt) : len(full)-1]
		keep := 16 - 2 - len(prompt)
		kept := body[:keep]
		if tr == embed.TruncateStart {
			kept = body[len(body)-keep:]
		}
		ids := append(append(append([]int32{full[0]}, prompt...), kept...), full[len(full)-1])
		want, err := e.EmbedBatchTokens(ctx, "", [][]int32{ids})
		require.NoError(t, err)
		assert.Equal(t, want.Vectors[0], r.Vectors[0], "%v: the prompt is kept whole", tr)
	}
	_, err = e.Embed(ctx, "", long, embed.WithPrompt("query"))
	assert.ErrorIs(t, err, embed.ErrTooLong)
}
