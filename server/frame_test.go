package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// postRoutes are the routes with a body, dialects included, with a valid
// body of each.
var postRoutes = map[string]string{
	"/v1/embeddings":        `{"input":"a"}`,
	"/v1/embeddings/chunks": `{"input":"a","chunking":{"size":8}}`,
	"/v1/rerank":            `{"query":"q","documents":["a"]}`,
	"/rerank":               `{"query":"q","texts":["a"]}`,
	"/v1/reranking":         `{"query":"q","documents":[{"text":"a"}]}`,
	"/reranking":            `{"query":"q","documents":["a"]}`,
	"/tokenize":             `{"content":"a"}`,
	"/detokenize":           `{"tokens":[1]}`,
}

// TestFrameEveryRoute: every route with a body passes the same frame,
// in the same order: admission (413 on a declared length over the
// limit), the body, the engine's ability (501 before the body is
// decoded), decoding (400 naming the byte), then the operation.
func TestFrameEveryRoute(t *testing.T) {
	const limit = 1 << 10
	big := fmt.Sprintf(`{"x":"%s"}`, strings.Repeat("a", limit))
	for route, body := range postRoutes {
		retrieval := route != "/v1/embeddings"
		t.Run(route, func(t *testing.T) {
			for _, tt := range []struct {
				name      string
				retriever bool
				body      string
				status    int
				code, msg string
			}{
				{"valid", true, body, 200, "", ""},
				{"too large", true, big, 413, "request_too_large", "exceeds 1024 bytes"},
				{"not JSON", true, `{"model":`, 400, "", "not valid JSON: it ends at byte 9"},
				{"no retriever, valid", false, body, 501, "not_implemented", ""},
				{"no retriever, not JSON", false, `{"model":`, 501, "not_implemented", ""},
				{"no retriever, too large", false, big, 413, "request_too_large", ""},
			} {
				if !retrieval && !tt.retriever {
					continue // /v1/embeddings needs no Retriever
				}
				t.Run(tt.name, func(t *testing.T) {
					var engine server.Engine = newFake("default")
					if tt.retriever {
						engine = &fakeRetriever{fakeEngine: newFake("default")}
					}
					s, err := server.New(server.Options{Engine: engine, MaxBodyBytes: limit})
					require.NoError(t, err)
					status, e, _, raw := do(t, http.MethodPost, httptestServer(t, s)+route, tt.body, "Content-Type", jsonType)
					require.Equal(t, tt.status, status, raw)
					if tt.code != "" && assert.NotNil(t, e.Error.Code, raw) {
						assert.Equal(t, tt.code, *e.Error.Code)
					}
					assert.Contains(t, e.Error.Message, tt.msg)
				})
			}
		})
	}
}

// TestDetokenizeInvalidToken: the mapper names detokenize's token list
// as a whole, not as tokens[0], whichever way the engine wraps the error.
func TestDetokenizeInvalidToken(t *testing.T) {
	for _, err := range []error{
		&embed.InputError{Err: embed.ErrInvalidToken},
		fmt.Errorf("%w: 99999", embed.ErrInvalidToken),
	} {
		f := &fakeRetriever{fakeEngine: newFake("default"), callErr: err}
		s, nerr := server.New(server.Options{Engine: f})
		require.NoError(t, nerr)
		status, e, _, raw := do(t, http.MethodPost, httptestServer(t, s)+"/detokenize", `{"tokens":[99999]}`, "Content-Type", jsonType)
		assert.Equal(t, 400, status, raw)
		assert.Equal(t, "a token id is outside the model's vocabulary", e.Error.Message)
		if assert.NotNil(t, e.Error.Param) {
			assert.Equal(t, "tokens", *e.Error.Param)
		}
	}
}

// TestTimeoutEveryRoute: a request whose operation outlasts
// Options.Timeout answers 503 timeout on every route, also when the
// engine's call cannot be interrupted (a tokenization takes no
// context): review round 3, R7, /tokenize answered 200 after 1.55 s
// under -timeout 50ms.
func TestTimeoutEveryRoute(t *testing.T) {
	const timeout, delay = 50 * time.Millisecond, 300 * time.Millisecond
	for route, body := range postRoutes {
		t.Run(route, func(t *testing.T) {
			f := &fakeRetriever{fakeEngine: newFake("default"), delay: delay}
			base := f.embed
			f.embed = func(ctx context.Context, n int) (*embed.Result, error) {
				time.Sleep(delay) // an engine that ignores its context
				return base(ctx, n)
			}
			s, err := server.New(server.Options{Engine: f, Timeout: timeout})
			require.NoError(t, err)
			status, e, _, raw := do(t, http.MethodPost, httptestServer(t, s)+route, body, "Content-Type", jsonType)
			require.Equal(t, 503, status, raw)
			if assert.NotNil(t, e.Error.Code, raw) {
				assert.Equal(t, "timeout", *e.Error.Code)
			}
		})
	}
}
