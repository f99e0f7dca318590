package server

// Regression tests of review round 6 (docs/reviews/round6.md); they failed before its fixes. appendFloats
// writes a NaN or infinite component as strconv spells it ("NaN",
// "+Inf"): the answer is then not JSON, with status 200. encoding/json
// refused such a vector before (and the engine's normalization can
// produce one from a finite vector: embed's
// TestReviewFinishNeverReturnsNonFinite).

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReviewAnswerNonFiniteIsValidJSON(t *testing.T) {
	vecs := [][]float32{{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}}
	for _, format := range []string{"float", "base64", "int8", "binary"} {
		w := newAnswer(format, "m", vecs, 3)
		assert.True(t, json.Valid(w.Body.Bytes()), "%s: status %d with a body that is not JSON: %s", format, w.Code, w.Body.Bytes())
	}
}
