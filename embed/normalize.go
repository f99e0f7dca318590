package embed

import "math"

// normalizeL2 scales v in place to unit Euclidean length, exactly as
// llama.cpp's common_embd_normalize(v, v, n, 2) does: the squares are
// rounded to float32 and summed in float64, and the inverse norm is
// rounded to float32 before scaling. A zero vector stays zero.
func normalizeL2(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x * x)
	}
	sum = math.Sqrt(sum)
	var norm float32
	if sum > 0 {
		norm = float32(1.0 / sum)
	}
	for i := range v {
		v[i] *= norm
	}
}

// finite reports whether every element of v is a finite number.
func finite(v []float32) bool {
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}
