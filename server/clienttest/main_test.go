package clienttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

var bg = context.Background()

// texts are the inputs every client embeds.
var texts = []string{"hello world", "The quick brown fox jumps over the lazy dog."}

// long has more tokens than bert-mean's context.
var long = strings.Repeat("llamas graze on the high plains ", 400)

// fixture is a real server on real models: bert-mean as "default",
// nomic-bert-tiny (which has query, document, classification and
// clustering prompts) as "nomic", and the reranker fixture as "rerank".
type fixture struct {
	engine *embed.Engine
	url    string
}

func start(t *testing.T) *fixture {
	t.Helper()
	var cfg embed.Config
	cfg.Library = testenv.Library(t)
	e, err := embed.New(bg, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	require.NoError(t, e.LoadModel(bg, "default", embed.ModelConfig{ModelPath: testenv.Model(t, "bert-mean.gguf")}))
	require.NoError(t, e.LoadModel(bg, "nomic", embed.ModelConfig{ModelPath: testenv.Fixture(t, "nomic-bert-tiny")}))
	require.NoError(t, e.LoadModel(bg, "rerank", embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-rerank-tiny"), ContextSize: 512}))
	srv, err := server.New(server.Options{Engine: e, DefaultModel: "default"})
	require.NoError(t, err)
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	return &fixture{engine: e, url: h.URL}
}

// want is the engine's own answer for texts on model.
func (f *fixture) want(t *testing.T, model string, texts []string, opts ...embed.Option) *embed.Result {
	t.Helper()
	res, err := f.engine.EmbedBatch(bg, model, texts, opts...)
	require.NoError(t, err)
	return res
}

// post sends body as JSON to path and returns the status and the body.
func (f *fixture) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(f.url+path, "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// The references of the compact encodings, computed here from the float
// vector by their stated rules (docs/api.md): int8 = round(127·x/‖x‖),
// uint8 = int8 + 128, and the sign bits (x > 0) packed first-bit-high,
// ubinary as bytes and binary as bytes − 128.
func refInt8(v []float32) []int {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(math.Round(127 * float64(x) / math.Sqrt(sum)))
	}
	return out
}

func refUint8(v []float32) []int {
	out := refInt8(v)
	for i := range out {
		out[i] += 128
	}
	return out
}

func refUbinary(v []float32) []int {
	out := make([]int, (len(v)+7)/8)
	for i, x := range v {
		if x > 0 {
			out[i/8] |= 1 << (7 - i%8)
		}
	}
	return out
}

func refBinary(v []float32) []int {
	out := refUbinary(v)
	for i := range out {
		out[i] -= 128
	}
	return out
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// assertNear checks got against the engine's own vectors: the same
// model on the same texts, batched with other requests' texts or not, so
// equal up to float rounding.
func assertNear(t *testing.T, want, got [][]float32, msg ...any) {
	t.Helper()
	if !assert.Len(t, got, len(want), msg...) {
		return
	}
	for i := range want {
		if assert.Len(t, got[i], len(want[i]), msg...) {
			for j := range want[i] {
				assert.InDelta(t, want[i][j], got[i][j], 1e-5, msg...)
			}
		}
	}
}
