package ortproto_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/ortproto"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/loader"
)

func TestOpenErrors(t *testing.T) {
	_, err := ortproto.Open(filepath.Join(t.TempDir(), "libonnxruntime.so.1"))
	require.ErrorIs(t, err, loader.ErrNotFound)

	// A real library that is not ONNX Runtime: llama.cpp's.
	_, err = ortproto.Open(testenv.Library(t))
	require.ErrorIs(t, err, ortproto.ErrNoAPI)
}
