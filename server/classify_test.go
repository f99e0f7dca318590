package server_test

import (
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

// classifierServer serves the classifier fixture as "cls" (the default)
// and an embedding model as "emb".
func classifierServer(t *testing.T) (*embed.Engine, string) {
	t.Helper()
	var cfg embed.Config
	cfg.Library = testenv.Library(t)
	e, err := embed.New(bg, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	require.NoError(t, e.LoadModel(bg, "cls", embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-classify-tiny"), ContextSize: 64}))
	require.NoError(t, e.LoadModel(bg, "emb", embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny")}))
	srv, err := server.New(server.Options{Engine: e, DefaultModel: "cls"})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return e, hs.URL
}

// postRaw posts body and returns the status and the raw answer.
func postRaw(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// teiPrediction is TEI's Prediction schema (docs/openapi.json):
// {"score": number, "label": string}, both required.
type teiPrediction struct {
	Score *float64 `json:"score"`
	Label *string  `json:"label"`
}

// checkPredictions checks one input's answer against TEI's schema and
// against the library: every class once, best first, the scores the
// library's probabilities (or raw outputs).
func checkPredictions(t *testing.T, got []teiPrediction, want embed.ClassifyItem, raw bool) {
	t.Helper()
	require.Len(t, got, len(want.Classes))
	byLabel := map[string]embed.ClassScore{}
	for _, c := range want.Classes {
		byLabel[c.Label] = c
	}
	for i, p := range got {
		require.NotNil(t, p.Score)
		require.NotNil(t, p.Label)
		c, ok := byLabel[*p.Label]
		require.True(t, ok, *p.Label)
		delete(byLabel, *p.Label)
		w := c.Score
		if raw {
			w = c.Raw
		}
		assert.InDelta(t, w, *p.Score, 1e-4*math.Max(1, math.Abs(w)))
		if i > 0 {
			assert.GreaterOrEqual(t, *got[i-1].Score, *p.Score, "best first, as TEI sorts")
		}
	}
}

// TestPredictTEI drives /predict with the three input forms of TEI's
// openapi.json (a string, a pair, a batch of singles and pairs), raw
// scores, and its refusals; the answers have TEI's shapes (an array of
// predictions, or an array of them per batch input) and the library's
// scores.
func TestPredictTEI(t *testing.T) {
	e, url := classifierServer(t)
	want, err := e.Classify(bg, "cls", [][]string{{"What is Deep Learning?"}, {"a question", "an answer"}})
	require.NoError(t, err)
	require.NoError(t, want.Err())

	status, b := postRaw(t, url+"/predict", `{"inputs":"What is Deep Learning?"}`)
	require.Equal(t, 200, status, string(b))
	var single []teiPrediction
	require.NoError(t, json.Unmarshal(b, &single))
	checkPredictions(t, single, want.Items[0], false)

	status, b = postRaw(t, url+"/predict", `{"inputs":["a question","an answer"],"raw_scores":true}`)
	require.Equal(t, 200, status, string(b))
	var pair []teiPrediction
	require.NoError(t, json.Unmarshal(b, &pair))
	checkPredictions(t, pair, want.Items[1], true)

	status, b = postRaw(t, url+"/predict", `{"inputs":[["What is Deep Learning?"],["a question","an answer"]],"truncate":false}`)
	require.Equal(t, 200, status, string(b))
	var batch [][]teiPrediction
	require.NoError(t, json.Unmarshal(b, &batch))
	require.Len(t, batch, 2)
	checkPredictions(t, batch[0], want.Items[0], false)
	checkPredictions(t, batch[1], want.Items[1], false)

	long := strings.Repeat("panda ", 100)
	status, _ = postRaw(t, url+"/predict", `{"inputs":"`+long+`"}`)
	assert.Equal(t, 400, status, "too long without truncate")
	for _, dir := range []string{"Right", "Left"} {
		status, b = postRaw(t, url+"/predict", `{"inputs":"`+long+`","truncate":true,"truncation_direction":"`+dir+`"}`)
		assert.Equal(t, 200, status, "%s: %s", dir, b)
	}
	for name, body := range map[string]string{
		"three strings":   `{"inputs":["a","b","c"]}`,
		"empty batch row": `{"inputs":[["a"],[]]}`,
		"empty":           `{"inputs":[]}`,
		"bad direction":   `{"inputs":"a","truncation_direction":"Up"}`,
		"left on a pair":  `{"inputs":["a","b"],"truncate":true,"truncation_direction":"Left"}`,
		"blank text":      `{"inputs":" "}`,
	} {
		status, b := postRaw(t, url+"/predict", body)
		assert.Equal(t, 400, status, "%s: %s", name, b)
	}
}

// TestClassifyRoute checks /classify (vLLM's shape) and that an
// embedding model is refused on both classification routes by name.
func TestClassifyRoute(t *testing.T) {
	e, url := classifierServer(t)
	want, err := e.Classify(bg, "cls", [][]string{{"hello"}, {"bye"}})
	require.NoError(t, err)
	status, b := postRaw(t, url+"/classify", `{"model":"cls","input":["hello","bye"]}`)
	require.Equal(t, 200, status, string(b))
	var out server.ClassifyResponse
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, "list", out.Object)
	assert.Equal(t, "cls", out.Model)
	require.Len(t, out.Data, 2)
	tokens := 0
	for i, d := range out.Data {
		it := want.Items[i]
		tokens += it.Tokens
		assert.Equal(t, i, d.Index)
		assert.Equal(t, 3, d.NumClasses)
		assert.Equal(t, it.Sorted()[0].Label, d.Label)
		for k, c := range it.Classes {
			assert.Equal(t, c.Label, d.Labels[k])
			assert.InDelta(t, c.Score, d.Probs[k], 1e-6)
		}
	}
	assert.Equal(t, tokens, out.Usage.PromptTokens)

	status, b = postRaw(t, url+"/classify", `{"model":"emb","input":"hello"}`)
	assert.Equal(t, 400, status, string(b))
	assert.Contains(t, string(b), "not a classifier")
}
