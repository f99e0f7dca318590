package embed

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Normalization is how a vector is scaled after pooling, as llama.cpp's
// common_embd_normalize does it. The zero value is L2.
type Normalization struct {
	kind normKind
	p    int
}

type normKind int

const (
	normL2 normKind = iota
	normNone
	normMaxAbs
	normP
)

// Normalizations.
var (
	// NormalizeL2 scales to unit Euclidean length (the default).
	NormalizeL2 = Normalization{kind: normL2}
	// NormalizeNone returns the raw pooled vector.
	NormalizeNone = Normalization{kind: normNone}
	// NormalizeMaxAbs scales so the largest magnitude is 32760, the int16
	// range (llama.cpp's embd_normalize 0).
	NormalizeMaxAbs = Normalization{kind: normMaxAbs}
)

// NormalizeP scales to unit p-norm, for p ≥ 1 (p = 2 is L2).
func NormalizeP(p int) Normalization {
	if p == 2 {
		return NormalizeL2
	}
	return Normalization{kind: normP, p: p}
}

func (n Normalization) check() error {
	if n.kind < normL2 || n.kind > normP {
		return fmt.Errorf("unknown normalization")
	}
	if n.kind == normP && (n.p < 1 || n.p > 64) {
		return fmt.Errorf("p-norm needs 1 ≤ p ≤ 64, got %d", n.p)
	}
	return nil
}

// String returns "l2", "none", "maxabs" or "p<N>".
func (n Normalization) String() string {
	switch n.kind {
	case normL2:
		return "l2"
	case normNone:
		return "none"
	case normMaxAbs:
		return "maxabs"
	case normP:
		return "p" + strconv.Itoa(n.p)
	}
	return "normalization(?)"
}

// ParseNormalization parses the String form ("" is L2).
func ParseNormalization(s string) (Normalization, error) {
	switch s = strings.ToLower(strings.TrimSpace(s)); s {
	case "", "l2", "p2":
		return NormalizeL2, nil
	case "none":
		return NormalizeNone, nil
	case "maxabs":
		return NormalizeMaxAbs, nil
	}
	if rest, ok := strings.CutPrefix(s, "p"); ok {
		if p, err := strconv.Atoi(rest); err == nil {
			n := NormalizeP(p)
			if err := n.check(); err != nil {
				return Normalization{}, fmt.Errorf("%w: %v", ErrInvalidOption, err)
			}
			return n, nil
		}
	}
	return Normalization{}, fmt.Errorf("%w: normalization %q (want l2, none, maxabs or p<N>)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (n Normalization) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *Normalization) UnmarshalText(b []byte) error {
	return unmarshalText(n, b, ParseNormalization)
}

// normalize scales v in place as llama.cpp's common_embd_normalize does:
// the norm is accumulated in float64 from float32 terms, and the inverse
// is rounded to float32 before scaling. A zero vector stays zero. When
// the inverse overflows float32 (a norm below about 3e-39, possible with
// maxabs or a p-norm of subnormal components), v is divided by the norm
// in float64 instead, where llama.cpp's would turn to Inf and NaN.
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
	if math.IsInf(float64(inv), 0) {
		for i := range v {
			v[i] = float32(float64(v[i]) / sum)
		}
		return
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
