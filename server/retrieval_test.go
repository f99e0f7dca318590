package server_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// startRetrieval serves the reranker fixture as "rerank" and the
// nomic-bert fixture (built-in prompts) as "default".
func startRetrieval(t *testing.T, opts ...server.Options) (*embed.Engine, *httptest.Server) {
	t.Helper()
	e, err := embed.New(bg, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.Library(t)}})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	require.NoError(t, e.LoadModel(bg, "default", embed.ModelConfig{ModelPath: testenv.Fixture(t, "nomic-bert-tiny"), ContextSize: 512}))
	require.NoError(t, e.LoadModel(bg, "rerank", embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-rerank-tiny"), ContextSize: 512}))
	o := server.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Engine = e
	srv, err := server.New(o)
	require.NoError(t, err)
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	return e, h
}

func postJSON(t *testing.T, url string, body any, out any) int {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

type goldenPairs struct {
	Pairs []struct {
		Query, Document string
		Score           float64
	} `json:"pairs"`
}

// TestRerankHTTP checks /v1/rerank in the Cohere/Jina shape (through
// openai-go's raw call, as an OpenAI-stack client would make it), and
// /rerank in text-embeddings-inference's shape against llama.cpp's scores.
func TestRerankHTTP(t *testing.T) {
	e, h := startRetrieval(t)
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "golden", "bert-rerank-tiny.json"))
	require.NoError(t, err)
	var g goldenPairs
	require.NoError(t, json.Unmarshal(b, &g))
	query := g.Pairs[0].Query
	var docs []string
	var want []float64
	for _, p := range g.Pairs {
		if p.Query == query {
			docs, want = append(docs, p.Document), append(want, p.Score)
		}
	}
	lib, err := e.Rerank(bg, "rerank", query, docs)
	require.NoError(t, err)

	client := openai.NewClient(option.WithBaseURL(h.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	var cohere server.RerankResponse
	require.NoError(t, client.Post(bg, "rerank", map[string]any{
		"model": "rerank", "query": query, "documents": docs, "top_n": 3, "return_documents": true,
	}, &cohere))
	assert.Equal(t, "rerank", cohere.Model)
	require.Len(t, cohere.Results, 3)
	best := lib.Sorted(3)
	for i, r := range cohere.Results {
		assert.Equal(t, best[i].Index, r.Index)
		assert.InDelta(t, best[i].Score, r.RelevanceScore, 1e-12)
		require.NotNil(t, r.Document)
		assert.Equal(t, docs[r.Index], r.Document.Text)
	}
	assert.Positive(t, cohere.Usage.TotalTokens)

	// Jina-style documents as objects, through /rerank.
	var objs []map[string]string
	for _, d := range docs {
		objs = append(objs, map[string]string{"text": d})
	}
	var jina server.RerankResponse
	require.Equal(t, 200, postJSON(t, h.URL+"/rerank", map[string]any{"model": "rerank", "query": query, "documents": objs}, &jina))
	require.Len(t, jina.Results, len(docs))
	assert.Nil(t, jina.Results[0].Document)

	// TEI: a bare array; raw_scores gives llama.cpp's logits.
	var tei []server.TEIRankedDocument
	require.Equal(t, 200, postJSON(t, h.URL+"/rerank", map[string]any{"model": "rerank", "query": query, "texts": docs, "raw_scores": true, "return_text": true}, &tei))
	require.Len(t, tei, len(docs))
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(w))
	}
	for _, r := range tei {
		// At its defaults a reranker is deterministic with flash attention,
		// whose F16 keys and values keep it within 2.5e-3 of llama.cpp's
		// exact scores (embed's TestRerankGolden).
		assert.LessOrEqual(t, math.Abs(r.Score-want[r.Index])/math.Max(math.Abs(want[r.Index]), scale), 2.5e-3, "document %d vs llama.cpp", r.Index)
		require.NotNil(t, r.Text)
		assert.Equal(t, docs[r.Index], *r.Text)
	}

	var apiErr server.ErrorResponse
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/rerank", map[string]any{"model": "default", "query": "q", "documents": []string{"d"}}, &apiErr))
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/rerank", map[string]any{"model": "rerank", "query": "q", "documents": []string{}}, &apiErr))
	long := strings.Repeat("panda ", 600)
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/rerank", map[string]any{"model": "rerank", "query": "q", "documents": []string{"ok", long}}, &apiErr))
	require.NotNil(t, apiErr.Error.Code)
	assert.Equal(t, "context_length_exceeded", *apiErr.Error.Code)
	var ok server.RerankResponse
	assert.Equal(t, 200, postJSON(t, h.URL+"/v1/rerank", map[string]any{"model": "rerank", "query": "q", "documents": []string{"ok", long}, "truncate": true}, &ok))
}

func TestTokenizeHTTP(t *testing.T) {
	e, h := startRetrieval(t)
	var tok struct{ Tokens []int32 }
	require.Equal(t, 200, postJSON(t, h.URL+"/tokenize", map[string]any{"content": "hello world", "add_special": true}, &tok))
	want, err := e.Tokenize("", "hello world")
	require.NoError(t, err)
	assert.Equal(t, want, tok.Tokens)

	var withPrompt struct{ Tokens []int32 }
	require.Equal(t, 200, postJSON(t, h.URL+"/tokenize", map[string]any{"content": "hello world", "prompt_name": "query"}, &withPrompt))
	direct, err := e.TokenizeWith("", "search_query: hello world", embed.TokenizeOptions{})
	require.NoError(t, err)
	assert.Equal(t, direct, withPrompt.Tokens)

	var pieces struct {
		Tokens []struct {
			ID    int32
			Piece any
		}
	}
	require.Equal(t, 200, postJSON(t, h.URL+"/tokenize", map[string]any{"content": "hello world", "with_pieces": true}, &pieces))
	require.Len(t, pieces.Tokens, 2)
	assert.Equal(t, "hello", strings.TrimSpace(pieces.Tokens[0].Piece.(string)))

	var detok struct{ Content string }
	require.Equal(t, 200, postJSON(t, h.URL+"/detokenize", map[string]any{"tokens": want[1 : len(want)-1]}, &detok))
	assert.Equal(t, "hello world", strings.TrimSpace(detok.Content))
	assert.Equal(t, 400, postJSON(t, h.URL+"/detokenize", map[string]any{"tokens": []int{-5}}, nil))
}

func TestEmbeddingsPromptAndChunksHTTP(t *testing.T) {
	e, h := startRetrieval(t)
	client := openai.NewClient(option.WithBaseURL(h.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	var out server.EmbeddingResponse
	require.NoError(t, client.Post(bg, "embeddings", map[string]any{"input": "what is a llama?", "prompt_name": "query"}, &out))
	var got []float32
	require.NoError(t, json.Unmarshal(out.Data[0].Embedding, &got))
	want, err := e.EmbedQuery(bg, "", "what is a llama?")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	var apiErr server.ErrorResponse
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/embeddings", map[string]any{"input": "x", "prompt_name": "nope"}, &apiErr))
	assert.Equal(t, "prompt_name", *apiErr.Error.Param)

	doc := strings.Repeat("Llamas live in the Andes. They eat grass and hay. ", 12)
	var chunks server.ChunkResponse
	require.Equal(t, 200, postJSON(t, h.URL+"/v1/embeddings/chunks", map[string]any{
		"input": []string{doc}, "chunking": map[string]any{"size": 32, "overlap": 8}, "prompt_name": "document"}, &chunks))
	lib, err := e.EmbedChunks(bg, "", []string{doc}, embed.ChunkOptions{Size: 32, Overlap: 8}, embed.WithPrompt("document"))
	require.NoError(t, err)
	require.Len(t, chunks.Data, len(lib.Chunks))
	for i, c := range chunks.Data {
		l := lib.Chunks[i]
		assert.Equal(t, [5]int{l.Doc, l.Index, l.Start, l.End, l.Tokens}, [5]int{c.Index, c.Chunk, c.Start, c.End, c.Tokens})
		var v []float32
		require.NoError(t, json.Unmarshal(c.Embedding, &v))
		assert.Equal(t, l.Vector, v)
	}
	// A chunking error names the chunking field; another call-level
	// error keeps its own.
	apiErr = server.ErrorResponse{}
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/embeddings/chunks", map[string]any{"input": doc, "chunking": map[string]any{"size": 8, "overlap": 8}}, &apiErr))
	require.NotNil(t, apiErr.Error.Param)
	assert.Equal(t, "chunking", *apiErr.Error.Param)
	apiErr = server.ErrorResponse{}
	assert.Equal(t, 400, postJSON(t, h.URL+"/v1/embeddings/chunks", map[string]any{"input": doc, "chunking": map[string]any{"size": 8}, "dimensions": 99999}, &apiErr))
	assert.Contains(t, apiErr.Error.Message, "dimensions")
	if apiErr.Error.Param != nil {
		assert.NotEqual(t, "chunking", *apiErr.Error.Param)
	}
}

// TestRetrievalLimits checks that the retrieval routes resolve aliases
// and refuse over-long texts before tokenizing them, as /v1/embeddings
// does.
func TestRetrievalLimits(t *testing.T) {
	_, h := startRetrieval(t, server.Options{Aliases: map[string]string{"ranker": "rerank"}, MaxInputBytes: 100})
	long := strings.Repeat("word ", 40)
	var ok struct {
		Results []struct{ Index int } `json:"results"`
	}
	require.Equal(t, http.StatusOK, postJSON(t, h.URL+"/v1/rerank", map[string]any{"model": "ranker", "query": "q", "documents": []string{"a", "b"}}, &ok))
	assert.Len(t, ok.Results, 2, "an alias names the reranker")
	tests := []struct {
		path string
		body map[string]any
	}{
		{"/v1/rerank", map[string]any{"model": "rerank", "query": long, "documents": []string{"a"}}},
		{"/v1/rerank", map[string]any{"model": "rerank", "query": "q", "documents": []string{"a", long}}},
		{"/tokenize", map[string]any{"content": long}},
		{"/v1/embeddings/chunks", map[string]any{"input": long, "chunking": map[string]any{"size": 8}}},
	}
	for _, tt := range tests {
		var e server.ErrorResponse
		assert.Equal(t, http.StatusRequestEntityTooLarge, postJSON(t, h.URL+tt.path, tt.body, &e), tt.path)
		require.NotNil(t, e.Error.Code, tt.path)
		assert.Equal(t, "input_too_large", *e.Error.Code, tt.path)
	}
	var e server.ErrorResponse
	assert.Equal(t, http.StatusNotFound, postJSON(t, h.URL+"/tokenize", map[string]any{"model": "nope", "content": "a"}, &e))
}

// TestRequestTokenLimitEveryRoute checks that MaxRequestTokens bounds the
// tokens of a request on every route that evaluates text: under the limit
// each answers 200 (rerank answered 400 "takes no max total tokens
// option" whenever the limit was set), over it 413.
func TestRequestTokenLimitEveryRoute(t *testing.T) {
	_, h := startRetrieval(t, server.Options{MaxRequestTokens: 64})
	many := strings.Repeat("panda bamboo ", 20)
	tests := []struct {
		path       string
		small, big map[string]any
	}{
		{"/v1/embeddings", map[string]any{"model": "default", "input": "a panda"}, map[string]any{"model": "default", "input": []string{many, many}}},
		{"/v1/rerank", map[string]any{"model": "rerank", "query": "q", "documents": []string{"a", "b"}}, map[string]any{"model": "rerank", "query": "q", "documents": []string{many, many}}},
		{"/v1/embeddings/chunks", map[string]any{"model": "default", "input": "a panda", "chunking": map[string]any{"size": 8}}, map[string]any{"model": "default", "input": []string{many, many}, "chunking": map[string]any{"size": 8}}},
	}
	for _, tt := range tests {
		var e server.ErrorResponse
		assert.Equal(t, http.StatusOK, postJSON(t, h.URL+tt.path, tt.small, nil), tt.path)
		assert.Equal(t, http.StatusRequestEntityTooLarge, postJSON(t, h.URL+tt.path, tt.big, &e), tt.path)
		if assert.NotNil(t, e.Error.Code, tt.path) {
			assert.Equal(t, "too_many_tokens", *e.Error.Code, tt.path)
		}
	}
}
