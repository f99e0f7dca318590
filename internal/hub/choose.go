package hub

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Sentinel errors of [Choose].
var (
	// ErrNoModel: the repository holds no GGUF model file whose format
	// its name tells; pass the file to pull.
	ErrNoModel = errors.New("hub: no GGUF model file with a known format")
	// ErrAmbiguous: the best format is offered by more than one file;
	// pass the file to pull.
	ErrAmbiguous = errors.New("hub: several files of the chosen format")
)

// Basis says what ranked the chosen file first.
type Basis int

// The bases of a choice, from the strongest.
const (
	// Measured: its format kept the cosine bound and was the fastest
	// such format offered, measured on this machine (the auto record).
	Measured Basis = iota
	// Published: its format is near-exact and the fastest offered by the
	// published ranking for this CPU class (no record measured it).
	Published
	// Unranked: no ranking covers its format; it is the most precise of
	// the unranked formats offered, and no ranked near-exact one was.
	Unranked
	// Below: every format offered was measured below the bound; it is
	// the most precise of them.
	Below
)

// Ranking orders formats (as quantize -type spells them) for [Choose].
type Ranking struct {
	// Measured are formats measured near-exact on this machine, fastest
	// first; MeasuredBelow those measured below the bound there. They
	// override the published lists.
	Measured, MeasuredBelow []string
	// Published are formats the published measurements for this CPU
	// class found near-exact, fastest first; PublishedBelow those they
	// found below the bound.
	Published, PublishedBelow []string
}

// File is a candidate model file of a listing.
type File struct {
	// Name is the file's name in the repository.
	Name string
	// Format is the weight format its name carries.
	Format Format
	// Size is its size in bytes (the LFS object's when it has one).
	Size int64
	// SHA256 is the LFS object's sha256, or "" when the listing gave
	// none (a file outside LFS).
	SHA256 string
}

// Choice is what [Choose] picked.
type Choice struct {
	File  File
	Basis Basis
	// Files are the candidate model files, best first.
	Files []File
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ModelFiles returns the files of entries that are candidate models: a
// .gguf file whose name carries one known format, not a part of a split
// model, a projector or an importance matrix. skipped counts the .gguf
// files left out, by reason.
func ModelFiles(entries []Entry) (files []File, skipped map[Skip][]string) {
	skipped = map[Skip][]string{}
	for _, e := range entries {
		if e.Type != "file" {
			continue
		}
		f, why := Classify(e.Path)
		if why != "" {
			if why != SkipNotGGUF {
				skipped[why] = append(skipped[why], e.Path)
			}
			continue
		}
		file := File{Name: e.Path, Format: f, Size: e.Size}
		if e.LFS != nil {
			file.Size = e.LFS.Size
			if oid := strings.ToLower(e.LFS.OID); sha256Hex.MatchString(oid) {
				file.SHA256 = oid
			}
		}
		files = append(files, file)
	}
	return files, skipped
}

// Choose picks the file to download among entries' model files: the
// fastest format measured near-exact on this machine (r.Measured); else
// the fastest the published ranking finds near-exact; else the most
// precise format no ranking covers; else (every format offered measured
// below the bound) the most precise of those. A format below the bound
// is never chosen over one above it or one not measured. Two files of
// the chosen format are [ErrAmbiguous]; no model file is [ErrNoModel].
func Choose(entries []Entry, r Ranking) (Choice, error) {
	files, skipped := ModelFiles(entries)
	if len(files) == 0 {
		return Choice{}, fmt.Errorf("%w%s", ErrNoModel, describeSkipped(skipped))
	}
	type key struct {
		basis Basis
		pos   int
	}
	rank := func(f File) key {
		t := f.Format.Type
		switch {
		case slices.Contains(r.Measured, t):
			return key{Measured, slices.Index(r.Measured, t)}
		case slices.Contains(r.MeasuredBelow, t):
			return key{Below, f.Format.precision}
		case slices.Contains(r.Published, t):
			return key{Published, slices.Index(r.Published, t)}
		case slices.Contains(r.PublishedBelow, t):
			return key{Below, f.Format.precision}
		}
		return key{Unranked, f.Format.precision}
	}
	less := func(a, b key) int {
		if a.basis != b.basis {
			return int(a.basis) - int(b.basis)
		}
		return a.pos - b.pos
	}
	slices.SortStableFunc(files, func(a, b File) int {
		if c := less(rank(a), rank(b)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	best := rank(files[0])
	var tied []string
	for _, f := range files {
		if rank(f) == best && f.Format.Type == files[0].Format.Type {
			tied = append(tied, f.Name)
		}
	}
	if len(tied) > 1 {
		return Choice{}, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(tied, ", "))
	}
	return Choice{File: files[0], Basis: best.basis, Files: files}, nil
}

// describeSkipped says which .gguf files were left out and why, naming
// at most a few of each.
func describeSkipped(skipped map[Skip][]string) string {
	if len(skipped) == 0 {
		return " (no .gguf file at the top level)"
	}
	var parts []string
	for _, why := range []Skip{SkipUnknown, SkipAmbiguous, SkipSplit, SkipProjector, SkipImatrix} {
		names := skipped[why]
		if len(names) == 0 {
			continue
		}
		shown := names[:min(len(names), 3)]
		more := ""
		if len(names) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(names)-len(shown))
		}
		parts = append(parts, fmt.Sprintf("%s: %s%s", why, strings.Join(quoteAll(shown), ", "), more))
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}
