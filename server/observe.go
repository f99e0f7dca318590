package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/embellama/embellama/embed"
)

// The observation of a request: [Server.ServeHTTP] wraps every request
// (routed or not) in one, which the request frame fills in as it learns
// the model, and the engine's pipeline through the [embed.Trace] in the
// request's context; once the answer is written it becomes one access-log
// line and the labelled metrics (metrics.go).

// observation is what one request reports.
type observation struct {
	model string // the loaded model it resolved to; "" before (or without) one
	trace embed.Trace
}

type observationKey struct{}

// observationOf returns the request's observation, or nil outside
// ServeHTTP.
func observationOf(ctx context.Context) *observation {
	o, _ := ctx.Value(observationKey{}).(*observation)
	return o
}

// noteModel records the model a request resolved to.
func noteModel(ctx context.Context, model string) {
	if o := observationOf(ctx); o != nil {
		o.model = model
	}
}

// recorder is the response writer of an observed request: it keeps the
// status and counts the bytes written.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// countingBody counts the bytes read of a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// ServeHTTP implements http.Handler: it routes r, then logs it and
// records its metrics (and its trace spans, with Options.Tracer).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := &observation{}
	ctx := embed.WithTrace(context.WithValue(r.Context(), observationKey{}, o), &o.trace)
	ctx, span := s.startSpan(ctx, r)
	r = r.WithContext(ctx)
	var body *countingBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}
	rec := &recorder{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	a := access{route: routeLabel(r.Pattern), method: r.Method, status: rec.status, model: o.model,
		times: o.trace.Times(), duration: time.Since(start), bytesOut: rec.bytes}
	if body != nil {
		a.bytesIn = body.n
	}
	a.dialect = dialectOf(a.route)
	s.metrics.observe(a, s.modelLabel(a.model))
	s.endSpan(span, a)
	s.log.LogAttrs(ctx, slog.LevelInfo, "request", a.attrs()...)
}

// access is one request as it is logged and measured.
type access struct {
	route, method, dialect, model string
	status                        int
	times                         embed.TraceTimes
	duration                      time.Duration
	bytesIn, bytesOut             int64
}

// attrs are the access-log line's fields.
func (a access) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("route", a.route), slog.String("method", a.method), slog.String("dialect", a.dialect),
		slog.String("model", a.model), slog.Int("status", a.status),
		slog.Int("inputs", a.times.Inputs), slog.Int("tokens", a.times.Tokens),
		slog.Duration("queue_wait", a.times.QueueWait()), slog.Duration("evaluation", a.times.Evaluation()),
		slog.Duration("duration", a.duration), slog.Int64("bytes_in", a.bytesIn), slog.Int64("bytes_out", a.bytesOut),
	}
}

// routeLabel is the route of a request as logs and metrics name it: the
// routing table's pattern that matched ("/v1/embeddings",
// "/v1/models/{id}"), never the raw path, so that the label's values are
// the routes; "unmatched" for a path no route has (the 404s).
func routeLabel(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p // a "METHOD /path" pattern
	}
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}

// dialects names the API whose shape each route speaks; a route of
// several (the rerank routes take Cohere's, Jina's and TEI's bodies) is
// named by its own path's owner.
var dialects = map[string]string{
	"/v1/embeddings": "openai", "/embeddings": "openai", "/v1/models": "openai", "/v1/models/{id}": "openai", "/models": "openai",
	"/v1/embeddings/chunks": "embellama",
	"/v1/rerank":            "cohere", "/v2/rerank": "cohere", "/v2/embed": "cohere",
	"/rerank": "tei", "/embed": "tei", "/embed_all": "tei", "/predict": "tei", "/info": "tei",
	"/v1/reranking": "jina", "/reranking": "llama.cpp", "/tokenize": "llama.cpp", "/detokenize": "llama.cpp",
	"/classify": "vllm", "/health": "embellama", "/metrics": "prometheus",
}

// dialectOf returns the dialect of a route label ("ollama" for /api/).
func dialectOf(route string) string {
	if d, ok := dialects[route]; ok {
		return d
	}
	if strings.HasPrefix(route, "/api/") {
		return "ollama"
	}
	return "other"
}

// modelLabel is a model's metrics label: a loaded model's name, "" when
// the request resolved none, and "other" for any other name, so that the
// label's values are bounded by the loaded set, whatever clients send.
func (s *Server) modelLabel(model string) string {
	if model == "" {
		return ""
	}
	for _, m := range s.engine.Models() {
		if m == model {
			return model
		}
	}
	return "other"
}
