package llama_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
)

func TestDefaultQuantizeParams(t *testing.T) {
	load(t)
	p, err := llama.DefaultQuantizeParams()
	require.NoError(t, err)
	// Values set by llama_model_quantize_default_params in the pinned
	// release; a field in the wrong place would read as something else.
	assert.Zero(t, p.NThread)
	assert.Equal(t, llama.FileTypeQ8_0, p.FType)
	assert.Equal(t, int32(43), p.OutputTensorType, "GGML_TYPE_COUNT")
	assert.Equal(t, int32(43), p.TokenEmbeddingType, "GGML_TYPE_COUNT")
	assert.False(t, p.AllowRequantize)
	assert.True(t, p.QuantizeOutputTensor)
	assert.False(t, p.OnlyCopy || p.Pure || p.KeepSplit || p.DryRun)
	assert.Zero(t, p.Imatrix)
	assert.Equal(t, uintptr(8<<30), p.MaxBufSize, "LLAMA_QUANT_MAX_BUF_SIZE")
}

// TestQuantizeWritesFileType converts a fixture at the lowest layer and
// checks that llama.cpp reads the type back.
func TestQuantizeWritesFileType(t *testing.T) {
	load(t)
	in := testenv.Fixture(t, "bert-mean-tiny")
	for _, ft := range []llama.FileType{llama.FileTypeQ8_0, llama.FileTypeBF16} {
		t.Run(ft.String(), func(t *testing.T) {
			p, err := llama.DefaultQuantizeParams()
			require.NoError(t, err)
			p.FType, p.NThread = ft, 1
			out := filepath.Join(t.TempDir(), "out.gguf")
			require.NoError(t, llama.Quantize(in, out, p))
			mp, err := llama.DefaultModelParams()
			require.NoError(t, err)
			m, err := llama.LoadModel(out, mp)
			require.NoError(t, err)
			defer m.Close()
			assert.Equal(t, ft.String(), m.FileType())
		})
	}
}

func TestQuantizeReportsLlamaError(t *testing.T) {
	load(t)
	p, err := llama.DefaultQuantizeParams()
	require.NoError(t, err)
	dir := t.TempDir()
	// A missing file is an exception in llama.cpp, caught and returned
	// as a status; callers validate first, this checks the mapping.
	err = llama.Quantize(filepath.Join(dir, "missing.gguf"), filepath.Join(dir, "out.gguf"), p)
	require.ErrorIs(t, err, llama.ErrQuantize)
	assert.Contains(t, err.Error(), "missing.gguf")
	p.Imatrix = 1
	require.ErrorIs(t, llama.Quantize("a", "b", p), llama.ErrQuantize, "pointer fields are refused")
}
