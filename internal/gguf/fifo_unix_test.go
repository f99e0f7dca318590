//go:build unix

package gguf

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOpenFIFO: a FIFO named like a model is refused without opening it
// (an open for reading would wait for a writer forever).
func TestOpenFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "model.gguf")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	done := make(chan error, 1)
	go func() {
		_, err := Open(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrNotFile)
	case <-time.After(time.Minute):
		t.Fatal("Open blocked on a FIFO")
	}
}
