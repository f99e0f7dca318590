package clienttest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// TestTEIJSON drives /embed, /embed_all and /info with the JSON of
// text-embeddings-inference's OpenAPI document (it has no Go client),
// and its error shape.
func TestTEIJSON(t *testing.T) {
	f := start(t)
	code, body := f.post(t, "/embed", `{"inputs":["hello world","The quick brown fox jumps over the lazy dog."]}`)
	require.Equal(t, http.StatusOK, code, "%s", body)
	assertNear(t, f.want(t, "default", texts).Vectors, decode[[][]float32](t, body))

	code, body = f.post(t, "/embed", `{"inputs":"`+long+`","truncate":true,"truncation_direction":"Left","normalize":false,"dimensions":16}`)
	require.Equal(t, http.StatusOK, code, "%s", body)
	want := f.want(t, "default", []string{long}, embed.WithTruncation(embed.TruncateStart),
		embed.WithNormalization(embed.NormalizeNone), embed.WithDimensions(16))
	assertNear(t, want.Vectors, decode[[][]float32](t, body))

	code, body = f.post(t, "/embed", `{"inputs":"hello","normalise":false}`)
	assert.Equal(t, http.StatusBadRequest, code)
	e := decode[map[string]string](t, body)
	assert.Equal(t, "Validation", e["error_type"])
	assert.Contains(t, e["error"], `"normalise"`)

	code, body = f.post(t, "/embed", `{"inputs":"`+long+`"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, decode[map[string]string](t, body)["error"], "context")

	code, body = f.post(t, "/embed_all", `{"inputs":["hello world"]}`)
	require.Equal(t, http.StatusOK, code, "%s", body)
	tokens, err := f.engine.EmbedTokens(bg, "default", "hello world", embed.WithNormalization(embed.NormalizeNone))
	require.NoError(t, err)
	all := decode[[][][]float32](t, body)
	require.Len(t, all, 1)
	assertNear(t, tokens, all[0])

	resp, err := http.Get(f.url + "/info")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var info struct {
		ModelID        string                       `json:"model_id"`
		MaxInputLength int                          `json:"max_input_length"`
		ModelType      map[string]map[string]string `json:"model_type"`
	}
	require.NoError(t, jsonDecode(resp, &info))
	mi, err := f.engine.ModelInfo("default")
	require.NoError(t, err)
	assert.Equal(t, "default", info.ModelID)
	assert.Equal(t, mi.ContextSize, info.MaxInputLength)
	assert.Equal(t, mi.Pooling.String(), info.ModelType["embedding"]["pooling"])
}
