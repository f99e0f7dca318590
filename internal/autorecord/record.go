// Package autorecord keeps what `embellama quantize -type auto` measured
// on this machine: the CPU and library it ran on, the model, every
// candidate format's smallest cosine to F32 and its texts/s, and the
// format it chose. `embellama pull` ranks a repository's files by it and
// `embellama info` reports it.
//
// The record is one small JSON file in embellama's directory of the user
// cache ([DefaultPath]). It is decoded strictly (unknown fields, trailing
// data, out-of-range numbers and inconsistent choices are refused) and is
// size-bounded; a missing file is [ErrNotFound] and a damaged one
// [ErrCorrupt], never a panic.
package autorecord

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version is the record format written and the only one read.
const Version = 1

// MaxSize is the largest record file read, in bytes: a record of the
// largest allowed content is well below it.
const MaxSize = 64 << 10

// Limits of a record's content.
const (
	maxCandidates = 32  // auto tries fewer than 10 formats
	maxText       = 512 // any string, in bytes
	maxFeatures   = 4096
)

// Sentinel errors. ErrNotFound is distinct from ErrCorrupt because the
// remedy differs: a missing record means "not measured yet", a corrupt
// one that the file should be measured again (it is replaced then).
var (
	// ErrNotFound: no record exists yet (quantize -type auto never ran,
	// or ran before records were kept).
	ErrNotFound = errors.New("autorecord: no measurement recorded")
	// ErrCorrupt: the record exists but cannot be trusted: not JSON, too
	// large, an unknown version or field, or inconsistent content.
	ErrCorrupt = errors.New("autorecord: corrupt record")
)

// Record is one run of quantize -type auto.
type Record struct {
	// Version is [Version].
	Version int `json:"version"`
	// MeasuredAt is when the run finished, in UTC.
	MeasuredAt time.Time `json:"measured_at"`
	// CPU is the processor the formats were timed on.
	CPU CPU `json:"cpu"`
	// Library is the llama.cpp library that ran them.
	Library Library `json:"library"`
	// Model is the model that was converted.
	Model Model `json:"model"`
	// Bound is the smallest cosine to F32 a format needed to be kept.
	Bound float64 `json:"bound"`
	// Texts is how many reference texts were compared and timed.
	Texts int `json:"texts"`
	// Candidates are the formats measured, in the order tried.
	Candidates []Candidate `json:"candidates"`
	// Chosen is the format auto wrote: the fastest kept candidate.
	Chosen string `json:"chosen"`
}

// CPU is the processor a record was measured on.
type CPU struct {
	// Class is the CPU class of platform.FastestFormat ("AVX-512 VNNI"),
	// or "" when no class fits.
	Class string `json:"class"`
	// Variant is the ggml CPU variant loaded ("zen4"), or "".
	Variant string `json:"variant"`
	// Features is ggml's system info line (llama_print_system_info).
	Features string `json:"features"`
	// Probed is platform.ProbeCPUFeatures' line: what commands that load
	// no library (pull) compare to tell this CPU from another.
	Probed string `json:"probed"`
}

// Library is the llama.cpp library a record was measured with.
type Library struct {
	// Version is llama.cpp's build (LLAMA_CPP_VERSION of the library).
	Version string `json:"version"`
	// Backend is embellama's backend name ("cpu", "native").
	Backend string `json:"backend"`
	// Path is the library's path.
	Path string `json:"path"`
}

// Model is the model a record converted.
type Model struct {
	// Name is the input file's base name.
	Name string `json:"name"`
	// Architecture is general.architecture ("bert").
	Architecture string `json:"architecture"`
	// FileType is the input's weight format ("F16").
	FileType string `json:"file_type"`
	// Dim is the embedding width; Layers the block count.
	Dim    int `json:"dim"`
	Layers int `json:"layers"`
	// Parameters is the number of weights; Size the input's bytes.
	Parameters uint64 `json:"parameters"`
	Size       int64  `json:"size"`
}

// Candidate is what was measured of one format.
type Candidate struct {
	// Format is the format as quantize -type spells it ("q8_0").
	Format string `json:"format"`
	// MinCosine is the smallest cosine of a reference text's vector to
	// the F32 model's.
	MinCosine float64 `json:"min_cosine"`
	// TextsPerSecond is the median of the timing rounds; 0 when the
	// format was not timed.
	TextsPerSecond float64 `json:"texts_per_second"`
	// Size is the converted file's size in bytes.
	Size int64 `json:"size"`
	// Error says why the format failed, or "".
	Error string `json:"error,omitempty"`
}

// Kept reports whether c met bound and was timed.
func (c Candidate) Kept(bound float64) bool {
	return c.Error == "" && c.MinCosine >= bound && c.TextsPerSecond > 0
}

// Ranking returns the kept formats, fastest first (the smaller file on a
// tie, then by name): the order pull prefers them in.
func (r Record) Ranking() []string {
	kept := make([]Candidate, 0, len(r.Candidates))
	for _, c := range r.Candidates {
		if c.Kept(r.Bound) {
			kept = append(kept, c)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if a.TextsPerSecond != b.TextsPerSecond {
			return a.TextsPerSecond > b.TextsPerSecond
		}
		if a.Size != b.Size {
			return a.Size < b.Size
		}
		return a.Format < b.Format
	})
	out := make([]string, len(kept))
	for i, c := range kept {
		out[i] = c.Format
	}
	return out
}

// Below returns the formats measured below the bound (those that
// converted and embedded but lost too much cosine), in the order tried.
func (r Record) Below() []string {
	var out []string
	for _, c := range r.Candidates {
		if c.Error == "" && c.MinCosine < r.Bound {
			out = append(out, c.Format)
		}
	}
	return out
}

// Candidate returns the candidate measured for format.
func (r Record) Candidate(format string) (Candidate, bool) {
	i := slices.IndexFunc(r.Candidates, func(c Candidate) bool { return c.Format == format })
	if i < 0 {
		return Candidate{}, false
	}
	return r.Candidates[i], true
}

var formatName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// Validate reports the first way r is not a record quantize -type auto
// could have written, wrapped in [ErrCorrupt].
func (r Record) Validate() error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

func (r Record) validate() error {
	if r.Version != Version {
		return fmt.Errorf("version %d, want %d", r.Version, Version)
	}
	if r.MeasuredAt.IsZero() || r.MeasuredAt.Year() < 2000 || r.MeasuredAt.Year() > 9999 {
		return fmt.Errorf("measured_at %v is not a plausible time", r.MeasuredAt)
	}
	for _, s := range []struct {
		name, v string
		max     int
	}{
		{"cpu.class", r.CPU.Class, maxText}, {"cpu.variant", r.CPU.Variant, maxText}, {"cpu.features", r.CPU.Features, maxFeatures}, {"cpu.probed", r.CPU.Probed, maxFeatures},
		{"library.version", r.Library.Version, maxText}, {"library.backend", r.Library.Backend, maxText}, {"library.path", r.Library.Path, maxText},
		{"model.name", r.Model.Name, maxText}, {"model.architecture", r.Model.Architecture, maxText}, {"model.file_type", r.Model.FileType, maxText},
	} {
		if err := printable(s.v, s.max); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if r.Model.Dim < 0 || r.Model.Layers < 0 || r.Model.Size < 0 {
		return errors.New("model: a negative dim, layer count or size")
	}
	if !(r.Bound > 0 && r.Bound <= 1) {
		return fmt.Errorf("bound %v is not in (0, 1]", r.Bound)
	}
	if r.Texts <= 0 || r.Texts > 1<<20 {
		return fmt.Errorf("texts %d is out of range", r.Texts)
	}
	if len(r.Candidates) == 0 || len(r.Candidates) > maxCandidates {
		return fmt.Errorf("%d candidates, want 1 to %d", len(r.Candidates), maxCandidates)
	}
	seen := map[string]bool{}
	for i, c := range r.Candidates {
		if err := c.validate(); err != nil {
			return fmt.Errorf("candidate %d: %w", i, err)
		}
		if seen[c.Format] {
			return fmt.Errorf("candidate %d: format %q twice", i, c.Format)
		}
		seen[c.Format] = true
	}
	chosen, ok := r.Candidate(r.Chosen)
	switch {
	case !ok:
		return fmt.Errorf("chosen %q is not a candidate", r.Chosen)
	case !chosen.Kept(r.Bound):
		return fmt.Errorf("chosen %q did not keep the bound %v or was not timed", r.Chosen, r.Bound)
	}
	for _, c := range r.Candidates {
		if c.Kept(r.Bound) && c.TextsPerSecond > chosen.TextsPerSecond {
			return fmt.Errorf("chosen %q (%v texts/s) is slower than kept %q (%v texts/s)", r.Chosen, chosen.TextsPerSecond, c.Format, c.TextsPerSecond)
		}
	}
	return nil
}

func (c Candidate) validate() error {
	if !formatName.MatchString(c.Format) {
		return fmt.Errorf("format %q is not a format name", c.Format)
	}
	if math.IsNaN(c.MinCosine) || c.MinCosine < -1.001 || c.MinCosine > 1.001 {
		return fmt.Errorf("%s: min_cosine %v is not a cosine", c.Format, c.MinCosine)
	}
	if math.IsNaN(c.TextsPerSecond) || c.TextsPerSecond < 0 || c.TextsPerSecond > 1e9 {
		return fmt.Errorf("%s: texts_per_second %v is out of range", c.Format, c.TextsPerSecond)
	}
	if c.Size < 0 {
		return fmt.Errorf("%s: negative size", c.Format)
	}
	if c.Error != "" && c.TextsPerSecond != 0 {
		return fmt.Errorf("%s: failed but timed", c.Format)
	}
	return printable(c.Error, maxText)
}

// printable refuses a string longer than max bytes, not UTF-8, or holding
// a control or format character (U+202E reverses the text shown):
// records are printed to terminals.
func printable(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%d bytes, at most %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8")
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError }); i >= 0 {
		return fmt.Errorf("control or format character at byte %d", i)
	}
	return nil
}
