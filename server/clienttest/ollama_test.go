package clienttest_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/ollama/ollama/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// TestOllamaClient drives /api/embed, /api/embeddings, /api/tags and
// /api/show with ollama's own Go client; every vector is the engine's.
func TestOllamaClient(t *testing.T) {
	f := start(t)
	u, err := url.Parse(f.url)
	require.NoError(t, err)
	c := api.NewClient(u, http.DefaultClient)
	want := f.want(t, "default", texts)

	got, err := c.Embed(bg, &api.EmbedRequest{Model: "default", Input: texts})
	require.NoError(t, err)
	assertNear(t, want.Vectors, got.Embeddings)
	assert.Equal(t, "default", got.Model)
	assert.Equal(t, want.Tokens[0]+want.Tokens[1], got.PromptEvalCount)

	one, err := c.Embed(bg, &api.EmbedRequest{Model: "default", Input: texts[1], KeepAlive: &api.Duration{Duration: 0}})
	require.NoError(t, err)
	assertNear(t, want.Vectors[1:], one.Embeddings)

	dims := f.want(t, "default", texts[:1], embed.WithDimensions(8))
	short, err := c.Embed(bg, &api.EmbedRequest{Model: "default", Input: texts[0], Dimensions: 8})
	require.NoError(t, err)
	assertNear(t, dims.Vectors, short.Embeddings)

	// An empty input loads nothing and answers no embeddings, as ollama does.
	empty, err := c.Embed(bg, &api.EmbedRequest{Model: "default", Input: ""})
	require.NoError(t, err)
	assert.Empty(t, empty.Embeddings)

	// ollama truncates by default; truncate false refuses, in ollama's
	// error shape, which its client reads.
	cut := f.want(t, "default", []string{long}, embed.WithTruncation(embed.TruncateEnd))
	trunc, err := c.Embed(bg, &api.EmbedRequest{Model: "default", Input: long})
	require.NoError(t, err)
	assertNear(t, cut.Vectors, trunc.Embeddings)
	no := false
	_, err = c.Embed(bg, &api.EmbedRequest{Model: "default", Input: long, Truncate: &no})
	var se api.StatusError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
	assert.Contains(t, se.ErrorMessage, "context")

	_, err = c.Embed(bg, &api.EmbedRequest{Model: "nope", Input: "x"})
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, http.StatusNotFound, se.StatusCode)
	assert.Contains(t, se.ErrorMessage, `"nope"`)

	_, err = c.Embed(bg, &api.EmbedRequest{Model: "default", Input: "x", Options: map[string]any{"num_ctx": 8}})
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
	assert.Contains(t, se.ErrorMessage, "num_ctx")

	old, err := c.Embeddings(bg, &api.EmbeddingRequest{Model: "default", Prompt: texts[0]})
	require.NoError(t, err)
	assertNear(t, want.Vectors[:1], [][]float32{to32(old.Embedding)})

	list, err := c.List(bg)
	require.NoError(t, err)
	var names []string
	for _, m := range list.Models {
		names = append(names, m.Name)
	}
	assert.Equal(t, f.engine.Models(), names)
	assert.Equal(t, "gguf", list.Models[0].Details.Format)

	info, err := f.engine.ModelInfo("default")
	require.NoError(t, err)
	show, err := c.Show(bg, &api.ShowRequest{Model: "default"})
	require.NoError(t, err)
	assert.EqualValues(t, info.Dim, show.ModelInfo[info.Architecture+".embedding_length"])
	assert.EqualValues(t, info.ContextSize, show.ModelInfo[info.Architecture+".context_length"])
	assert.Equal(t, info.Architecture, show.Details.Family)
	require.Len(t, show.Capabilities, 1)
	assert.EqualValues(t, "embedding", show.Capabilities[0])
}
