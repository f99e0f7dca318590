package embed

import (
	"strconv"
	"strings"
)

// The text forms of the setting types (Pooling, Normalization,
// Truncation, FlashAttention, Determinism) share these: the name of a
// value out of range, the words of an auto/on/off setting, and
// UnmarshalText.

// enumName returns names[v], or kind(v) for a value out of range.
func enumName[T ~int](names []string, v T, kind string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return kind + "(" + strconv.Itoa(int(v)) + ")"
}

// parseAutoOnOff parses an auto/on/off setting: "" and "auto" are auto,
// "on", "true" and "1" on, "off", "false" and "0" off (any case, spaces
// around ignored); ok is false for any other text.
func parseAutoOnOff[T any](s string, auto, on, off T) (v T, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return auto, true
	case "on", "true", "1":
		return on, true
	case "off", "false", "0":
		return off, true
	}
	return v, false
}

// unmarshalText is the UnmarshalText of a setting type: *dst is set to
// parse's value of b only when it parses.
func unmarshalText[T any](dst *T, b []byte, parse func(string) (T, error)) error {
	v, err := parse(string(b))
	if err == nil {
		*dst = v
	}
	return err
}
