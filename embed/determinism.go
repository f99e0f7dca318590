package embed

import "fmt"

// Determinism selects whether a text's vector, and a query-document
// pair's score, may depend on what else is evaluated with it.
//
// # Why vectors move
//
// llama.cpp evaluates the texts of a batch together: their tokens are
// the rows of one set of matrix products, attention runs over the whole
// batch with other texts' tokens masked out, and mean pooling is a
// product over every token of the batch. ggml's kernels sum in SIMD
// chunks whose grouping depends on where a text's values fall in the
// batch (flash attention's KV tiles and online softmax rescaling, the
// softmax and pooling sums, the matrix kernels chosen by the number of
// rows), so the same text packed with others comes out a few units in
// the last place different: 0 of 40 vectors of the MiniLM-shaped fixture
// were bit-identical packed and alone.
//
// # What deterministic mode does
//
// Each text is evaluated alone, in llama.cpp calls that hold only its
// tokens (MaxSequences 1): every kernel then sees the same shapes, at the
// same offsets, whatever else the call or other calls hold, and ggml's
// kernels compute each output element in one thread in a fixed order, so
// the thread count does not change it either. The vector is
// bit-identical for a given library, CPU variant and model settings
// (TestDeterministicBytes compares bytes over random packings,
// concurrent calls, contexts and thread counts). The cost is measured in
// BENCHMARKS.md ("Deterministic mode").
type Determinism int

// Determinism settings.
const (
	// DeterminismAuto is the default: off, since evaluating texts alone
	// cost 2.2 (F16) to 3.8 (Q8_0) times the time on short texts of the
	// MiniLM shape (BENCHMARKS.md, "Deterministic mode").
	DeterminismAuto Determinism = iota
	// DeterminismOn evaluates each text alone: bit-identical vectors
	// and scores whatever shares the call.
	DeterminismOn
	// DeterminismOff packs several texts into one llama.cpp call: vectors
	// then move in the last bits with what they are packed with.
	DeterminismOff
)

var determinismNames = [...]string{"auto", "on", "off"}

func (d Determinism) valid() bool { return d >= 0 && int(d) < len(determinismNames) }

// String returns "auto", "on" or "off".
func (d Determinism) String() string { return enumName(determinismNames[:], d, "determinism") }

// ParseDeterminism parses the String form ("" is "auto"; "true",
// "false", "1" and "0" are accepted too).
func ParseDeterminism(s string) (Determinism, error) {
	if v, ok := parseAutoOnOff(s, DeterminismAuto, DeterminismOn, DeterminismOff); ok {
		return v, nil
	}
	return 0, fmt.Errorf("%w: deterministic %q (want auto, on or off)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Determinism) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Determinism) UnmarshalText(b []byte) error {
	return unmarshalText(d, b, ParseDeterminism)
}
