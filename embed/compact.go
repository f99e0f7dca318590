package embed

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotFinite: a vector given to [QuantizeInt8] or [QuantizeUint8] has
// a NaN or infinite component, which has no place on the byte scale.
// (It sits here rather than in errors.go so that the compact encodings
// stay one file.)
var ErrNotFinite = errors.New("embed: vector has a NaN or infinite component")

// Compact encodings of a vector, for storage and search in less space:
// one byte per component (int8, uint8), or one bit (binary, ubinary).
// The server's encoding_format and embedding_types use them.
//
// # Byte quantization
//
// sentence-transformers' quantize_embeddings maps each dimension's
// range, measured on a set of calibration embeddings (or, without one,
// on the batch being quantized), onto the 256 byte values; Cohere does
// not publish its rule. A range taken from the batch makes a vector's
// bytes depend on the other texts of its request, so a stored corpus
// and a later query would not share a scale. These functions use one
// stated, deterministic rule instead, which depends on the vector
// alone:
//
//	int8[i]  = round(127 · v[i] / ‖v‖₂)     (in [-127, 127])
//	uint8[i] = int8[i] + 128                (in [1, 255])
//
// For the unit-length vectors the engine returns by default, ‖v‖₂ is 1
// and the rule is the fixed range [-1, 1] scaled to ±127, so that the
// integer dot product of two vectors is about 127² times their cosine
// similarity, comparable across vectors. An unnormalized vector keeps
// its direction (never clipped); its length is dropped. round is
// math.Round (halves away from zero). A zero vector gives zeros (int8)
// and 128s (uint8).
//
// # Binary packing
//
// As sentence-transformers and Cohere define it: bit i is 1 when
// v[i] > 0, packed eight to a byte with the first component in the
// most significant bit (numpy's packbits), the last byte padded with
// zero bits, so a vector of d components packs into (d+7)/8 bytes.
// ubinary is those bytes; binary is each byte minus 128, as an int8.

// QuantizeInt8 returns v as signed bytes, round(127·v[i]/‖v‖₂) (see
// Compact encodings above). It returns [ErrNotFinite] for a vector with
// a NaN or infinite component.
func QuantizeInt8(v []float32) ([]int8, error) {
	scale, err := byteScale(v)
	if err != nil {
		return nil, err
	}
	out := make([]int8, len(v))
	for i, x := range v {
		out[i] = int8(math.Round(float64(x) * scale))
	}
	return out, nil
}

// QuantizeUint8 returns v as unsigned bytes: [QuantizeInt8]'s values
// plus 128, in [1, 255].
func QuantizeUint8(v []float32) ([]uint8, error) {
	q, err := QuantizeInt8(v)
	if err != nil {
		return nil, err
	}
	out := make([]uint8, len(q))
	for i, x := range q {
		out[i] = uint8(int(x) + 128)
	}
	return out, nil
}

// byteScale is 127/‖v‖₂, or 0 for a zero vector. The sum is taken in
// float64, which no float32 vector overflows, and each scaled component
// is at most 127 in magnitude (|v[i]| ≤ ‖v‖₂), so the conversion to
// int8 is exact.
func byteScale(v []float32) (float64, error) {
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("%w: component %d is %v", ErrNotFinite, i, x)
		}
		sum += f * f
	}
	if sum == 0 {
		return 0, nil
	}
	return 127 / math.Sqrt(sum), nil
}

// PackedLen is the length of v packed by [PackUbinary] or [PackBinary]
// when v has dims components: one bit each, rounded up to whole bytes.
func PackedLen(dims int) int { return (dims + 7) / 8 }

// PackUbinary returns the sign bits of v packed eight to a byte, first
// component in the most significant bit: bit i is 1 when v[i] > 0 (NaN
// and -0 give 0). Its length is [PackedLen](len(v)).
func PackUbinary(v []float32) []uint8 {
	out := make([]uint8, PackedLen(len(v)))
	for i, x := range v {
		if x > 0 {
			out[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}

// PackBinary returns [PackUbinary]'s bytes minus 128, as signed bytes
// (sentence-transformers' and Cohere's "binary").
func PackBinary(v []float32) []int8 {
	u := PackUbinary(v)
	out := make([]int8, len(u))
	for i, b := range u {
		out[i] = int8(int(b) - 128)
	}
	return out
}
