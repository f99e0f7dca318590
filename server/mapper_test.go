package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// fakeRetriever is a fakeEngine with the retrieval routes, whose calls
// fail with callErr, or succeed with inputErr as the first input's error.
type fakeRetriever struct {
	*fakeEngine
	callErr, inputErr error
	delay             time.Duration // every call takes it, whatever its context
}

func (f *fakeRetriever) Rerank(_ context.Context, _, _ string, docs []string, _ ...embed.Option) (*embed.RerankResult, error) {
	time.Sleep(f.delay)
	if f.callErr != nil {
		return nil, f.callErr
	}
	r := &embed.RerankResult{Items: make([]embed.RerankItem, len(docs))}
	r.Items[0].Err = f.inputErr
	return r, nil
}

func (f *fakeRetriever) EmbedChunks(_ context.Context, _ string, docs []string, _ embed.ChunkOptions, _ ...embed.Option) (*embed.ChunkResult, error) {
	time.Sleep(f.delay)
	if f.callErr != nil {
		return nil, f.callErr
	}
	r := &embed.ChunkResult{Errors: make([]error, len(docs))}
	r.Errors[0] = f.inputErr
	return r, nil
}

func (f *fakeRetriever) TokenizeWith(string, string, embed.TokenizeOptions) ([]int32, error) {
	time.Sleep(f.delay)
	return []int32{1}, f.callErr
}

func (f *fakeRetriever) TokenPieces(string, []int32) ([]string, error) {
	time.Sleep(f.delay)
	return []string{"a"}, f.callErr
}

func (f *fakeRetriever) Detokenize(string, []int32, bool) (string, error) {
	time.Sleep(f.delay)
	return "a", f.callErr
}

// TestErrorMapperEveryRoute: one mapping turns each engine error into the
// same status on every route: an ErrInvalidOption-class error (late
// chunking on a tokenizer that is not additive among them) is the
// client's 400, never a 500; a too-long input whose token count the
// engine does not know is not reported as "0 tokens" (issue 26.7).
func TestErrorMapperEveryRoute(t *testing.T) {
	invalid := fmt.Errorf("%w: late chunking needs an additive tokenizer", embed.ErrInvalidOption)
	routes := map[string]string{
		"/v1/embeddings":        `{"input":"a"}`,
		"/v1/embeddings/chunks": `{"input":"a","chunking":{"size":8,"late":true}}`,
		"/v1/rerank":            `{"query":"q","documents":["a"]}`,
		"/tokenize":             `{"content":"a"}`,
		"/detokenize":           `{"tokens":[1]}`,
	}
	for _, tt := range []struct {
		name           string
		callErr, inErr error
		status         int
		param          string
		routes         []string
		notInMessage   string
	}{
		{"invalid option", invalid, nil, 400, "", []string{"/v1/embeddings", "/v1/embeddings/chunks", "/v1/rerank", "/tokenize", "/detokenize"}, "embed:"},
		{"not additive, for the call", embed.ErrNotAdditive, nil, 400, "chunking", []string{"/v1/embeddings/chunks"}, "embed:"},
		{"not additive, for an input", nil, &embed.InputError{Index: 0, Err: embed.ErrNotAdditive}, 400, "chunking", []string{"/v1/embeddings/chunks"}, "embed:"},
		{"invalid option, for an input", nil, &embed.InputError{Index: 0, Err: invalid}, 400, "input", []string{"/v1/embeddings/chunks"}, "embed:"},
		{"invalid option, for an input, bare", nil, invalid, 400, "input", []string{"/v1/embeddings/chunks"}, "embed:"},
		{"invalid option, for an input, bare", nil, invalid, 400, "documents", []string{"/v1/rerank"}, "embed:"},
		{"too long, count unknown", nil, &embed.InputError{Index: 0, Limit: 512, Err: embed.ErrTooLong}, 400, "documents", []string{"/v1/rerank"}, "0 tokens"},
		{"too long, count unknown", nil, &embed.InputError{Index: 0, Limit: 512, Err: embed.ErrTooLong}, 400, "input", []string{"/v1/embeddings/chunks"}, "0 tokens"},
		{"internal", errors.New("boom"), nil, 500, "", []string{"/v1/embeddings", "/v1/embeddings/chunks", "/v1/rerank", "/tokenize", "/detokenize"}, "boom"},
	} {
		for _, route := range tt.routes {
			t.Run(tt.name+" "+route, func(t *testing.T) {
				f := &fakeRetriever{fakeEngine: newFake("default"), callErr: tt.callErr, inputErr: tt.inErr}
				if tt.callErr != nil {
					f.embed = func(context.Context, int) (*embed.Result, error) { return nil, tt.callErr }
				}
				opts := server.Options{Engine: f}
				s, err := server.New(opts)
				require.NoError(t, err)
				hs := httptestServer(t, s)
				status, e, _, raw := do(t, http.MethodPost, hs+route, routes[route], "Content-Type", jsonType)
				assert.Equal(t, tt.status, status, raw)
				if tt.param == "" {
					assert.Nil(t, e.Error.Param, raw)
				} else if assert.NotNil(t, e.Error.Param, raw) {
					assert.Equal(t, tt.param, *e.Error.Param, raw)
				}
				assert.NotContains(t, e.Error.Message, tt.notInMessage)
			})
		}
	}
}

// httptestServer serves h on 127.0.0.1 for the test and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}
