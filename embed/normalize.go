package embed

import "math"

// normalize scales v in place as llama.cpp's common_embd_normalize does:
// the norm is accumulated in float64 from float32 terms, and the inverse
// is rounded to float32 before scaling. A zero vector stays zero.
func normalize(v []float32, n Normalization) {
	var sum float64
	switch n.kind {
	case normNone:
		return
	case normMaxAbs:
		for _, x := range v {
			sum = max(sum, math.Abs(float64(x)))
		}
		sum /= 32760
	case normP:
		for _, x := range v {
			sum += math.Pow(math.Abs(float64(x)), float64(n.p))
		}
		sum = math.Pow(sum, 1/float64(n.p))
	default:
		for _, x := range v {
			sum += float64(x * x)
		}
		sum = math.Sqrt(sum)
	}
	var inv float32
	if sum > 0 {
		inv = float32(1 / sum)
	}
	for i := range v {
		v[i] *= inv
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
