package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// widePieces is a retriever whose every token is 128 bytes of text, as
// token 56940 of Qwen3's vocabulary (128 spaces) is: the answer of
// /detokenize or /tokenize with_pieces is then 64 times its body.
type widePieces struct {
	*fakeEngine
	built atomic.Int64 // bytes of text built by Detokenize and TokenPieces
}

const wide = 128

func (f *widePieces) Rerank(context.Context, string, string, []string, ...embed.Option) (*embed.RerankResult, error) {
	return nil, nil
}

func (f *widePieces) EmbedChunks(context.Context, string, []string, embed.ChunkOptions, ...embed.Option) (*embed.ChunkResult, error) {
	return nil, nil
}

func (f *widePieces) TokenizeWith(_, text string, _ embed.TokenizeOptions) ([]int32, error) {
	return make([]int32, len(text)), nil // a token a byte
}

func (f *widePieces) TokenPieces(_ string, tokens []int32) ([]string, error) {
	f.built.Add(int64(wide * len(tokens)))
	out := make([]string, len(tokens))
	for i := range out {
		out[i] = strings.Repeat(" ", wide)
	}
	return out, nil
}

func (f *widePieces) Detokenize(_ string, tokens []int32, _ bool) (string, error) {
	f.built.Add(int64(wide * len(tokens)))
	return strings.Repeat(" ", wide*len(tokens)), nil
}

// TestAnswerBounded: an answer built from token ids (/detokenize's text,
// /tokenize's pieces) is refused with 413 once its text passes
// MaxBodyBytes, before it is built whole, while one within it is served
// (review round 3, R5: 15.6 MB of ids gave a 333 MB answer; three at
// once took the server to 5.5 GB).
func TestAnswerBounded(t *testing.T) {
	const limit = 64 << 10
	f := &widePieces{fakeEngine: newFake("default")}
	s, err := server.New(server.Options{Engine: f, MaxBodyBytes: limit})
	require.NoError(t, err)
	url := httptestServer(t, s)
	ids := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0,", n), ",") + "]" }
	for _, tt := range []struct {
		name, path, body string
		status           int
	}{
		{"detokenize within", "/detokenize", `{"tokens":` + ids(limit/wide) + `}`, 200},
		{"detokenize past", "/detokenize", `{"tokens":` + ids(limit/wide+1) + `}`, 413},
		{"detokenize 64 times the body", "/detokenize", `{"tokens":` + ids(limit/2-10) + `}`, 413},
		{"pieces within", "/tokenize", `{"content":"` + strings.Repeat("a", limit/wide) + `","with_pieces":true}`, 200},
		{"pieces past", "/tokenize", `{"content":"` + strings.Repeat("a", limit/4) + `","with_pieces":true}`, 413},
		{"no pieces", "/tokenize", `{"content":"` + strings.Repeat("a", limit/4) + `"}`, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.built.Store(0)
			status, e, _, body := do(t, http.MethodPost, url+tt.path, tt.body, "Content-Type", jsonType)
			require.Equal(t, tt.status, status, cut80(body))
			assert.LessOrEqual(t, f.built.Load(), int64(limit+16*wide*1024), "never built whole: at most the limit and a batch")
			if status == 413 {
				require.NotNil(t, e.Error.Code)
				assert.Equal(t, "answer_too_large", *e.Error.Code)
				assert.Contains(t, e.Error.Message, "65536")
			}
		})
	}
}
