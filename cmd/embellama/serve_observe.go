package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/trace"

	"github.com/embellama/embellama/internal/telemetry"
)

// observeFlags are serve's observability flags: the log format (the
// access log is one line per request) and the OTLP trace endpoint.
type observeFlags struct {
	logFormat, otlp string
}

func (f *observeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.logFormat, "log-format", "text", "log lines as `text` (key=value) or json (one JSON object per line); one access line per request")
	fs.StringVar(&f.otlp, "otlp-endpoint", "", "send OpenTelemetry traces (OTLP over HTTP) to this collector base `URL`, e.g. http://127.0.0.1:4318 (default: $"+telemetry.EnvEndpoint+"; none: no tracing)")
}

// logger returns serve's logger on w, in the chosen format.
func (f *observeFlags) logger(w io.Writer) (*slog.Logger, error) {
	o := &slog.HandlerOptions{Level: slog.LevelInfo}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, usageError{fmt.Errorf("-log-format %q: want text or json", f.logFormat)}
}

// tracing returns the tracer provider of -otlp-endpoint (or
// $OTEL_EXPORTER_OTLP_ENDPOINT), nil without one, and its shutdown.
func (f *observeFlags) tracing(ctx context.Context) (trace.TracerProvider, func(context.Context) error, error) {
	tp, shutdown, err := telemetry.Tracing(ctx, f.otlp, moduleVersion(), os.Getenv)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("-otlp-endpoint (or $%s): %w", telemetry.EnvEndpoint, err)}
	}
	return tp, shutdown, nil
}
