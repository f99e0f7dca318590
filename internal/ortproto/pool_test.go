package ortproto_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/ortproto"
)

func TestMeanPool(t *testing.T) {
	const b, n, h = 3, 4, 5
	states := make([]float32, b*n*h)
	for i := range states {
		states[i] = float32(math.Sin(float64(i)*0.7) + 0.1*float64(i%h))
	}
	mask := []int64{
		1, 1, 1, 0, // one padded position
		1, 0, 0, 0, // a single token
		0, 0, 0, 0, // no token at all
	}
	got := ortproto.MeanPool(states, mask, b, n, h)
	require.Len(t, got, b)

	t.Run("mean of the masked tokens, normalized", func(t *testing.T) {
		for i := range 2 {
			want := make([]float64, h)
			count := 0.0
			for j := range n {
				if mask[i*n+j] == 1 {
					count++
					for k := range h {
						want[k] += float64(states[(i*n+j)*h+k])
					}
				}
			}
			var norm float64
			for k := range want {
				want[k] /= count
				norm += want[k] * want[k]
			}
			norm = math.Sqrt(norm)
			for k := range want {
				assert.InDelta(t, want[k]/norm, got[i][k], 1e-6, "row %d component %d", i, k)
			}
		}
	})
	t.Run("padding values do not matter", func(t *testing.T) {
		changed := append([]float32(nil), states...)
		for j := range n {
			if mask[j] == 0 {
				for k := range h {
					changed[j*h+k] = 1e6
				}
			}
		}
		assert.Equal(t, got[0], ortproto.MeanPool(changed, mask, b, n, h)[0])
	})
	t.Run("a row without tokens is zero", func(t *testing.T) {
		assert.Equal(t, make([]float32, h), got[2])
	})
	t.Run("the result does not alias the states", func(t *testing.T) {
		before := append([]float32(nil), got[0]...)
		for i := range states {
			states[i] = 42
		}
		assert.Equal(t, before, got[0])
	})
}
