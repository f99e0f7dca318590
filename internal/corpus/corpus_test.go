package corpus_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/internal/corpus"
)

func TestGenerate(t *testing.T) {
	for _, k := range []corpus.Kind{corpus.Short, corpus.Long} {
		a := corpus.Generate(k, 500, 1)
		assert.Equal(t, a, corpus.Generate(k, 500, 1), "deterministic")
		assert.NotEqual(t, a, corpus.Generate(k, 500, 2), "the seed matters")
		lo, hi := 5, 60
		if k == corpus.Long {
			lo, hi = 250, 420
		}
		seen := map[string]bool{}
		for _, s := range a {
			n := len(strings.Fields(s))
			assert.GreaterOrEqual(t, n, lo, k.String())
			assert.LessOrEqual(t, n, hi, k.String())
			seen[s] = true
		}
		assert.Greater(t, len(seen), 490, "texts are distinct")
	}
}
