package embed

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecoderUBatch: a decoder's default ubatch keeps its logits (a
// vocabulary-sized row per token of a call) within logitsBudget, and a
// set MaxSequences still divides it.
func TestDecoderUBatch(t *testing.T) {
	for _, c := range []struct {
		name                    string
		cfg                     ModelConfig
		causal                  bool
		vocab                   int
		wantUBatch, wantMaxSeqs int
	}{
		{"qwen3 vocabulary", ModelConfig{ContextSize: 4096}, true, 151936, 384, 128},
		{"llama vocabulary", ModelConfig{ContextSize: 4096}, true, 32000, 2048, 128},
		{"tiny vocabulary: the batch", ModelConfig{ContextSize: 4096}, true, 4, 4096, 128},
		{"huge vocabulary: at least 64", ModelConfig{ContextSize: 4096}, true, 1 << 22, 64, 64},
		{"encoder: the batch", ModelConfig{ContextSize: 512}, false, 151936, 512, 128},
		{"set sequences divide it", ModelConfig{ContextSize: 4096, MaxSequences: 100}, true, 151936, 300, 100},
		{"set sequences above the default", ModelConfig{ContextSize: 4096, MaxSequences: 256}, true, 1 << 21, 256, 256},
		{"set ubatch kept", ModelConfig{ContextSize: 4096, UBatchSize: 2048}, true, 151936, 2048, 128},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			_, err := planBatch(&cfg, c.causal, c.vocab, host{cpu: true, cores: 2, cpus: 2})
			require.NoError(t, err)
			assert.Equal(t, c.wantUBatch, cfg.UBatchSize, "ubatch")
			assert.Equal(t, c.wantMaxSeqs, cfg.MaxSequences, "sequences")
			if c.causal && c.cfg.UBatchSize == 0 && c.cfg.MaxSequences == 0 && 64*c.vocab*4 <= logitsBudget {
				assert.LessOrEqual(t, cfg.UBatchSize*c.vocab*4, logitsBudget)
			}
		})
	}
}
