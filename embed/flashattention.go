package embed

import "fmt"

// FlashAttention selects llama.cpp's attention kernel.
type FlashAttention int

// Flash attention settings.
const (
	// FlashAttentionAuto lets the engine choose (the default). On the CPU
	// it turns flash attention off for models whose attention heads are
	// not a multiple of 16 values wide: ggml's CPU flash-attention kernel
	// then falls back to a scalar loop, and the plain matrix path is
	// faster (BENCHMARKS.md, "Which attention kernel"). Otherwise
	// llama.cpp decides.
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
	return enumName(flashAttentionNames[:], f, "flash-attention")
}

// ParseFlashAttention parses the String form ("" is "auto"; "true",
// "false", "1" and "0" are accepted too).
func ParseFlashAttention(s string) (FlashAttention, error) {
	if v, ok := parseAutoOnOff(s, FlashAttentionAuto, FlashAttentionOn, FlashAttentionOff); ok {
		return v, nil
	}
	return 0, fmt.Errorf("%w: flash attention %q (want auto, on or off)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (f FlashAttention) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (f *FlashAttention) UnmarshalText(b []byte) error {
	return unmarshalText(f, b, ParseFlashAttention)
}
