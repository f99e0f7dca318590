package embed

// Regression tests of review round 6 (docs/reviews/round6.md); they failed before its fixes. finish checks a
// vector finite BEFORE normalizing it, and normalize can turn a finite
// vector into Inf and NaN (the inverse norm is rounded to float32 and
// overflows for tiny vectors). The server's hand-written /v1/embeddings
// answer (server/vecjson.go, appendFloats) then writes NaN / +Inf as
// they are: invalid JSON with status 200.

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReviewFinishNeverReturnsNonFinite(t *testing.T) {
	for _, n := range []Normalization{NormalizeMaxAbs, NormalizeP(3), NormalizeP(1)} {
		v := []float32{1e-40, 0, -1e-41} // finite (subnormal) and zero components
		out, err := finish(v, callOptions{normalize: n})
		if err != nil {
			continue // refusing is a fine answer
		}
		require.Len(t, out, 3)
		for i, x := range out {
			assert.False(t, math.IsNaN(float64(x)) || math.IsInf(float64(x), 0),
				"%s: component %d of a finite vector normalized to %v", n, i, x)
		}
	}
}
