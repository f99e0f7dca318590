package embed

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

// TestPlannerExtremes plans every knob at its extremes against the
// headers of the shared models and every fixture architecture, without
// the native library: each plan is refused with a *ConfigError (or
// ErrNotEmbeddingModel), or keeps every invariant llama.cpp asserts
// (checkPlan). TestExtremeSettings runs the same values through llama.cpp
// in child processes.
func TestPlannerExtremes(t *testing.T) {
	files := map[string]string{
		"bert-mean": testenv.Model(t, "bert-mean.gguf"), "qwen3-last": testenv.Model(t, "qwen3-last.gguf"),
		"stories260K": testenv.Model(t, "stories260K.gguf"),
	}
	for _, f := range []string{"bert-cls-tiny", "nomic-bert-tiny", "jina-bert-v2-tiny", "qwen3-last-tiny"} {
		files[f] = testenv.Fixture(t, f)
	}
	values := []int{-1 << 40, -1, 0, 1, 2, 3, 7, 8, 63, 64, 65, 255, 256, 257, 511, 512, 513, 2048, 4097, 1 << 20, 1<<20 + 1, 1 << 40}
	knobs := map[string]func(*ModelConfig, int){
		"ContextSize":  func(c *ModelConfig, v int) { c.ContextSize = v },
		"BatchSize":    func(c *ModelConfig, v int) { c.BatchSize = v },
		"UBatchSize":   func(c *ModelConfig, v int) { c.UBatchSize = v },
		"BatchTarget":  func(c *ModelConfig, v int) { c.BatchTarget = v },
		"MaxSequences": func(c *ModelConfig, v int) { c.MaxSequences = v },
		"Threads":      func(c *ModelConfig, v int) { c.Threads = v },
		"Contexts":     func(c *ModelConfig, v int) { c.Contexts = v },
		"ctx=batch":    func(c *ModelConfig, v int) { c.ContextSize, c.BatchSize = v, v },
		"ubatch=seq":   func(c *ModelConfig, v int) { c.ContextSize, c.UBatchSize, c.MaxSequences = 64, v, v },
	}
	for name, path := range files {
		f, err := gguf.Open(path)
		require.NoError(t, err)
		for knob, set := range knobs {
			for _, v := range values {
				for _, h := range []host{{cpu: true, cores: 2}, {cores: 1}} {
					cfg := ModelConfig{ModelPath: path}
					if f.Architecture() == "llama" {
						cfg.Pooling = PoolingLast // stories260K declares none
					}
					set(&cfg, v)
					p, err := planModel(f, cfg, h)
					if err != nil {
						var ce *ConfigError
						assert.True(t, errors.As(err, &ce), "%s %s=%d: untyped refusal %v", name, knob, v, err)
						continue
					}
					checkPlan(t, p, ModelConfig{})
					if pos := absolutePositions(f); pos > 0 {
						assert.LessOrEqual(t, p.cfg.ContextSize, pos, "%s %s=%d", name, knob, v)
					}
				}
			}
		}
	}
}
