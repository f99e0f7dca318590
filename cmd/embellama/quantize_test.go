package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

func TestQuantizeCommand(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	out := filepath.Join(t.TempDir(), "bert-mean-q8_0.gguf")
	// Flags after the paths, as the usage line shows them.
	code, stdout, stderr := runCLI(t, "", "quantize", model, out, "-type", "q8_0", "-lib", lib)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Q8_0")
	f, err := gguf.Open(out)
	require.NoError(t, err)
	assert.Equal(t, "Q8_0", f.FileType())

	code, vecs, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", out, "hello world")
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, vectors(t, vecs)[0], 128)

	code, _, stderr = runCLI(t, "", "quantize", "-lib", lib, "-type", "q8_0", model, out)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "-f overwrites it")
	assert.NotContains(t, stderr, "Overwrite", "the CLI's flag, not the library's field")
	code, _, stderr = runCLI(t, "", "quantize", "-lib", lib, "-type", "bf16", "-f", model, out)
	require.Equal(t, exitOK, code, stderr)

	for _, args := range [][]string{
		{"quantize", "-lib", lib, "-type", "q3_x", model, out},
		{"quantize", "-lib", lib, model, out},
		{"quantize", "-lib", lib, "-type", "q8_0", model},
	} {
		code, _, stderr := runCLI(t, "", args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
}
