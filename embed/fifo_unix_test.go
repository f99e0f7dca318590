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
		e, err := embed.New(context.Background(), embed.Config{Library: lib, ModelPath: fifo})
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
