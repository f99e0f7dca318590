package embed

import (
	"fmt"

	"github.com/embellama/embellama/embed/internal/layout"
)

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
// It lays each batch out (package layout): every text starts at a
// multiple of 16 tokens, one of at most 64 tokens stays inside one of
// flash attention's 64-key tiles and a longer one starts a tile, the
// batch is a multiple of 16 tokens and at least 64 with flash attention,
// and filler tokens of a sequence of their own fill the gaps. The other
// texts' keys are masked to -inf, so they add exact zeros to every sum,
// and every sum over the batch then groups the text's values in the same
// SIMD lanes, tiles and kernels as when it is alone. ggml's kernels
// compute each output element in one thread in a fixed order, so the
// thread count does not change it either. The vector is bit-identical
// for a given library, CPU variant and model settings
// (TestDeterministicBytes compares bytes over random packings,
// concurrent calls, contexts and thread counts). A decoder, whose long
// texts span several llama.cpp calls, and a batch that is not a multiple
// of 16 tokens evaluate each text alone instead (MaxSequences 1), as
// does MaxSequences 1 set. The cost is measured in BENCHMARKS.md
// ("Deterministic mode").
type Determinism int

// Determinism settings.
const (
	// DeterminismAuto is the default: on for encoder rerankers and
	// classifiers, whose packed scores would otherwise move with flash
	// attention; off for embedding models, whose short texts the layout's
	// padding costs about 1.2 times the time (BENCHMARKS.md,
	// "Deterministic mode").
	DeterminismAuto Determinism = iota
	// DeterminismOn lays texts out (or evaluates each alone):
	// bit-identical vectors and scores whatever shares the call.
	DeterminismOn
	// DeterminismOff packs texts back to back into one llama.cpp call:
	// vectors then move in the last bits with what they are packed with.
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

// Layout constants of the pinned ggml CPU kernels (see package layout).
const (
	// layoutLane is the widest SIMD sum over a batch's tokens: 16 floats
	// (AVX-512); it is a multiple of the narrower ones (8, 4).
	layoutLane = 16
	// layoutTile is flash attention's key and query tile
	// (GGML_FA_TILE_KV, GGML_FA_TILE_Q).
	layoutTile = 64
	// maxSeqIDs is llama.cpp's LLAMA_MAX_SEQ.
	maxSeqIDs = 256
)

// planDeterminism resolves Deterministic once the batch is planned, seqs
// being MaxSequences as set, and returns whether it is on and how
// batches are laid out. On places texts by the layout (package layout),
// MaxSequences leaving a sequence id for the filler: llama.cpp asserts
// that n_seq_max, filler included, divides the ubatch when it reserves
// mean pooling. A model that cannot be laid out (on a GPU, whose kernels
// the layout's constants do not describe; a decoder, whose long texts
// span several calls; a batch not a multiple of the lane) or
// MaxSequences 1 evaluates each text alone. Auto is on for encoder
// rerankers and classifiers (rank pooling), whose packed scores would
// otherwise move with flash attention, on the CPU when they can be laid
// out and MaxSequences is not set; off for the rest: laid out, short texts cost
// 1.2 times the time (BENCHMARKS.md, "Deterministic mode"), above the 5%
// a default may cost.
func planDeterminism(cfg *ModelConfig, seqs int, causal, rank, cpu bool, fa FlashAttention) (bool, layout.Rule) {
	auto := cfg.Deterministic == DeterminismAuto
	if !(cfg.Deterministic == DeterminismOn || auto && rank && !causal && cpu && seqs == 0) {
		cfg.Deterministic = DeterminismOff
		return false, layout.Rule{}
	}
	ub := cfg.UBatchSize
	ids := 0
	if cpu && !causal && seqs != 1 && ub%layoutLane == 0 && ub >= layoutTile && ub == cfg.BatchSize {
		ids = largestDivisor(ub, min(ub/layoutLane, maxSeqIDs))
	}
	switch {
	case ids >= 2:
		cfg.Deterministic, cfg.MaxSequences = DeterminismOn, ids-1
		r := layout.Rule{Lane: layoutLane, Cap: cfg.BatchSize}
		if fa != FlashAttentionOff {
			r.Tile, r.Min = layoutTile, layoutTile
		}
		return true, r
	case auto:
		cfg.Deterministic = DeterminismOff
		return false, layout.Rule{}
	}
	cfg.Deterministic, cfg.MaxSequences = DeterminismOn, 1
	return true, layout.Rule{}
}

// seqIDs is llama.cpp's n_seq_max for a model: MaxSequences, and one more
// for the filler when its batches are laid out.
func seqIDs(maxSequences int, r layout.Rule) int {
	if r.Aligned() {
		return maxSequences + 1
	}
	return maxSequences
}
