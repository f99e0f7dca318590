package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/server"
)

// TestParseAliases: -alias names must point at a model serve loads and
// must not shadow one (issue 18.7).
func TestParseAliases(t *testing.T) {
	load := [][2]string{{"default", "a.gguf"}, {"qwen", "b.gguf"}}
	got, err := parseAliases("text-embedding-3-small=default, ada=qwen", load)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"text-embedding-3-small": "default", "ada": "qwen"}, got)
	got, err = parseAliases("", load)
	require.NoError(t, err)
	assert.Empty(t, got)
	for _, bad := range []string{"x", "=default", "x=", "x=nope", "qwen=default", "x=default,x=qwen"} {
		_, err := parseAliases(bad, load)
		assert.Error(t, err, bad)
	}
}

// TestServeFlagsReachOptions: serve's flags of the body's minimum rate
// reach server.Options, and left out they are the server's defaults.
func TestServeFlagsReachOptions(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		rate  int64
		grace time.Duration
	}{
		{"defaults", nil, server.DefaultMinBodyRate, server.DefaultBodyGrace},
		{"set", []string{"-min-body-rate", "4096", "-body-grace", "3s"}, 4096, 3 * time.Second},
		{"no minimum", []string{"-min-body-rate", "-1"}, -1, server.DefaultBodyGrace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var sf serveFlags
			sf.add(fs)
			require.NoError(t, fs.Parse(tt.args))
			o := sf.options(nil, nil, nil, nil)
			assert.Equal(t, tt.rate, o.MinBodyRate)
			assert.Equal(t, tt.grace, o.BodyGrace)
		})
	}
}

// TestMaxQueueIsTheLibrarys: serve's -max-queue is the setting of the
// table, so $EMBELLAMA_MAX_QUEUE applies and the default is the library's
// (no bound). (Before, serve set 65536 whatever the environment said.)
func TestMaxQueueIsTheLibrarys(t *testing.T) {
	tests := []struct {
		name, env string
		args      []string
		want      int
	}{
		{"default", "", nil, 0},
		{"environment", "50", nil, 50},
		{"flag over environment", "50", []string{"-max-queue", "7"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("EMBELLAMA_MAX_QUEUE", tt.env)
			t.Setenv("EMBELLAMA_MODEL", "m.gguf")
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			ef := addEngineFlags(fs, engineUse{prompts: true})
			require.NoError(t, fs.Parse(tt.args))
			cfg, err := ef.config(io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.MaxQueue)
		})
	}
}
