package embed

import (
	"fmt"
	"strings"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/llama"
)

// Pooling is how the vectors of a text's tokens become one vector.
type Pooling int

// Poolings. PoolingDefault means the model's own (from its GGUF).
const (
	PoolingDefault Pooling = iota
	PoolingMean
	PoolingCLS
	PoolingLast
)

var poolingNames = [...]string{"", "mean", "cls", "last"}

// The one conversion of poolings: from a GGUF file's declared pooling, and
// to llama.cpp's (PoolingDefault has no llama.cpp value; callers resolve it
// first). The three enums share llama.cpp's numbers.
var (
	poolingOfGGUF = map[gguf.Pooling]Pooling{gguf.PoolingMean: PoolingMean, gguf.PoolingCLS: PoolingCLS, gguf.PoolingLast: PoolingLast}
	llamaPooling  = map[Pooling]llama.PoolingType{PoolingMean: llama.PoolingMean, PoolingCLS: llama.PoolingCLS, PoolingLast: llama.PoolingLast, poolingRank: llama.PoolingRank}
)

// poolingFromGGUF returns the pooling a file declares, and false for none
// and rank, which do not make a sentence vector.
func poolingFromGGUF(p gguf.Pooling) (Pooling, bool) {
	v, ok := poolingOfGGUF[p]
	return v, ok
}

func (p Pooling) valid() bool { return p >= 0 && int(p) < len(poolingNames) }

// String returns "mean", "cls", "last", or "" for the default.
func (p Pooling) String() string {
	if p == poolingRank {
		return "rank"
	}
	return enumName(poolingNames[:], p, "pooling")
}

// ParsePooling parses the String form; "" and "default" give PoolingDefault.
func ParsePooling(s string) (Pooling, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "default" {
		return PoolingDefault, nil
	}
	for i, n := range poolingNames {
		if s == n {
			return Pooling(i), nil
		}
	}
	return 0, fmt.Errorf("%w: pooling %q (want mean, cls or last)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (p Pooling) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Pooling) UnmarshalText(b []byte) error {
	return unmarshalText(p, b, ParsePooling)
}
