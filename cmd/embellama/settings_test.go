package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/internal/testenv"
)

// TestUBatchAboveBatchRefused: EMBELLAMA_UBATCH above the batch size
// (here the planned one, the context of 512 rounded) is refused at load,
// as documented, instead of being lowered without a word.
func TestUBatchAboveBatchRefused(t *testing.T) {
	lib := testenv.Library(t)
	for _, model := range []string{"qwen3-last-tiny", "bert-mean-tiny"} {
		t.Run(model, func(t *testing.T) {
			t.Setenv("EMBELLAMA_UBATCH", "8192")
			code, _, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", testenv.Fixture(t, model), "-ctx", "512", "hello")
			assert.Equal(t, exitFailure, code, stderr)
			assert.Contains(t, stderr, "UBatchSize")
			assert.Contains(t, stderr, "at most the batch size (512)")
		})
	}
}
