package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// do sends a request with a raw body and headers, and returns the status,
// the decoded error (if the body is one), the headers and the raw body.
func do(t *testing.T, method, url, body string, header ...string) (int, server.ErrorResponse, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e server.ErrorResponse
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e, resp.Header, string(b)
}

const jsonType = "application/json"

// TestContentType: only JSON bodies are accepted, so that a web page
// cannot POST to a local server without a CORS preflight (issue 17.3).
func TestContentType(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for _, tt := range []struct {
		ctype  string
		status int
	}{
		{"application/json", 200},
		{"application/json; charset=utf-8", 200},
		{"Application/JSON; charset=UTF-8", 200},
		{"", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/json; charset=latin1", 415},
		{"application/jsonx", 415},
	} {
		t.Run(tt.ctype, func(t *testing.T) {
			var h []string
			if tt.ctype != "" {
				h = []string{"Content-Type", tt.ctype}
			}
			status, e, _, _ := do(t, http.MethodPost, url, `{"input":"hello"}`, h...)
			assert.Equal(t, tt.status, status)
			if status == 415 {
				require.NotNil(t, e.Error.Code)
				assert.Equal(t, "unsupported_media_type", *e.Error.Code)
			}
		})
	}
}

// TestMethods: a known route with the wrong method answers 405 with
// Allow, in OpenAI's error shape, not 404 (issue 17.3).
func TestMethods(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	for _, tt := range []struct {
		method, path, allow string
	}{
		{http.MethodGet, "/v1/embeddings", "POST"},
		{http.MethodPut, "/v1/embeddings", "POST"},
		{http.MethodPost, "/v1/models", "GET, HEAD"},
		{http.MethodDelete, "/v1/models/default", "GET, HEAD"},
		{http.MethodPost, "/health", "GET, HEAD"},
		{http.MethodPost, "/metrics", "GET, HEAD"},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			status, e, h, _ := do(t, tt.method, f.http.URL+tt.path, `{}`, "Content-Type", jsonType)
			assert.Equal(t, 405, status)
			assert.Equal(t, tt.allow, h.Get("Allow"))
			assert.NotEmpty(t, e.Error.Message)
		})
	}
	status, _, _, _ := do(t, http.MethodGet, f.http.URL+"/v2/nothing", "")
	assert.Equal(t, 404, status, "an unknown path is still a 404")
}

// TestInvalidUTF8 sends bytes that Go's JSON decoder silently turns into
// U+FFFD: the server must refuse them, not embed a changed text (17.7).
func TestInvalidUTF8(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for _, tt := range []struct {
		name, body, msg string
		status          int
	}{
		{"raw invalid byte", "{\"input\":\"ok \xff\"}", "input[0] is not valid UTF-8", 400},
		{"raw invalid byte in an array", "{\"input\":[\"fine\",\"bad \xc3\"]}", "input[1] is not valid UTF-8", 400},
		{"lone high surrogate", `{"input":"\ud800"}`, "input[0]", 400},
		{"lone low surrogate", `{"input":["a","x\udc00y"]}`, "input[1]", 400},
		{"reversed pair", `{"input":"\ude00\ud83d"}`, "input[0]", 400},
		{"high surrogate then a letter", `{"input":"\ud83dA"}`, "input[0]", 400},
		{"invalid UTF-8 in the model name", "{\"input\":\"x\",\"model\":\"\xff\"}", "model", 400},
		{"a valid pair", `{"input":"smile \ud83d\ude00"}`, "", 200},
		{"raw valid UTF-8", `{"input":"café 😀"}`, "", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, e, _, body := do(t, http.MethodPost, url, tt.body, "Content-Type", jsonType)
			assert.Equal(t, tt.status, status, body)
			if tt.status == 400 {
				assert.Contains(t, e.Error.Message, tt.msg)
				assert.NotNil(t, e.Error.Param)
			}
		})
	}
}

// TestBearerScheme: the authentication scheme is case-insensitive (RFC
// 9110 §11.1), the key is not (17.8).
func TestBearerScheme(t *testing.T) {
	f := start(t, server.Options{APIKey: "s3cret"}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for _, tt := range []struct {
		header string
		status int
	}{
		{"Bearer s3cret", 200},
		{"bearer s3cret", 200},
		{"BEARER s3cret", 200},
		{"Bearer  s3cret", 200},
		{"Bearer S3CRET", 401},
		{"Basic s3cret", 401},
		{"s3cret", 401},
		{"Bearer", 401},
	} {
		status, _, _, _ := do(t, http.MethodPost, url, `{"input":"x"}`, "Content-Type", jsonType, "Authorization", tt.header)
		assert.Equal(t, tt.status, status, tt.header)
	}
}

// TestHealthHidesModels: with an API key, the model names are given only
// to clients that present it, on /health as on /v1/models (17.8).
func TestHealthHidesModels(t *testing.T) {
	f := start(t, server.Options{APIKey: "s3cret"}, embed.Config{})
	status, _, _, body := do(t, http.MethodGet, f.http.URL+"/health", "")
	assert.Equal(t, 200, status)
	assert.NotContains(t, body, "qwen", "no model names without the key")
	status, _, _, body = do(t, http.MethodGet, f.http.URL+"/health", "", "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, "qwen", "model names with the key")
	status, _, _, _ = do(t, http.MethodGet, f.http.URL+"/v1/models", "")
	assert.Equal(t, 401, status)
}

// TestTokenLimitBeforeEvaluation: token-id input over -max-tokens is
// refused before anything is evaluated, with a 413 even when evaluating
// it would have run past the timeout (17.2).
func TestTokenLimitBeforeEvaluation(t *testing.T) {
	f := start(t, server.Options{MaxRequestTokens: 1000, MaxInputs: 100_000, Timeout: 300 * time.Millisecond}, embed.Config{ModelConfig: embed.ModelConfig{MaxQueue: 1 << 20}})
	url := f.http.URL + "/v1/embeddings"
	ids := make([][]int, 5000)
	for i := range ids {
		ids[i] = make([]int, 100)
		for k := range ids[i] {
			ids[i][k] = 1000 + (i+k)%500
		}
	}
	before, err := f.engine.Stats("default")
	require.NoError(t, err)
	for name, input := range map[string]any{"flat": ids[0][:50], "arrays": ids} {
		if name == "flat" {
			flat := make([]int, 0, 5000)
			for _, a := range ids[:50] {
				flat = append(flat, a...)
			}
			input = flat
		}
		b, _ := json.Marshal(map[string]any{"input": input})
		status, e, _, _ := do(t, http.MethodPost, url, string(b), "Content-Type", jsonType)
		assert.Equal(t, 413, status, name)
		require.NotNil(t, e.Error.Code, name)
		assert.Equal(t, "too_many_tokens", *e.Error.Code, name)
	}
	after, err := f.engine.Stats("default")
	require.NoError(t, err)
	assert.Equal(t, before.Batches, after.Batches, "nothing was evaluated")
}

// TestFieldErrors: a wrong field answers like OpenAI, naming the field
// and what was expected, with param set, and no Go decoder text (18.7).
func TestFieldErrors(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for _, tt := range []struct {
		body, param, msg string
	}{
		{`{"input":"x","dimensions":"8"}`, "dimensions", "dimensions must be a positive integer"},
		{`{"input":"x","dimensions":1.5}`, "dimensions", "dimensions must be a positive integer"},
		{`{"input":"x","model":7}`, "model", "model must be a string"},
		{`{"input":"x","encoding_format":true}`, "encoding_format", "encoding_format must be"},
		{`{"input":{"a":1}}`, "input", "input must be a string, an array of strings"},
		{`{"input":["a",[1]]}`, "input", "input[1] must be a string"},
		{`{"input":[[1],"a"]}`, "input", "input[1] must be an array of token ids"},
		{`{"input":"x","user":1}`, "user", "user must be a string"},
	} {
		t.Run(tt.body, func(t *testing.T) {
			status, e, _, _ := do(t, http.MethodPost, url, tt.body, "Content-Type", jsonType)
			assert.Equal(t, 400, status)
			require.NotNil(t, e.Error.Param)
			assert.Equal(t, tt.param, *e.Error.Param)
			assert.Contains(t, e.Error.Message, tt.msg)
			for _, goText := range []string{"Go struct", "unmarshal", "json:", "embed:"} {
				assert.NotContains(t, e.Error.Message, goText)
			}
		})
	}
}

// TestUnknownModelListsLoaded: the error names the loaded models and has
// no Go package prefix (18.7).
func TestUnknownModelListsLoaded(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	status, e, _, _ := do(t, http.MethodPost, f.http.URL+"/v1/embeddings", `{"input":"x","model":"text-embedding-3-small"}`, "Content-Type", jsonType)
	assert.Equal(t, 404, status)
	assert.Contains(t, e.Error.Message, `"text-embedding-3-small"`)
	assert.Contains(t, e.Error.Message, "default, qwen")
	assert.NotContains(t, e.Error.Message, "embed:")
}

// TestRetrieveModel: GET /v1/models/{id}, OpenAI's retrieve-model route
// (18.7).
func TestRetrieveModel(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	status, _, _, body := do(t, http.MethodGet, f.http.URL+"/v1/models/qwen", "")
	require.Equal(t, 200, status, body)
	var m struct {
		ID, Object string
		Dim        int `json:"dimensions"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	assert.Equal(t, "qwen", m.ID)
	assert.Equal(t, "model", m.Object)
	info, err := f.engine.ModelInfo("qwen")
	require.NoError(t, err)
	assert.Equal(t, info.Dim, m.Dim)
	status, e, _, _ := do(t, http.MethodGet, f.http.URL+"/v1/models/gpt-4", "")
	assert.Equal(t, 404, status)
	require.NotNil(t, e.Error.Code)
	assert.Equal(t, "model_not_found", *e.Error.Code)
}

// TestStreamingLimits: an oversized request is refused at the first
// limit it crosses, whatever comes after it in the body (17.2).
func TestStreamingLimits(t *testing.T) {
	f := start(t, server.Options{MaxInputs: 10, MaxRequestTokens: 50}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	many := `{"input":[` + strings.Repeat(`"a",`, 20) + `"a"]}`
	status, e, _, _ := do(t, http.MethodPost, url, many, "Content-Type", jsonType)
	assert.Equal(t, 413, status)
	assert.Equal(t, "too_many_inputs", *e.Error.Code)
	// The limit is crossed before the syntax error at the end is read.
	status, e, _, _ = do(t, http.MethodPost, url, `{"input":[`+strings.Repeat(`"a",`, 20)+`!!!`, "Content-Type", jsonType)
	assert.Equal(t, 413, status)
	assert.Equal(t, "too_many_inputs", *e.Error.Code)
	status, e, _, _ = do(t, http.MethodPost, url, `{"input":[`+strings.Repeat(`1,`, 60)+`!!!`, "Content-Type", jsonType)
	assert.Equal(t, 413, status)
	assert.Equal(t, "too_many_tokens", *e.Error.Code)
	status, _, _, _ = do(t, http.MethodPost, url, fmt.Sprintf(`{"input":[%s1]}`, strings.Repeat(`1,`, 40)), "Content-Type", jsonType)
	assert.Equal(t, 200, status, "under both limits")
}

// TestHugeTextRefusedBeforeTokenizing: a text over MaxInputBytes (1 MiB
// by default) is refused as it is read, without tokenizing it, which
// for one 8 MB word took 12 s, past any -timeout (17.2).
func TestHugeTextRefusedBeforeTokenizing(t *testing.T) {
	f := start(t, server.Options{Timeout: 2 * time.Second}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	before, err := f.engine.Stats("default")
	require.NoError(t, err)
	for _, body := range []string{
		`{"input":"` + strings.Repeat("a", 8<<20) + `"}`,
		`{"input":["ok","` + strings.Repeat("word ", 300_000) + `"]}`,
	} {
		status, e, _, _ := do(t, http.MethodPost, url, body, "Content-Type", jsonType)
		assert.Equal(t, 413, status)
		require.NotNil(t, e.Error.Code)
		assert.Equal(t, "input_too_large", *e.Error.Code)
	}
	after, err := f.engine.Stats("default")
	require.NoError(t, err)
	assert.Equal(t, before.Batches, after.Batches, "nothing was evaluated")
}
