package ortproto

import "math"

// MeanPool averages each row's token states over its attention mask and
// L2-normalizes the result, as sentence-transformers' mean pooling does:
// states is [b, n, h] row-major, mask is [b, n] (1: a real token). A row
// with no real token gets a zero vector. The result never aliases states.
func MeanPool(states []float32, mask []int64, b, n, h int) [][]float32 {
	out := make([][]float32, b)
	sum := make([]float64, h)
	for i := range b {
		clear(sum)
		count := 0
		for j := range n {
			if mask[i*n+j] == 0 {
				continue
			}
			count++
			row := states[(i*n+j)*h : (i*n+j+1)*h]
			for k, x := range row {
				sum[k] += float64(x)
			}
		}
		v := make([]float32, h)
		if count > 0 {
			var ss float64
			for k := range sum {
				sum[k] /= float64(count)
				ss += sum[k] * sum[k]
			}
			norm := math.Sqrt(ss)
			for k := range v {
				if norm > 0 {
					v[k] = float32(sum[k] / norm)
				}
			}
		}
		out[i] = v
	}
	return out
}
