package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
