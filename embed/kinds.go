package embed

import (
	"fmt"
	"strconv"
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
	llamaPooling  = map[Pooling]llama.PoolingType{PoolingMean: llama.PoolingMean, PoolingCLS: llama.PoolingCLS, PoolingLast: llama.PoolingLast}
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
	if p.valid() {
		return poolingNames[p]
	}
	return "pooling(" + strconv.Itoa(int(p)) + ")"
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
	v, err := ParsePooling(string(b))
	if err == nil {
		*p = v
	}
	return err
}

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
	v, err := ParseNormalization(string(b))
	if err == nil {
		*n = v
	}
	return err
}

// Truncation is what happens to a text with more tokens than the context.
type Truncation int

// Truncations.
const (
	// TruncateNone refuses the text with ErrTooLong (the default).
	TruncateNone Truncation = iota
	// TruncateEnd keeps the beginning of the text and drops the end.
	TruncateEnd
	// TruncateStart keeps the end of the text and drops the beginning.
	TruncateStart
)

var truncationNames = [...]string{"error", "end", "start"}

func (t Truncation) valid() bool { return t >= 0 && int(t) < len(truncationNames) }

// String returns "error", "end" or "start".
func (t Truncation) String() string {
	if t.valid() {
		return truncationNames[t]
	}
	return "truncation(" + strconv.Itoa(int(t)) + ")"
}

// ParseTruncation parses the String form ("" and "none" are "error";
// "right" and "left" are accepted for "end" and "start").
func ParseTruncation(s string) (Truncation, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "error", "none":
		return TruncateNone, nil
	case "end", "right":
		return TruncateEnd, nil
	case "start", "left":
		return TruncateStart, nil
	}
	return 0, fmt.Errorf("%w: truncation %q (want error, end or start)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (t Truncation) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Truncation) UnmarshalText(b []byte) error {
	v, err := ParseTruncation(string(b))
	if err == nil {
		*t = v
	}
	return err
}

// FlashAttention selects llama.cpp's attention kernel.
type FlashAttention int

// Flash attention settings.
const (
	// FlashAttentionAuto lets the engine choose (the default). On the CPU
	// it turns flash attention off for models whose attention heads are
	// not a multiple of 16 values wide: ggml's CPU flash-attention kernel
	// then falls back to a scalar loop, and the plain matrix path is
	// faster (stories260K, head size 8: 1.2-1.5x). Otherwise llama.cpp
	// decides.
	FlashAttentionAuto FlashAttention = iota
	// FlashAttentionOn always uses flash attention.
	FlashAttentionOn
	// FlashAttentionOff never uses it.
	FlashAttentionOff
)

var flashAttentionNames = [...]string{"auto", "on", "off"}

func (f FlashAttention) valid() bool { return f >= 0 && int(f) < len(flashAttentionNames) }

// String returns "auto", "on" or "off".
func (f FlashAttention) String() string {
	if f.valid() {
		return flashAttentionNames[f]
	}
	return "flash-attention(" + strconv.Itoa(int(f)) + ")"
}

// ParseFlashAttention parses the String form ("" is "auto"; "true",
// "false", "1" and "0" are accepted too).
func ParseFlashAttention(s string) (FlashAttention, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FlashAttentionAuto, nil
	case "on", "true", "1":
		return FlashAttentionOn, nil
	case "off", "false", "0":
		return FlashAttentionOff, nil
	}
	return 0, fmt.Errorf("%w: flash attention %q (want auto, on or off)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (f FlashAttention) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *FlashAttention) UnmarshalText(b []byte) error {
	v, err := ParseFlashAttention(string(b))
	if err == nil {
		*f = v
	}
	return err
}
