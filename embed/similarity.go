package embed

import "math"

// Dot returns the dot product of a and b, accumulated in float64. For
// vectors normalized to unit length (the default, [NormL2]) it is their
// cosine similarity. It returns NaN when the lengths differ, so that a
// mismatch of models or dimensions cannot pass as a score.
func Dot(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// Cosine returns the cosine similarity of a and b, from -1 to 1, whether
// or not they are normalized. It returns NaN when the lengths differ or
// either vector is all zeros (its direction is undefined).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.NaN()
	}
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return math.NaN()
	}
	return ab / math.Sqrt(aa*bb)
}
