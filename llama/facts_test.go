package llama_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
)

// TestGGUFFactsMatchLlama reads every shared model and every small
// fixture with the pure-Go reader and with llama.cpp, and compares what
// both say about it.
func TestGGUFFactsMatchLlama(t *testing.T) {
	load(t)
	paths := map[string]string{}
	for _, name := range []string{"stories260K", "bert-mean", "qwen3-last"} {
		paths[name] = testenv.Model(t, name+".gguf")
	}
	for _, s := range fixtures.Specs() {
		if !s.Benchmark {
			paths[s.Name] = testenv.Fixture(t, s.Name)
		}
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			f, err := gguf.Open(path)
			require.NoError(t, err)
			mp, _ := llama.DefaultModelParams()
			m, err := llama.LoadModel(path, mp)
			require.NoError(t, err)
			defer m.Close()

			arch, _ := m.Meta("general.architecture")
			assert.Equal(t, arch, f.Architecture())
			assert.Equal(t, m.NEmbd(), f.EmbeddingLength())
			assert.Equal(t, m.NCtxTrain(), f.ContextLength())
			assert.Equal(t, m.NLayer(), f.BlockCount())
			assert.Equal(t, m.NHead(), f.HeadCount())
			assert.Equal(t, m.NParams(), f.ParameterCount())
			assert.Equal(t, m.Size(), f.TensorBytes())
			v := m.Vocab()
			assert.Equal(t, v.NTokens(), f.VocabSize())
			if add, ok := f.AddEOS(); ok {
				assert.Equal(t, add, v.AddEOS())
			}
			if add, ok := f.AddBOS(); ok {
				assert.Equal(t, add, v.AddBOS())
			}
		})
	}
}
