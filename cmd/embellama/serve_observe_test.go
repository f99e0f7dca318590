package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeLogFormat checks -log-format: json writes one JSON object per
// line, text key=value, anything else is a usage error; and that a
// malformed -otlp-endpoint is a usage error before anything loads.
func TestServeLogFormat(t *testing.T) {
	var buf bytes.Buffer
	log, err := (&observeFlags{logFormat: "json"}).logger(&buf)
	require.NoError(t, err)
	log.Info("request", "route", "/v1/embeddings", "status", 200)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	assert.Equal(t, "request", line["msg"])
	assert.Equal(t, "/v1/embeddings", line["route"])
	assert.Equal(t, 200.0, line["status"])

	buf.Reset()
	log, err = (&observeFlags{logFormat: "text"}).logger(&buf)
	require.NoError(t, err)
	log.Info("request", "route", "/x")
	assert.Contains(t, buf.String(), "msg=request route=/x")

	_, err = (&observeFlags{logFormat: "xml"}).logger(&buf)
	var ue usageError
	assert.True(t, errors.As(err, &ue), "%v", err)

	_, _, err = (&observeFlags{otlp: "localhost:4318"}).tracing(context.Background())
	assert.True(t, errors.As(err, &ue), "%v", err)
	tp, shutdown, err := (&observeFlags{}).tracing(context.Background())
	if err == nil && tp != nil {
		require.NoError(t, shutdown(context.Background())) // $OTEL_EXPORTER_OTLP_ENDPOINT is set in this environment
	}
	require.NoError(t, err)
}
