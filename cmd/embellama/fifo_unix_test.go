//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestFIFOModel: a FIFO as -model, or named *.gguf in the models
// directory, is refused at once instead of blocking the open forever.
func TestFIFOModel(t *testing.T) {
	lib := testenv.Library(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.gguf")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	code, _, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", fifo, "hi")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "embellama embed: cannot load model: not a regular file: "+fifo)

	code, out, stderr := runCLI(t, "", "models", dir)
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "model.gguf  invalid: not a regular file")

	t.Setenv(envModels, dir)
	code, _, stderr = runCLI(t, "", "embed", "-lib", lib, "hi")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, dir+" ($EMBELLAMA_MODELS: no embedding model)")
}
