//go:build unix

package embed_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestModelNotRegularFile: a FIFO given as the model is refused before it
// is opened (opening one blocks until a writer comes, which never does).
func TestModelNotRegularFile(t *testing.T) {
	lib := testenv.Library(t)
	fifo := filepath.Join(t.TempDir(), "model.gguf")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	done := make(chan error, 1)
	go func() {
		e, err := embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: fifo}})
		if e != nil {
			e.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, embed.ErrNotRegularFile)
		assert.ErrorIs(t, err, embed.ErrModelLoad)
		assert.Contains(t, err.Error(), fifo)
	case <-time.After(time.Minute):
		t.Fatal("loading a FIFO as the model blocked; it must be refused at once")
	}
}

// TestQuantizeNotRegularFile is TestModelNotRegularFile for Quantize's
// input, which was opened without the check and blocked on a FIFO.
func TestQuantizeNotRegularFile(t *testing.T) {
	e, err := embed.NewEngine(embed.EngineConfig{Library: testenv.Library(t)})
	require.NoError(t, err)
	defer e.Close()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.gguf")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan error, 1)
	go func() {
		done <- e.Quantize(context.Background(), fifo, filepath.Join(dir, "out.gguf"), embed.QuantizeOptions{Type: "q8_0"})
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, embed.ErrNotRegularFile)
		assert.ErrorIs(t, err, embed.ErrModelLoad)
	case <-time.After(time.Minute):
		t.Fatal("quantizing a FIFO blocked; it must be refused at once")
	}
}
