package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// TestLateChunkingNotAdditive checks that late chunking a text the
// tokenizer does not split at word boundaries (SentencePiece's space
// prefix) is a client error on the chunking field: it answered 500 in
// issue 26.
func TestLateChunkingNotAdditive(t *testing.T) {
	e, err := embed.New(bg, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.Library(t)}})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	require.NoError(t, e.LoadModel(bg, "spm", embed.ModelConfig{ModelPath: testenv.Model(t, "stories260K.gguf"),
		ContextSize: 256, Pooling: embed.PoolingLast}))
	srv, err := server.New(server.Options{Engine: e})
	require.NoError(t, err)
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	var apiErr server.ErrorResponse
	assert.Equal(t, http.StatusBadRequest, postJSON(t, h.URL+"/v1/embeddings/chunks", map[string]any{
		"input": "Lily saw a big dog. The dog was happy.", "chunking": map[string]any{"size": 4, "late": true}}, &apiErr))
	require.NotNil(t, apiErr.Error.Param)
	assert.Equal(t, "chunking", *apiErr.Error.Param)
	assert.Contains(t, apiErr.Error.Message, "input[0]")
	assert.Contains(t, apiErr.Error.Message, "late chunking")
}
