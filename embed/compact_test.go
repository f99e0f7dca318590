package embed_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// compactCases are vectors with the edges of the encodings: lengths that
// are and are not multiples of 8, zeros, -0, unnormalized and unit
// vectors, and exact halves of the byte scale.
var compactCases = map[string][]float32{
	"empty":      {},
	"one":        {0.5},
	"unit 3":     {0.6, -0.8, 0},
	"eight":      {1, -1, 1, -1, 0, 0, 2, -2},
	"nine":       {0.1, 0.2, -0.3, 0.4, -0.5, 0.6, -0.7, 0.8, -0.9},
	"zero":       {0, 0, 0, 0, 0},
	"negative 0": {float32(math.Copysign(0, -1)), 1},
	"unnormal":   {300, -400, 1e-3},
	"tiny":       {1e-38, -1e-38, 1e-45},
	"huge":       {3e38, -3e38, 3e38},
	"seventeen":  {1, 2, 3, 4, 5, 6, 7, 8, 9, -10, 11, 12, 13, 14, 15, 16, -17},
}

// refInt8 is the stated rule computed independently: the vector
// normalized in float64, times 127, rounded half away from zero.
func refInt8(v []float32) []int {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]int, len(v))
	for i, x := range v {
		if sum > 0 {
			out[i] = int(math.Round(float64(x) / math.Sqrt(sum) * 127))
		}
	}
	return out
}

// refBits is the sign bit of every component, first in the high bit of
// byte 0, as numpy.packbits writes them.
func refBits(v []float32) []int {
	out := make([]int, (len(v)+7)/8)
	for i, x := range v {
		if x > 0 {
			out[i/8] += 1 << (7 - i%8)
		}
	}
	return out
}

func TestCompactAgainstReference(t *testing.T) {
	for name, v := range compactCases {
		t.Run(name, func(t *testing.T) {
			want := refInt8(v)
			i8, err := embed.QuantizeInt8(v)
			require.NoError(t, err)
			u8, err := embed.QuantizeUint8(v)
			require.NoError(t, err)
			require.Len(t, i8, len(v))
			require.Len(t, u8, len(v))
			for i := range v {
				assert.Equal(t, want[i], int(i8[i]), "int8[%d]", i)
				assert.Equal(t, want[i]+128, int(u8[i]), "uint8[%d]", i)
				assert.LessOrEqual(t, abs(int(i8[i])), 127)
			}
			bits := refBits(v)
			ub, b := embed.PackUbinary(v), embed.PackBinary(v)
			require.Len(t, ub, embed.PackedLen(len(v)))
			require.Len(t, b, embed.PackedLen(len(v)))
			for i := range bits {
				assert.Equal(t, bits[i], int(ub[i]), "ubinary[%d]", i)
				assert.Equal(t, bits[i]-128, int(b[i]), "binary[%d]", i)
			}
		})
	}
}

// TestQuantizeKeepsDirection: for unit vectors the integer dot product
// tracks the cosine similarity (the point of a fixed scale).
func TestQuantizeKeepsDirection(t *testing.T) {
	a := []float32{0.6, 0.8, 0}
	b := []float32{0.8, 0.6, 0}
	c := []float32{-0.6, 0, 0.8}
	qa, _ := embed.QuantizeInt8(a)
	qb, _ := embed.QuantizeInt8(b)
	qc, _ := embed.QuantizeInt8(c)
	dot := func(x, y []int8) float64 {
		s := 0
		for i := range x {
			s += int(x[i]) * int(y[i])
		}
		return float64(s) / (127 * 127)
	}
	assert.InDelta(t, 0.96, dot(qa, qb), 0.02)
	assert.InDelta(t, -0.36, dot(qa, qc), 0.02)
	// Scaling a vector changes nothing.
	q10, _ := embed.QuantizeInt8([]float32{6, 8, 0})
	assert.Equal(t, qa, q10)
}

func TestQuantizeRefusesNonFinite(t *testing.T) {
	for _, v := range [][]float32{{float32(math.NaN())}, {1, float32(math.Inf(1))}, {float32(math.Inf(-1))}} {
		_, err := embed.QuantizeInt8(v)
		assert.ErrorIs(t, err, embed.ErrNotFinite)
		_, err = embed.QuantizeUint8(v)
		assert.ErrorIs(t, err, embed.ErrNotFinite)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// FuzzCompact: on any vector the encoders never panic, byte encodings
// keep one byte per component within their ranges (or refuse a NaN or
// an infinity), and the packers give PackedLen bytes whose bits are the
// components' signs.
func FuzzCompact(f *testing.F) {
	for _, v := range compactCases {
		f.Add(floatBytes(v))
	}
	f.Add([]byte{0, 0, 0xc0, 0x7f}) // NaN
	f.Fuzz(func(t *testing.T, raw []byte) {
		v := make([]float32, len(raw)/4)
		for i := range v {
			v[i] = math.Float32frombits(uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24)
		}
		finite := true
		for _, x := range v {
			finite = finite && !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
		}
		i8, err := embed.QuantizeInt8(v)
		u8, uerr := embed.QuantizeUint8(v)
		if !finite {
			if err == nil || uerr == nil {
				t.Fatalf("non-finite vector quantized")
			}
		} else {
			if err != nil || uerr != nil || len(i8) != len(v) || len(u8) != len(v) {
				t.Fatalf("finite vector of %d: %v %v, lengths %d %d", len(v), err, uerr, len(i8), len(u8))
			}
			for i := range v {
				if i8[i] == -128 || int(u8[i]) != int(i8[i])+128 || (v[i] > 0) != (i8[i] > 0) && i8[i] != 0 {
					t.Fatalf("component %d: %v -> int8 %d, uint8 %d", i, v[i], i8[i], u8[i])
				}
			}
		}
		ub, b := embed.PackUbinary(v), embed.PackBinary(v)
		if len(ub) != (len(v)+7)/8 || len(b) != len(ub) {
			t.Fatalf("%d components packed into %d and %d bytes", len(v), len(ub), len(b))
		}
		for i, x := range v {
			if bit := ub[i/8]>>(7-i%8)&1 == 1; bit != (x > 0) {
				t.Fatalf("bit %d is %v for %v", i, bit, x)
			}
		}
		for i := range ub {
			if int(b[i]) != int(ub[i])-128 {
				t.Fatalf("binary[%d] %d, ubinary %d", i, b[i], ub[i])
			}
		}
		if len(v) > 0 && len(v)%8 != 0 && ub[len(ub)-1]&(0xff>>(len(v)%8)) != 0 {
			t.Fatalf("padding bits set")
		}
	})
}

func floatBytes(v []float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		u := math.Float32bits(x)
		out = append(out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return out
}
