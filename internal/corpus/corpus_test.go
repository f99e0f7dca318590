package corpus_test

import (
	"crypto/sha256"
	"encoding/hex"
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

// TestCorpusPinned pins the texts: the figures in BENCHMARKS.md were
// measured on them, so a change to the generator must be deliberate.
func TestCorpusPinned(t *testing.T) {
	for k, want := range map[corpus.Kind]string{
		corpus.Short: "1cae93c720d5f2c9bf59a23365062075815caa0ca00eb9fb4ce91da09f72999f",
		corpus.Long:  "613a08635b4ea8b4b729b19c7b9a05b8c447c6f1e251212450841b97e404975d",
	} {
		sum := sha256.Sum256([]byte(strings.Join(corpus.Generate(k, 200, 1), "\n")))
		assert.Equal(t, want, hex.EncodeToString(sum[:]), k.String())
	}
}

func TestGeneratorStreamsGenerate(t *testing.T) {
	g := corpus.NewGenerator(corpus.Long, 7)
	for i, want := range corpus.Generate(corpus.Long, 50, 7) {
		assert.Equal(t, want, g.Next(), "text %d", i)
	}
}
