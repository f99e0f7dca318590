package server_test

import (
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// routeBodies are a valid body of each route with a body, as maps that a
// case adds its fields to.
func routeBodies() map[string]map[string]any {
	return map[string]map[string]any{
		"/v1/embeddings":        {"input": "hello world"},
		"/v1/embeddings/chunks": {"input": "hello world, and more words", "chunking": map[string]any{"size": 8}},
		"/v1/rerank":            {"model": "rerank", "query": "a query", "documents": []string{"a document"}},
		"/tokenize":             {"content": "hello"},
		"/detokenize":           {"tokens": []int{101, 102}},
	}
}

// TestOneValidation: every client error is a 4xx with the field as its
// param, decided before anything is evaluated, by one validation that
// holds on every route that has the field; an echoed value is cut to
// 256 bytes, so a 10 MB name does not come back (issue 26.7).
func TestOneValidation(t *testing.T) {
	e, h := startRetrieval(t)
	huge, long := strings.Repeat("m", 10<<20), strings.Repeat("n", 1000)
	vectors := []string{"/v1/embeddings", "/v1/embeddings/chunks"}
	prompted := []string{"/v1/embeddings", "/v1/embeddings/chunks", "/tokenize"}
	all := []string{"/v1/embeddings", "/v1/embeddings/chunks", "/v1/rerank", "/tokenize", "/detokenize"}
	for _, tt := range []struct {
		name   string
		routes []string
		set    map[string]any
		status int
		param  string
	}{
		{"encoding_format base65", vectors, map[string]any{"encoding_format": "base65"}, 400, "encoding_format"},
		{"encoding_format a number", vectors, map[string]any{"encoding_format": 7}, 400, "encoding_format"},
		{"dimensions 0", vectors, map[string]any{"dimensions": 0}, 400, "dimensions"},
		{"dimensions -1", vectors, map[string]any{"dimensions": -1}, 400, "dimensions"},
		{"dimensions past the model's", vectors, map[string]any{"dimensions": 100000}, 400, "dimensions"},
		{"dimensions a string", vectors, map[string]any{"dimensions": "8"}, 400, "dimensions"},
		{"dimensions a fraction", vectors, map[string]any{"dimensions": 1.5}, 400, "dimensions"},
		{"model of 10 MB", all, map[string]any{"model": huge}, 400, "model"},
		{"unknown model of 1000 bytes", all, map[string]any{"model": long}, 404, "model"},
		{"model a number", all, map[string]any{"model": 3}, 400, "model"},
		{"prompt_name of 10 MB", prompted, map[string]any{"prompt_name": huge}, 400, "prompt_name"},
		{"unknown prompt_name of 1000 bytes", prompted, map[string]any{"prompt_name": long}, 400, "prompt_name"},
		{"a reranker for vectors", vectors, map[string]any{"model": "rerank"}, 400, "model"},
		{"an embedding model to rerank", []string{"/v1/rerank"}, map[string]any{"model": "default"}, 400, "model"},
		{"documents and texts", []string{"/v1/rerank"}, map[string]any{"texts": []string{"other"}}, 400, "documents"},
		{"top_n -1", []string{"/v1/rerank"}, map[string]any{"top_n": -1}, 400, "top_n"},
		{"truncate a string", []string{"/v1/rerank"}, map[string]any{"truncate": "yes"}, 400, "truncate"},
		{"chunk size 0", []string{"/v1/embeddings/chunks"}, map[string]any{"chunking": map[string]any{"size": 0}}, 400, "chunking"},
		{"chunk size 2^63-1", []string{"/v1/embeddings/chunks"}, map[string]any{"chunking": map[string]any{"size": math.MaxInt64}}, 400, "chunking"},
		{"chunk size past the context", []string{"/v1/embeddings/chunks"}, map[string]any{"chunking": map[string]any{"size": 100000}}, 400, "chunking"},
		{"overlap = size", []string{"/v1/embeddings/chunks"}, map[string]any{"chunking": map[string]any{"size": 8, "overlap": 8}}, 400, "chunking"},
		{"chunk size a string", []string{"/v1/embeddings/chunks"}, map[string]any{"chunking": map[string]any{"size": "8"}}, 400, "chunking"},
	} {
		for _, route := range tt.routes {
			t.Run(tt.name+" "+route, func(t *testing.T) {
				before := batches(t, e.Stats)
				body := maps.Clone(routeBodies()[route])
				maps.Copy(body, tt.set)
				b, err := json.Marshal(body)
				require.NoError(t, err)
				status, er, _, raw := do(t, http.MethodPost, h.URL+route, string(b), "Content-Type", jsonType)
				assert.Equal(t, tt.status, status, "%.300s", raw)
				if assert.NotNil(t, er.Error.Param, "%.300s", raw) {
					assert.Equal(t, tt.param, *er.Error.Param, "%.300s", raw)
				}
				assert.Less(t, len(raw), 1500, "an echoed value is cut: %.300s…", raw)
				for _, goText := range []string{"Go struct", "unmarshal", "json:", "embed:"} {
					assert.NotContains(t, er.Error.Message, goText)
				}
				if tt.name == "documents and texts" {
					assert.Contains(t, er.Error.Message, "documents")
					assert.Contains(t, er.Error.Message, "texts")
				}
				assert.Equal(t, before, batches(t, e.Stats), "nothing was evaluated")
			})
		}
	}
	for route, body := range routeBodies() {
		b, _ := json.Marshal(body)
		status, _, _, raw := do(t, http.MethodPost, h.URL+route, string(b), "Content-Type", jsonType)
		assert.Equal(t, 200, status, "the base body of %s is valid: %.300s", route, raw)
	}
}

// batches sums the batches both models of startRetrieval have evaluated.
func batches(t *testing.T, stats func(string) (embed.Stats, error)) uint64 {
	t.Helper()
	var n uint64
	for _, m := range []string{"default", "rerank"} {
		st, err := stats(m)
		require.NoError(t, err)
		n += st.Batches
	}
	return n
}
