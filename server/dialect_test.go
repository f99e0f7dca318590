package server_test

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// TestOpenAIWithoutV1 drives the OpenAI routes with a base URL without
// /v1 (/embeddings, /models) through openai-go, the compact encodings
// of encoding_format against their rules computed here from the float
// vector, and an unknown field refused with a 400 that names it.
func TestOpenAIWithoutV1(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	c := openai.NewClient(option.WithBaseURL(f.http.URL+"/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	texts := []string{"hello world", "The quick brown fox jumps over the lazy dog."}
	want, err := f.engine.EmbedBatch(bg, "default", texts)
	require.NoError(t, err)
	params := openai.EmbeddingNewParams{Model: "default", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts}}

	res, err := c.Embeddings.New(bg, params)
	require.NoError(t, err)
	floats := make([][]float32, len(res.Data))
	for i, d := range res.Data {
		floats[i] = to32(d.Embedding)
		assert.InDeltaSlice(t, want.Vectors[i], floats[i], 1e-5)
	}
	for _, enc := range []string{"int8", "uint8", "binary", "ubinary"} {
		res, err := c.Embeddings.New(bg, params, option.WithJSONSet("encoding_format", enc))
		require.NoError(t, err, enc)
		require.Len(t, res.Data, len(texts))
		for i, d := range res.Data {
			assert.Equal(t, compactRef(enc, floats[i]), d.Embedding, "%s %d", enc, i)
		}
	}

	_, err = c.Embeddings.New(bg, params, option.WithJSONSet("truncate", true))
	var ae *openai.Error
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	assert.Equal(t, "truncate", ae.Param)
	assert.Contains(t, ae.Message, `unknown field "truncate"`)

	page, err := c.Models.List(bg)
	require.NoError(t, err)
	assert.Len(t, page.Data, len(f.engine.Models()))
	m, err := c.Models.Get(bg, "default")
	require.NoError(t, err)
	assert.Equal(t, "default", m.ID)
}

// compactRef is encoding enc of v by its stated rule (docs/api.md),
// computed independently of the server: int8 = round(127·x/‖x‖),
// uint8 = int8 + 128, the sign bits (x > 0) packed first-bit-high as
// bytes (ubinary) or bytes − 128 (binary).
func compactRef(enc string, v []float32) []float64 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	var out []float64
	switch enc {
	case "int8", "uint8":
		for _, x := range v {
			q := math.Round(127 * float64(x) / math.Sqrt(sum))
			if enc == "uint8" {
				q += 128
			}
			out = append(out, q)
		}
	default:
		out = make([]float64, (len(v)+7)/8)
		for i, x := range v {
			if x > 0 {
				out[i/8] += float64(int(1) << (7 - i%8))
			}
		}
		if enc == "binary" {
			for i := range out {
				out[i] -= 128
			}
		}
	}
	return out
}

// TestPeerErrorShapeBeforeHandler: the errors answered before a route's
// handler runs (401 without the key, 405, 415) come in the route's peer
// shape too, as its handler's own errors do.
func TestPeerErrorShapeBeforeHandler(t *testing.T) {
	f := start(t, server.Options{APIKey: "k"}, embed.Config{})
	for _, c := range []struct {
		method, path, ctype, auth string
		status                    int
		key                       string // a top-level field of the peer's error body
	}{
		{http.MethodPost, "/embed", "text/plain", "Bearer k", 415, "error_type"},
		{http.MethodGet, "/embed", "", "Bearer k", 405, "error_type"},
		{http.MethodPost, "/info", "", "Bearer k", 405, "error_type"},
		{http.MethodPost, "/api/embed", "application/json", "", 401, "error"},
		{http.MethodPost, "/api/tags", "", "Bearer k", 405, "error"},
		{http.MethodPost, "/v2/embed", "text/plain", "Bearer k", 415, "message"},
	} {
		req, err := http.NewRequest(c.method, f.http.URL+c.path, strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", c.ctype)
		req.Header.Set("Authorization", c.auth)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		resp.Body.Close()
		assert.Equal(t, c.status, resp.StatusCode, c.path)
		msg, ok := body[c.key].(string)
		assert.True(t, ok && msg != "", "%s %s: %v", c.method, c.path, body)
	}
}
