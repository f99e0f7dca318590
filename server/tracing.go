package server

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Tracing: with Options.TracerProvider, each request is a span
// ("POST /v1/embeddings", kind server, its parent from a W3C traceparent
// header) with a child span per phase the engine reported (tokenize,
// queue, decode), made after the fact from the request's embed.Trace. The
// server uses the OpenTelemetry API only; the SDK and an exporter are the
// program's (cmd/embellama's -otlp-endpoint).

// tracerName is the instrumentation scope of the server's spans.
const tracerName = "github.com/embellama/embellama/server"

// startSpan starts the request's span, or returns ctx and nil without a
// TracerProvider.
func (s *Server) startSpan(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	if s.opts.TracerProvider == nil {
		return ctx, nil
	}
	ctx = propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(r.Header))
	return s.opts.TracerProvider.Tracer(tracerName).Start(ctx, "request", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", r.Method)))
}

// endSpan names the request's span after its route, adds its phases as
// children, and ends it.
func (s *Server) endSpan(span trace.Span, a access) {
	if span == nil {
		return
	}
	span.SetName(a.method + " " + a.route)
	attrs := []attribute.KeyValue{
		attribute.String("http.route", a.route), attribute.Int("http.response.status_code", a.status),
		attribute.String("embellama.dialect", a.dialect), attribute.String("embellama.model", a.model),
		attribute.Int("embellama.inputs", a.times.Inputs), attribute.Int("embellama.tokens", a.times.Tokens),
		attribute.Int64("http.request.body.size", a.bytesIn), attribute.Int64("http.response.body.size", a.bytesOut),
	}
	span.SetAttributes(attrs...)
	if a.status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(a.status))
	}
	ctx := trace.ContextWithSpan(context.Background(), span)
	tr := s.opts.TracerProvider.Tracer(tracerName)
	t := a.times
	phase := func(name string, from, to time.Time, kv ...attribute.KeyValue) {
		if from.IsZero() || to.IsZero() {
			return
		}
		_, c := tr.Start(ctx, name, trace.WithTimestamp(from), trace.WithAttributes(kv...))
		c.End(trace.WithTimestamp(to))
	}
	phase("tokenize", t.TokenizeStart, t.TokenizeEnd, attribute.Int("embellama.inputs", t.Inputs))
	phase("queue", t.Queued, t.Started, attribute.Int("embellama.sequences", t.Sequences))
	phase("decode", t.Started, t.Done, attribute.Int("embellama.sequences", t.Sequences), attribute.Int("embellama.tokens", t.Tokens))
	span.End()
}
