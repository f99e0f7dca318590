package embed_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/embed"
)

func ExampleCosine() {
	query := []float32{0.6, 0.8, 0}
	docs := map[string][]float32{
		"same direction": {3, 4, 0},
		"orthogonal":     {0, 0, 2},
		"opposite":       {-0.6, -0.8, 0},
	}
	for _, name := range []string{"same direction", "orthogonal", "opposite"} {
		fmt.Printf("%s: cosine %.2f, dot %.2f\n", name, embed.Cosine(query, docs[name]), embed.Dot(query, docs[name]))
	}
	// Output:
	// same direction: cosine 1.00, dot 5.00
	// orthogonal: cosine 0.00, dot 0.00
	// opposite: cosine -1.00, dot -1.00
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		name        string
		a, b        []float32
		cosine, dot float64 // NaN: undefined
	}{
		{"unit vectors", []float32{1, 0}, []float32{0.6, 0.8}, 0.6, 0.6},
		{"scaled", []float32{2, 0}, []float32{0, -3}, 0, 0},
		{"antiparallel", []float32{1, 2, 3}, []float32{-2, -4, -6}, -1, -28},
		{"zero vector", []float32{0, 0}, []float32{1, 1}, math.NaN(), 0},
		{"lengths differ", []float32{1, 0}, []float32{1, 0, 0}, math.NaN(), math.NaN()},
		{"empty", nil, nil, math.NaN(), 0},
	}
	check := func(t *testing.T, what string, want, got float64) {
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got), "%s = %v, want NaN", what, got)
			return
		}
		assert.InDelta(t, want, got, 1e-6, what) // float32 inputs: 0.6 is not exact
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, "Cosine", tt.cosine, embed.Cosine(tt.a, tt.b))
			check(t, "Cosine reversed", tt.cosine, embed.Cosine(tt.b, tt.a))
			check(t, "Dot", tt.dot, embed.Dot(tt.a, tt.b))
		})
	}
}
