package clienttest_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	cohere "github.com/cohere-ai/cohere-go/v2"
	cohereclient "github.com/cohere-ai/cohere-go/v2/client"
	"github.com/cohere-ai/cohere-go/v2/core"
	"github.com/cohere-ai/cohere-go/v2/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

func cohereClient(f *fixture) *cohereclient.Client {
	return cohereclient.NewClient(option.WithBaseURL(f.url), option.WithToken("unused"), option.WithMaxAttempts(1))
}

// TestCohereEmbed drives /v2/embed with Cohere's Go client: every
// embedding type of one call, each against its reference computed here
// from the engine's float vector; input_type choosing the model's
// prompts; truncate NONE refused in Cohere's error shape.
func TestCohereEmbed(t *testing.T) {
	f := start(t)
	co := cohereClient(f)
	types := []cohere.EmbeddingType{cohere.EmbeddingTypeFloat, cohere.EmbeddingTypeInt8, cohere.EmbeddingTypeUint8,
		cohere.EmbeddingTypeBinary, cohere.EmbeddingTypeUbinary}
	resp, err := co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: texts, Model: "default",
		InputType: cohere.EmbedInputTypeSearchDocument, EmbeddingTypes: types})
	require.NoError(t, err)
	want := f.want(t, "default", texts, embed.WithPrompt("document"))
	got := resp.Embeddings
	require.Len(t, got.Float, len(texts))
	for i := range want.Vectors {
		v := to32(got.Float[i]) // the references are computed from the answer's own floats
		assertNear(t, want.Vectors[i:i+1], [][]float32{v}, "float %d", i)
		assert.Equal(t, refInt8(v), got.Int8[i], "int8 %d", i)
		assert.Equal(t, refUint8(v), got.Uint8[i], "uint8 %d", i)
		assert.Equal(t, refBinary(v), got.Binary[i], "binary %d", i)
		assert.Equal(t, refUbinary(v), got.Ubinary[i], "ubinary %d", i)
		assert.Len(t, got.Binary[i], (len(v)+7)/8)
	}
	assert.Equal(t, texts, resp.Texts)
	require.NotNil(t, resp.Meta)
	assert.EqualValues(t, want.Tokens[0]+want.Tokens[1], *resp.Meta.BilledUnits.InputTokens)

	// input_type picks the prompt of that task: nomic's search_query:,
	// classification: and clustering: prompts.
	for it, prompt := range map[cohere.EmbedInputType]string{
		cohere.EmbedInputTypeSearchQuery: "query", cohere.EmbedInputTypeSearchDocument: "document",
		cohere.EmbedInputTypeClassification: "classification", cohere.EmbedInputTypeClustering: "clustering",
	} {
		r, err := co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: texts[:1], Model: "nomic", InputType: it})
		require.NoError(t, err, it)
		assertNear(t, f.want(t, "nomic", texts[:1], embed.WithPrompt(prompt)).Vectors, [][]float32{to32(r.Embeddings.Float[0])}, it)
	}

	q, err := co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: texts[:1], Model: "nomic", InputType: cohere.EmbedInputTypeSearchQuery})
	require.NoError(t, err)
	d, err := co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: texts[:1], Model: "nomic", InputType: cohere.EmbedInputTypeSearchDocument})
	require.NoError(t, err)
	assert.NotEqual(t, q.Embeddings.Float, d.Embeddings.Float, "the input types reach different prompts")

	// Cohere cuts at the end by default; NONE refuses.
	cut := f.want(t, "default", []string{long}, embed.WithTruncation(embed.TruncateEnd))
	r, err := co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: []string{long}, Model: "default"})
	require.NoError(t, err)
	assertNear(t, cut.Vectors, [][]float32{to32(r.Embeddings.Float[0])})
	start := f.want(t, "default", []string{long}, embed.WithTruncation(embed.TruncateStart))
	r, err = co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: []string{long}, Model: "default", Truncate: cohere.V2EmbedRequestTruncateStart.Ptr()})
	require.NoError(t, err)
	assertNear(t, start.Vectors, [][]float32{to32(r.Embeddings.Float[0])})
	_, err = co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: []string{long}, Model: "default", Truncate: cohere.V2EmbedRequestTruncateNone.Ptr()})
	var ae *core.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Contains(t, err.Error(), "context")

	// A bad output_dimension is named as the client sent it.
	for _, dims := range []int{0, 100000} {
		_, err = co.V2.Embed(bg, &cohere.V2EmbedRequest{Texts: texts[:1], Model: "default", OutputDimension: &dims})
		require.True(t, errors.As(err, &ae), "%v", err)
		assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
		assert.Contains(t, err.Error(), "output_dimension", dims)
		assert.NotContains(t, strings.ReplaceAll(err.Error(), "output_dimension", ""), "dimensions", dims)
	}
}

// TestCohereRerank drives /v2/rerank with Cohere's Go client against
// the engine's own scores.
func TestCohereRerank(t *testing.T) {
	f := start(t)
	query := "What do llamas eat?"
	docs := []string{"Llamas eat grass and hay.", "The stock market fell today.", "Alpacas and llamas graze on plains."}
	lib, err := f.engine.Rerank(bg, "rerank", query, docs)
	require.NoError(t, err)
	top := 2
	resp, err := cohereClient(f).V2.Rerank(bg, &cohere.V2RerankRequest{Model: "rerank", Query: query, Documents: docs, TopN: &top})
	require.NoError(t, err)
	sorted := lib.Sorted(top)
	require.Len(t, resp.Results, top)
	for i, it := range sorted {
		assert.Equal(t, it.Index, resp.Results[i].Index)
		assert.InDelta(t, it.Score, resp.Results[i].RelevanceScore, 1e-12)
	}
}
