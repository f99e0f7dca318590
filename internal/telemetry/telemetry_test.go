package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/telemetry"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// receiver is an OTLP/HTTP collector inside the test: it decodes the
// protobuf export requests posted to /v1/traces and keeps their spans.
type receiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	paths []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, err := io.ReadAll(req.Body)
	var ex coltrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &ex)
	}
	if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	for _, rs := range ex.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			r.spans = append(r.spans, ss.GetSpans()...)
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func attrs(s *tracepb.Span) map[string]any {
	m := map[string]any{}
	for _, kv := range s.GetAttributes() {
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			m[kv.GetKey()] = v.GetStringValue()
		default:
			m[kv.GetKey()] = v.GetIntValue()
		}
	}
	return m
}

// TestTracingToOTLP serves an embedding request with the tracer provider
// of Tracing pointed at a receiver in the test (by the environment
// variable, as a user sets it), and checks the span tree it receives: the
// request span (server kind, named after the route, with its attributes)
// and its children tokenize, queue and decode, in time order, inside it.
func TestTracingToOTLP(t *testing.T) {
	rec := &receiver{}
	col := httptest.NewServer(rec)
	defer col.Close()
	require.True(t, strings.HasPrefix(col.URL, "http://127.0.0.1:"))
	env := map[string]string{telemetry.EnvEndpoint: col.URL}
	ctx := context.Background()
	tp, shutdown, err := telemetry.Tracing(ctx, "", "test", func(k string) string { return env[k] })
	require.NoError(t, err)
	require.NotNil(t, tp)

	var cfg embed.Config
	cfg.Library, cfg.ModelPath = testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	e, err := embed.New(ctx, cfg)
	require.NoError(t, err)
	defer e.Close()
	srv, err := server.New(server.Options{Engine: e, TracerProvider: tp})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	req, err := http.NewRequest(http.MethodPost, hs.URL+"/v1/embeddings", strings.NewReader(`{"input":["hello world","a second text"]}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.NoError(t, shutdown(ctx)) // flushes the batch

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Contains(t, rec.paths, "/v1/traces")
	byName := map[string]*tracepb.Span{}
	for _, s := range rec.spans {
		byName[s.GetName()] = s
		t.Logf("span %q id %x parent %x %s %v", s.GetName(), s.GetSpanId(), s.GetParentSpanId(),
			time.Duration(s.GetEndTimeUnixNano()-s.GetStartTimeUnixNano()), s.GetAttributes())
	}
	root := byName["POST /v1/embeddings"]
	require.NotNil(t, root, "spans: %v", byName)
	assert.Empty(t, root.GetParentSpanId())
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, root.GetKind())
	a := attrs(root)
	assert.Equal(t, "/v1/embeddings", a["http.route"])
	assert.Equal(t, int64(200), a["http.response.status_code"])
	assert.Equal(t, "openai", a["embellama.dialect"])
	assert.Equal(t, "default", a["embellama.model"])
	assert.Equal(t, int64(2), a["embellama.inputs"])
	assert.Positive(t, a["embellama.tokens"])
	prevEnd := root.GetStartTimeUnixNano()
	for _, name := range []string{"tokenize", "queue", "decode"} {
		s := byName[name]
		require.NotNil(t, s, name)
		assert.Equal(t, root.GetTraceId(), s.GetTraceId(), name)
		assert.Equal(t, root.GetSpanId(), s.GetParentSpanId(), "%s is a child of the request", name)
		assert.GreaterOrEqual(t, s.GetStartTimeUnixNano(), prevEnd, "%s starts after the phase before it", name)
		assert.GreaterOrEqual(t, s.GetEndTimeUnixNano(), s.GetStartTimeUnixNano(), name)
		assert.LessOrEqual(t, s.GetEndTimeUnixNano(), root.GetEndTimeUnixNano(), "%s ends within the request", name)
		prevEnd = s.GetEndTimeUnixNano()
	}
	assert.Equal(t, int64(2), attrs(byName["decode"])["embellama.sequences"])
	assert.Len(t, rec.spans, 4, "one request, three phases")
}

// TestTracingOff checks that no endpoint means no provider, and that a
// malformed one is refused before anything runs.
func TestTracingOff(t *testing.T) {
	tp, shutdown, err := telemetry.Tracing(context.Background(), "", "test", func(string) string { return "" })
	require.NoError(t, err)
	assert.Nil(t, tp)
	assert.NoError(t, shutdown(context.Background()))
	for _, bad := range []string{"127.0.0.1:4318", "ftp://x", "http://"} {
		_, _, err := telemetry.Tracing(context.Background(), bad, "test", func(string) string { return "" })
		assert.ErrorIs(t, err, telemetry.ErrEndpoint, bad)
	}
}
