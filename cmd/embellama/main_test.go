package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func vectors(t *testing.T, out string) [][]float64 {
	t.Helper()
	var vs [][]float64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v []float64
		require.NoError(t, json.Unmarshal([]byte(line), &v), "line %q", line)
		vs = append(vs, v)
	}
	return vs
}

func TestEmbedCommand(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")

	code, out, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", model, "hello world", "The quick brown fox")
	require.Equal(t, exitOK, code, stderr)
	vs := vectors(t, out)
	require.Len(t, vs, 2)
	for _, v := range vs {
		assert.Len(t, v, 128)
	}
	testenv.AssertNear(t, testenv.ReferenceVector(t, "bert-mean", "hello world"), vs[0], "hello world")
	assert.NotEqual(t, vs[0], vs[1])

	code, out, stderr = runCLI(t, "hello world\n\nThe quick brown fox\n", "embed", "-lib", lib, "-model", model, "-skip-empty")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, vs, vectors(t, out), "standard input gives the same vectors as arguments")
}

func TestEmbedCommandDefaultModel(t *testing.T) {
	t.Setenv(envModels, testenv.ModelsDir(t))
	code, out, stderr := runCLI(t, "", "embed", "-lib", testenv.Library(t), "hello world")
	require.Equal(t, exitOK, code, stderr)
	vs := vectors(t, out)
	require.Len(t, vs, 1)
	assert.Len(t, vs[0], 128, "bert-mean.gguf is the first embedding model by name")
}

func TestExitCodes(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"no command", nil, "", exitUsage, "usage:"},
		{"unknown command", []string{"frobnicate"}, "", exitUsage, `unknown command "frobnicate"`},
		{"help", []string{"-h"}, "", exitOK, ""},
		{"command help", []string{"embed", "-h"}, "", exitOK, "-model"},
		{"bad flag", []string{"embed", "-nope"}, "", exitUsage, "flag provided but not defined"},
		{"no text", []string{"embed", "-lib", lib, "-model", model}, "", exitUsage, "no text given"},
		{"empty text", []string{"embed", "-lib", lib, "-model", model, ""}, "", exitFailure, "empty input"},
		{"missing model", []string{"embed", "-lib", lib, "-model", "/nonexistent.gguf", "x"}, "", exitFailure, "model file not found"},
		{"missing library", []string{"embed", "-lib", "/nonexistent", "-model", model, "x"}, "", exitFailure, "/nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.stdin, tt.args...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.stderr)
			if tt.code == exitFailure {
				assert.Equal(t, 1, strings.Count(strings.TrimSpace(withoutModelNote(stderr)), "\n")+1, "errors are one line: %q", stderr)
			}
		})
	}
}

func TestModelsCommand(t *testing.T) {
	code, out, stderr := runCLI(t, "", "models", testenv.ModelsDir(t))
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	assert.Regexp(t, `^bert-mean\.gguf\s+bert\s+128\s+mean\s+512\s+F16\s.*embedding$`, lines[1])
	assert.Regexp(t, `^qwen3-last\.gguf\s+qwen3\s+64\s+last\s+32768\s+Q8_0\s.*embedding$`, lines[2])
	assert.Regexp(t, `^stories260K\.gguf\s+llama\s+64\s+-\s+2048\s+F32\s.*none$`, lines[3])
}
