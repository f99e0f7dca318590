package embed

import (
	"fmt"
	"strings"
)

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
func (t Truncation) String() string { return enumName(truncationNames[:], t, "truncation") }

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
	return unmarshalText(t, b, ParseTruncation)
}
