// Package telemetry wires OpenTelemetry's SDK and its OTLP/HTTP trace
// exporter for embellama serve (-otlp-endpoint,
// OTEL_EXPORTER_OTLP_ENDPOINT). The server package itself uses the
// OpenTelemetry API only (server.Options.TracerProvider); this package,
// with the SDK and the exporter's dependencies, is linked into the
// command, not into programs that embed the server.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// EnvEndpoint is the standard OpenTelemetry variable of the collector's
// base URL, read when no endpoint is given.
const EnvEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"

// ErrEndpoint: the endpoint is not an http or https URL.
var ErrEndpoint = errors.New("telemetry: the OTLP endpoint must be an http:// or https:// URL")

// Tracing returns a tracer provider that exports spans with OTLP over
// HTTP (protobuf) to endpoint, a collector's base URL such as
// http://127.0.0.1:4318 (spans go to its /v1/traces, as with
// OTEL_EXPORTER_OTLP_ENDPOINT), or to getenv(EnvEndpoint) when endpoint
// is "". With neither it returns a nil provider: no tracing. shutdown
// flushes the spans not yet sent and stops the exporter.
func Tracing(ctx context.Context, endpoint, version string, getenv func(string) string) (tp trace.TracerProvider, shutdown func(context.Context) error, err error) {
	if endpoint == "" {
		endpoint = getenv(EnvEndpoint)
	}
	if endpoint == "" {
		return nil, func(context.Context) error { return nil }, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("%w: %q", ErrEndpoint, endpoint)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "embellama"), attribute.String("service.version", version))
	p := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return p, p.Shutdown, nil
}
