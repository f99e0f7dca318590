package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

var bg = context.Background()

type fixture struct {
	engine *embed.Engine
	srv    *server.Server
	http   *httptest.Server
}

// start serves bert-mean (as "default") and qwen3-last (as "qwen").
func start(t *testing.T, opts server.Options, cfg embed.Config) *fixture {
	t.Helper()
	f := &fixture{}
	cfg.Library = testenv.Library(t)
	e, err := embed.New(bg, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	mc := cfg.ModelConfig
	mc.ModelPath = testenv.Model(t, "bert-mean.gguf")
	require.NoError(t, e.LoadModel(bg, "default", mc))
	mc.ModelPath, mc.ContextSize = testenv.Model(t, "qwen3-last.gguf"), 2048
	require.NoError(t, e.LoadModel(bg, "qwen", mc))
	opts.Engine = e
	f.engine = e
	f.srv, err = server.New(opts)
	require.NoError(t, err)
	f.http = httptest.NewServer(f.srv)
	t.Cleanup(f.http.Close)
	return f
}

func (f *fixture) client(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(f.http.URL + "/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0)}, opts...)...)
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestOpenAIClient calls the server with the official openai-go client:
// a string, an array of strings, token ids, and base64; every vector is
// compared with the engine's own and with llama.cpp's reference.
func TestOpenAIClient(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	c := f.client()
	ref := map[string][]float64{}
	for _, r := range testenv.LoadReference(t, "bert-mean") {
		ref[r.Text] = r.Want
	}
	texts := []string{"hello world", "The quick brown fox jumps over the lazy dog."}

	res, err := c.Embeddings.New(bg, openai.EmbeddingNewParams{
		Model: "default",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(texts[0])},
	})
	require.NoError(t, err)
	require.Len(t, res.Data, 1)
	assert.Equal(t, "default", res.Model)
	assert.Equal(t, int64(4), res.Usage.PromptTokens)
	assert.Equal(t, int64(4), res.Usage.TotalTokens)
	assert.GreaterOrEqual(t, testenv.Cosine(to32(res.Data[0].Embedding), ref[texts[0]]), 0.9999)

	res, err = c.Embeddings.New(bg, openai.EmbeddingNewParams{
		Model: "default",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
	})
	require.NoError(t, err)
	require.Len(t, res.Data, 2)
	for i, d := range res.Data {
		assert.Equal(t, int64(i), d.Index)
		own, err := f.engine.Embed(bg, "default", texts[i])
		require.NoError(t, err)
		assert.InDeltaSlice(t, own, to32(d.Embedding), 1e-3, "the library's own vector")
		assert.GreaterOrEqual(t, testenv.Cosine(to32(d.Embedding), ref[texts[i]]), 0.9999, "llama.cpp's reference")
	}

	toks, err := f.engine.Tokenize("default", texts[1])
	require.NoError(t, err)
	ids := make([]int64, len(toks))
	for i, id := range toks {
		ids[i] = int64(id)
	}
	res, err = c.Embeddings.New(bg, openai.EmbeddingNewParams{
		Model: "default",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{ids, ids[:3]}},
	})
	require.NoError(t, err)
	require.Len(t, res.Data, 2)
	assert.GreaterOrEqual(t, testenv.Cosine(to32(res.Data[0].Embedding), ref[texts[1]]), 0.9999, "token ids embed as the text")
	res, err = c.Embeddings.New(bg, openai.EmbeddingNewParams{
		Model: "default",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: ids},
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, testenv.Cosine(to32(res.Data[0].Embedding), ref[texts[1]]), 0.9999)

	res, err = c.Embeddings.New(bg, openai.EmbeddingNewParams{
		Model:          "qwen",
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
		Dimensions:     openai.Int(32),
	})
	require.NoError(t, err)
	require.Len(t, res.Data, 2)
	for i, d := range res.Data {
		var s string
		require.NoError(t, json.Unmarshal([]byte(d.JSON.Embedding.Raw()), &s))
		v, err := server.DecodeBase64(s)
		require.NoError(t, err)
		own, err := f.engine.Embed(bg, "qwen", texts[i], embed.WithDimensions(32))
		require.NoError(t, err)
		assert.InDeltaSlice(t, own, v, 1e-3)
		assert.Len(t, v, 32)
	}
}

func post(t *testing.T, url, body string, header ...string) (int, server.ErrorResponse, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e server.ErrorResponse
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e, resp.Header
}

func TestErrorStatuses(t *testing.T) {
	f := start(t, server.Options{MaxBodyBytes: 4096, MaxInputs: 8, MaxRequestTokens: 100}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	tests := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"not JSON", `{"input":`, 400, "", "not valid JSON"},
		{"no input", `{"model":"default"}`, 400, "", "input is required"},
		{"empty array", `{"input":[]}`, 400, "", "empty array"},
		{"mixed array", `{"input":["a",1]}`, 400, "", "input[1] must be a string"},
		{"empty text", `{"input":["ok",""]}`, 400, "", "input[1] is empty"},
		{"white space", `{"input":"  "}`, 400, "", "input[0] is empty"},
		{"no content token", `{"input":["ok","\u200b\ufeff"]}`, 400, "", "input[1] is empty"},
		{"negative token", `{"input":[1,-2]}`, 400, "", "not a token id"},
		{"float token", `{"input":[[1.5]]}`, 400, "", "not a token id"},
		{"token outside vocabulary", `{"input":[[101,99999]]}`, 400, "", "outside the model's vocabulary"},
		{"bad encoding", `{"input":"x","encoding_format":"hex"}`, 400, "", "encoding_format"},
		{"bad dimensions", `{"input":"x","dimensions":0}`, 400, "", "dimensions"},
		{"too many dimensions", `{"input":"x","dimensions":1000}`, 400, "", "dimensions"},
		{"request tokens over the limit", `{"input":"` + strings.Repeat("hello ", 120) + `", "model":"default"}`, 413, "too_many_tokens", "at most 100"},
		{"unknown model", `{"input":"x","model":"gpt-4"}`, 404, "model_not_found", "is not loaded"},
		{"too many inputs", `{"input":["a","b","c","d","e","f","g","h","i"]}`, 413, "too_many_inputs", "at most 8"},
		{"body too large", `{"input":"` + strings.Repeat("a", 5000) + `"}`, 413, "request_too_large", "4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e, _ := post(t, url, tt.body)
			assert.Equal(t, tt.status, status)
			assert.Contains(t, e.Error.Message, tt.msg)
			assert.NotEmpty(t, e.Error.Type)
			if tt.code != "" {
				require.NotNil(t, e.Error.Code)
				assert.Equal(t, tt.code, *e.Error.Code)
			}
			assert.NotContains(t, e.Error.Message, "/", "no file paths in errors")
		})
	}

	// A single text over the model's context (bert: 512) is a 400.
	g := start(t, server.Options{}, embed.Config{})
	status, e, _ := post(t, g.http.URL+"/v1/embeddings", `{"input":"`+strings.Repeat("hello ", 600)+`"}`)
	assert.Equal(t, 400, status)
	require.NotNil(t, e.Error.Code)
	assert.Equal(t, "context_length_exceeded", *e.Error.Code)

	// Unknown routes answer in the same shape.
	status, e, _ = post(t, f.http.URL+"/v2/nothing", `{}`)
	assert.Equal(t, 404, status)
	assert.NotEmpty(t, e.Error.Message)
}

func TestAPIKey(t *testing.T) {
	f := start(t, server.Options{APIKey: "s3cret"}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	status, e, h := post(t, url, `{"input":"x"}`)
	assert.Equal(t, 401, status)
	assert.Equal(t, "invalid_api_key", *e.Error.Code)
	assert.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
	status, _, _ = post(t, url, `{"input":"x"}`, "Authorization", "Bearer wrong")
	assert.Equal(t, 401, status)
	status, _, _ = post(t, url, `{"input":"x"}`, "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, status)

	good, bad := f.client(option.WithAPIKey("s3cret")), f.client()
	_, err := good.Embeddings.New(bg, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}, Model: "default"})
	assert.NoError(t, err)
	_, err = bad.Embeddings.New(bg, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}, Model: "default"})
	assert.Error(t, err)

	resp, err := http.Get(f.http.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "health needs no key")
}

func TestOverloaded(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{ModelConfig: embed.ModelConfig{MaxQueue: 20}})
	url := f.http.URL + "/v1/embeddings"
	texts := make([]string, 21)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i) // distinct: repeated texts are queued once
	}
	b, _ := json.Marshal(map[string]any{"input": texts})
	status, e, h := post(t, url, string(b))
	assert.Equal(t, 429, status)
	assert.Equal(t, "rate_limit_error", e.Error.Type)
	assert.Equal(t, "1", h.Get("Retry-After"))
	b, _ = json.Marshal(map[string]any{"input": texts[:20]})
	status, _, _ = post(t, url, string(b))
	assert.Equal(t, 200, status)
}

func TestHealthAndModels(t *testing.T) {
	f := start(t, server.Options{Models: []string{"default", "qwen", "later"}}, embed.Config{})
	resp, err := http.Get(f.http.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode, "not ready until every model named in Options.Models is loaded")
	status, e, h := post(t, f.http.URL+"/v1/embeddings", `{"input":"x","model":"later"}`)
	assert.Equal(t, 503, status, "a model still loading is a server condition")
	assert.Equal(t, "model_loading", *e.Error.Code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	status, _, _ = post(t, f.http.URL+"/v1/embeddings", `{"input":"x","model":"qwen"}`)
	assert.Equal(t, 200, status, "the loaded models are served meanwhile")
	require.NoError(t, f.engine.LoadModel(bg, "later", embed.ModelConfig{ModelPath: testenv.Model(t, "bert-mean.gguf")}))
	resp, err = http.Get(f.http.URL + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "ready once loaded, with no call to make")
	require.NoError(t, f.engine.UnloadModel("later"))

	c := f.client()
	page, err := c.Models.List(bg)
	require.NoError(t, err)
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		assert.Equal(t, "model", string(m.Object))
	}
	assert.Equal(t, []string{"default", "qwen"}, ids)
}

func TestMetrics(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for range 3 {
		status, _, _ := post(t, url, `{"input":["hello world","hello world"]}`)
		require.Equal(t, 200, status)
	}
	status, _, _ := post(t, url, `{"input":""}`)
	require.Equal(t, 400, status)

	resp, err := http.Get(f.http.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	assert.Contains(t, text, `embellama_requests_total{code="200",model="default",route="/v1/embeddings"} 3`)
	assert.Contains(t, text, `embellama_requests_total{code="400",model="default",route="/v1/embeddings"} 1`)
	assert.Contains(t, text, "embellama_inputs_total 7")
	assert.Contains(t, text, "embellama_tokens_total 24", "3 requests of 2 texts of 4 tokens")
	assert.Contains(t, text, `embellama_request_duration_seconds_count{model="default",route="/v1/embeddings"} 4`)
	assert.Contains(t, text, "embellama_queue_depth 0")
	assert.Regexp(t, `embellama_batch_sequences_count [1-9]`, text)
}

// TestDynamicBatching sends 32 single-text requests at once: they must
// share decode batches, and each must get its own text's vector.
func TestDynamicBatching(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	before, err := f.engine.Stats("default")
	require.NoError(t, err)
	c := f.client()
	var wg sync.WaitGroup
	vecs := make([][]float64, 32)
	errs := make([]error, 32)
	for i := range 32 {
		wg.Go(func() {
			res, err := c.Embeddings.New(bg, openai.EmbeddingNewParams{Model: "default",
				Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(fmt.Sprintf("request number %d", i))}})
			if err == nil {
				vecs[i] = res.Data[0].Embedding
			}
			errs[i] = err
		})
	}
	wg.Wait()
	after, err := f.engine.Stats("default")
	require.NoError(t, err)
	for i := range 32 {
		require.NoError(t, errs[i])
		own, err := f.engine.Embed(bg, "default", fmt.Sprintf("request number %d", i))
		require.NoError(t, err)
		assert.InDeltaSlice(t, own, to32(vecs[i]), 1e-3, "request %d got its own vector", i)
	}
	batches := after.Batches - before.Batches
	t.Logf("32 requests in %d batches", batches)
	assert.Less(t, batches, uint64(32), "requests shared batches")
}

// TestGracefulShutdown starts requests, then shuts the server down: every
// request accepted before the shutdown completes with 200.
func TestGracefulShutdown(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	ctx, cancel := context.WithCancel(bg)
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- f.srv.ListenAndServe(ctx, "127.0.0.1:0", 30*time.Second, func(a net.Addr) { addrc <- a })
	}()
	url := "http://" + (<-addrc).String() + "/v1/embeddings"

	texts := make([]string, 60)
	for i := range texts {
		texts[i] = fmt.Sprintf("document %d %s", i, strings.Repeat("words ", 30))
	}
	body, _ := json.Marshal(map[string]any{"input": texts})
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	started := make(chan struct{}, 8)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			started <- struct{}{}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	for range statuses {
		<-started
	}
	time.Sleep(200 * time.Millisecond) // let the requests reach the handler
	cancel()
	require.NoError(t, <-done)
	wg.Wait()
	for i, s := range statuses {
		assert.Equal(t, 200, s, "request %d", i)
	}
	_, err := http.Post(url, "application/json", strings.NewReader(`{"input":"x"}`))
	assert.Error(t, err, "no longer listening")
}
