package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// captured is a slog.Handler that keeps every record it handles.
type captured struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}

// access returns the access-log lines ("request") as maps of their fields.
func (c *captured) access() []map[string]slog.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range c.records {
		if r.Message != "request" {
			continue
		}
		m := map[string]slog.Value{}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
		out = append(out, m)
	}
	return out
}

// TestAccessLog checks the access-log line of an embedding request, a
// request refused by validation, an unknown model and a path without a
// route: every field, from a captured slog handler.
func TestAccessLog(t *testing.T) {
	h := &captured{}
	f := start(t, server.Options{Logger: slog.New(h)}, embed.Config{})
	body := `{"input":["hello world","hello world again"],"model":"default"}`
	status, _, _ := post(t, f.http.URL+"/v1/embeddings", body)
	require.Equal(t, 200, status)
	status, _, _ = post(t, f.http.URL+"/v1/embeddings", `{"input":""}`)
	require.Equal(t, 400, status)
	status, _, _ = post(t, f.http.URL+"/v1/embeddings", `{"input":"x","model":"no-such-model"}`)
	require.Equal(t, 404, status)
	status, _, _ = post(t, f.http.URL+"/no/such/path/42", `{}`)
	require.Equal(t, 404, status)

	lines := h.access()
	require.Len(t, lines, 4)
	ok := lines[0]
	assert.Equal(t, "/v1/embeddings", ok["route"].String())
	assert.Equal(t, "POST", ok["method"].String())
	assert.Equal(t, "openai", ok["dialect"].String())
	assert.Equal(t, "default", ok["model"].String())
	assert.Equal(t, int64(200), ok["status"].Int64())
	assert.Equal(t, int64(2), ok["inputs"].Int64())
	assert.Positive(t, ok["tokens"].Int64())
	assert.Positive(t, ok["evaluation"].Duration())
	assert.Equal(t, slog.KindDuration, ok["queue_wait"].Kind())
	assert.GreaterOrEqual(t, ok["duration"].Duration(), ok["evaluation"].Duration())
	assert.Equal(t, int64(len(body)), ok["bytes_in"].Int64())
	assert.Positive(t, ok["bytes_out"].Int64())

	bad := lines[1]
	assert.Equal(t, int64(400), bad["status"].Int64())
	assert.Equal(t, int64(0), bad["tokens"].Int64(), "refused before the engine")
	assert.Equal(t, "/v1/embeddings", bad["route"].String())

	assert.Equal(t, int64(404), lines[2]["status"].Int64())
	assert.Equal(t, "no-such-model", lines[2]["model"].String(), "the log names what was asked for")

	assert.Equal(t, "unmatched", lines[3]["route"].String(), "never the raw path")
	assert.Equal(t, "other", lines[3]["dialect"].String())
	assert.Equal(t, int64(404), lines[3]["status"].Int64())

	// A model name past the field limit is refused (400) and not copied
	// into the log (nor a span): a 16 MB body must not make a 16 MB line.
	long := strings.Repeat("A", 200_000)
	for path, body := range map[string]string{
		"/api/embed": `{"input":"x","model":"%s"}`,
		"/classify":  `{"input":"x","model":"%s"}`,
		"/v2/embed":  `{"texts":["x"],"input_type":"search_query","model":"%s"}`,
	} {
		status, out := postRaw(t, f.http.URL+path, fmt.Sprintf(body, long))
		require.Equal(t, 400, status, path)
		require.Contains(t, string(out), "longer than", path)
		got := h.access()
		assert.Zero(t, len(got[len(got)-1]["model"].String()), path)
	}
}

// scrape parses the server's /metrics page with Prometheus' own text
// parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// sample returns the metric of fam whose labels are exactly labels.
func sample(t *testing.T, fam *dto.MetricFamily, labels map[string]string) *dto.Metric {
	t.Helper()
	require.NotNil(t, fam)
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) == len(labels) {
			match := true
			for k, v := range labels {
				match = match && got[k] == v
			}
			if match {
				return m
			}
		}
	}
	t.Fatalf("%s has no sample %v", fam.GetName(), labels)
	return nil
}

// TestMetricsLabels scrapes /metrics after embedding requests on two
// models, a refused one, an unknown model and unrouted paths: counts by
// route, model and code; histograms of request time, queue wait,
// evaluation and tokens by route and model; and labels bounded (an
// unknown model is "other", an unrouted path "unmatched", whatever the
// client sent).
func TestMetricsLabels(t *testing.T) {
	f := start(t, server.Options{}, embed.Config{})
	url := f.http.URL + "/v1/embeddings"
	for range 3 {
		status, _, _ := post(t, url, `{"input":["hello world","hello world"]}`)
		require.Equal(t, 200, status)
	}
	status, _, _ := post(t, url, `{"input":"hello","model":"qwen"}`)
	require.Equal(t, 200, status)
	status, _, _ = post(t, url, `{"input":""}`)
	require.Equal(t, 400, status)
	for _, m := range []string{"nope-1", "nope-2"} {
		status, _, _ = post(t, url, `{"input":"x","model":"`+m+`"}`)
		require.Equal(t, 404, status)
	}
	for _, p := range []string{"/a", "/b/c"} {
		status, _, _ = post(t, f.http.URL+p, `{}`)
		require.Equal(t, 404, status)
	}

	fams := scrape(t, f.http.URL)
	req := fams["embellama_requests_total"]
	route := "/v1/embeddings"
	assert.Equal(t, 3.0, sample(t, req, map[string]string{"route": route, "model": "default", "code": "200"}).GetCounter().GetValue())
	assert.Equal(t, 1.0, sample(t, req, map[string]string{"route": route, "model": "qwen", "code": "200"}).GetCounter().GetValue())
	assert.Equal(t, 1.0, sample(t, req, map[string]string{"route": route, "model": "default", "code": "400"}).GetCounter().GetValue())
	assert.Equal(t, 2.0, sample(t, req, map[string]string{"route": route, "model": "other", "code": "404"}).GetCounter().GetValue())
	assert.Equal(t, 2.0, sample(t, req, map[string]string{"route": "unmatched", "model": "", "code": "404"}).GetCounter().GetValue())
	for _, m := range req.GetMetric() {
		for _, l := range m.GetLabel() {
			assert.NotContains(t, []string{"nope-1", "nope-2", "/a", "/b/c"}, l.GetValue(), "a client's value became a label")
		}
	}

	def := map[string]string{"route": route, "model": "default"}
	assert.Equal(t, uint64(4), sample(t, fams["embellama_request_duration_seconds"], def).GetHistogram().GetSampleCount(), "3 answered, 1 refused")
	for _, name := range []string{"embellama_queue_wait_seconds", "embellama_evaluation_seconds", "embellama_request_tokens"} {
		assert.Equal(t, uint64(3), sample(t, fams[name], def).GetHistogram().GetSampleCount(), "%s: the requests the engine evaluated", name)
	}
	tokens := sample(t, fams["embellama_request_tokens"], def).GetHistogram()
	assert.Equal(t, 0.0, float64(int(tokens.GetSampleSum()))-tokens.GetSampleSum(), "whole tokens")
	assert.Positive(t, tokens.GetSampleSum())
	assert.Positive(t, sample(t, fams["embellama_evaluation_seconds"], def).GetHistogram().GetSampleSum())
}

// TestModelsKind checks /v1/models on an embedding model, a reranker and
// a classifier: kind, dimensions only for the embedding model, the
// classifier's labels, and created as the model file's modification time.
func TestModelsKind(t *testing.T) {
	var cfg embed.Config
	cfg.Library = testenv.Library(t)
	e, err := embed.New(bg, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	paths := map[string]string{"emb": testenv.Fixture(t, "bert-mean-tiny"), "rank": testenv.Fixture(t, "bert-rerank-tiny"),
		"cls": testenv.Fixture(t, "bert-classify-tiny")}
	for name, p := range paths {
		require.NoError(t, e.LoadModel(bg, name, embed.ModelConfig{ModelPath: p, ContextSize: 512}))
	}
	srv, err := server.New(server.Options{Engine: e, DefaultModel: "emb"})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	for name, want := range map[string]struct {
		kind   string
		dim    bool
		labels []string
	}{"emb": {"embedding", true, nil}, "rank": {"reranker", false, nil}, "cls": {"classifier", false, []string{"negative", "neutral", "positive"}}} {
		var m map[string]any
		getJSON(t, hs.URL+"/v1/models/"+name, &m)
		assert.Equal(t, want.kind, m["kind"], name)
		_, hasDim := m["dimensions"]
		assert.Equal(t, want.dim, hasDim, "%s: dimensions only on an embedding model", name)
		if want.labels != nil {
			assert.Equal(t, []any{"negative", "neutral", "positive"}, m["labels"])
		}
		fi := statT(t, paths[name])
		assert.Equal(t, float64(fi), m["created"], name)
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	getJSON(t, hs.URL+"/v1/models", &list)
	kinds := map[string]any{}
	for _, m := range list.Data {
		kinds[m["id"].(string)] = m["kind"]
	}
	assert.Equal(t, map[string]any{"emb": "embedding", "rank": "reranker", "cls": "classifier"}, kinds)
	assert.True(t, strings.HasPrefix(hs.URL, "http://127.0.0.1"))
}
