package gguf_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

// TestSharedModels reads every model of ../shared/models and checks the
// facts SOURCES.md gives for it.
func TestSharedModels(t *testing.T) {
	tests := []struct {
		file                  string
		arch                  string
		dim, ctx, blocks      int
		pooling               gguf.Pooling
		hasPooling, embedding bool
		tokenizer             string
		vocab                 int
		tensors               int
		addEOS, addEOSPresent bool
	}{
		{"stories260K.gguf", "llama", 64, 2048, 5, gguf.PoolingNone, false, false, "llama", 512, 48, false, false},
		{"bert-mean.gguf", "bert", 128, 512, 2, gguf.PoolingMean, true, true, "bert", 30522, 0, false, false},
		{"qwen3-last.gguf", "qwen3", 64, 32768, 2, gguf.PoolingLast, true, true, "gpt2", 151936, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := gguf.Open(testenv.Model(t, tt.file))
			require.NoError(t, err)
			assert.Equal(t, uint32(3), f.Version)
			assert.Equal(t, tt.arch, f.Architecture())
			assert.Equal(t, tt.dim, f.EmbeddingLength())
			assert.Equal(t, tt.ctx, f.ContextLength())
			assert.Equal(t, tt.blocks, f.BlockCount())
			p, ok := f.PoolingType()
			assert.Equal(t, tt.hasPooling, ok)
			assert.Equal(t, tt.pooling, p)
			assert.Equal(t, tt.embedding, f.IsEmbeddingModel())
			assert.Equal(t, tt.tokenizer, f.TokenizerModel())
			assert.Equal(t, tt.vocab, f.VocabSize())
			if tt.tensors > 0 {
				assert.Len(t, f.Tensors, tt.tensors)
			}
			eos, ok := f.AddEOS()
			assert.Equal(t, tt.addEOSPresent, ok)
			assert.Equal(t, tt.addEOS, eos)
			assert.Positive(t, f.ParameterCount())
			fi, err := os.Stat(testenv.Model(t, tt.file))
			require.NoError(t, err)
			last := f.Tensors[len(f.Tensors)-1]
			assert.LessOrEqual(t, f.DataOffset+int64(last.Offset+last.Bytes), fi.Size())
		})
	}
}

func TestOpenDirectory(t *testing.T) {
	_, err := gguf.Open(t.TempDir())
	assert.ErrorIs(t, err, gguf.ErrNotFile)
	_, err = gguf.Open(filepath.Join(t.TempDir(), "absent.gguf"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestPoolingNames: the one pooling enum (package llama's PoolingType is
// an alias of it) names every value llama.cpp defines.
func TestPoolingNames(t *testing.T) {
	for p, want := range map[gguf.Pooling]string{gguf.PoolingUnspecified: "unspecified", gguf.PoolingNone: "none",
		gguf.PoolingMean: "mean", gguf.PoolingCLS: "cls", gguf.PoolingLast: "last", gguf.PoolingRank: "rank", 5: "unknown"} {
		assert.Equal(t, want, p.String(), int32(p))
	}
}
