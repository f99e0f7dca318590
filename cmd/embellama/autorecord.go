package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/platform"
)

// newAutoRecord turns what quantize -type auto measured of the model in
// into the record pull and info read.
func newAutoRecord(e *embed.Engine, rep embed.AutoReport, in string, at time.Time) autorecord.Record {
	lib := e.Library()
	class := ""
	if adv, ok := platform.FastestFormat(lib.SystemInfo()); ok {
		class = adv.Class
	}
	rec := autorecord.Record{
		Version:    autorecord.Version,
		MeasuredAt: at.UTC().Truncate(time.Second),
		CPU:        autorecord.CPU{Class: class, Variant: lib.CPUVariant(), Features: lib.SystemInfo(), Probed: platform.ProbeCPUFeatures()},
		Library:    autorecord.Library{Version: lib.Version(), Backend: e.Backend().String(), Path: lib.Path()},
		Model:      autorecord.Model{Name: filepath.Base(in)},
		Bound:      rep.Bound,
		Texts:      rep.Texts,
		Chosen:     rep.Chosen,
	}
	if f, err := gguf.Open(in); err == nil {
		rec.Model.Architecture, rec.Model.FileType = f.Architecture(), f.FileType()
		rec.Model.Dim, rec.Model.Layers, rec.Model.Parameters = f.EmbeddingLength(), f.BlockCount(), f.ParameterCount()
	}
	if fi, err := os.Stat(in); err == nil {
		rec.Model.Size = fi.Size()
	}
	for _, c := range rep.Candidates {
		rc := autorecord.Candidate{Format: c.Type, MinCosine: c.MinCosine, TextsPerSecond: c.TextsPerSecond, Size: c.Size}
		if c.Err != nil {
			rc.Error, rc.TextsPerSecond = oneLine(errorText(c.Err), 200), 0
		}
		rec.Candidates = append(rec.Candidates, rc)
	}
	return rec
}

// saveAutoRecord writes rec to the record's place and says where, or why
// not: the conversion succeeded either way.
func saveAutoRecord(rec autorecord.Record, w io.Writer) {
	path, err := autorecord.DefaultPath()
	if err == nil {
		err = autorecord.Write(path, rec)
	}
	if err != nil {
		fmt.Fprintf(w, "auto: the measurement was not recorded (pull and info will not use it): %s\n", errorText(err))
		return
	}
	fmt.Fprintf(w, "auto: recorded in %s (pull ranks a repository's files by it; info shows it)\n", path)
}

// readAutoRecord reads this user's auto record, for autoRecordLine, with
// this CPU's probed features.
func readAutoRecord() (rec autorecord.Record, probed string, err error) {
	probed = platform.ProbeCPUFeatures()
	path, err := autorecord.DefaultPath()
	if err != nil {
		return autorecord.Record{}, probed, err
	}
	rec, err = autorecord.Read(path)
	return rec, probed, err
}

// autoRecordLine is info's "auto choice" line: what quantize -type auto
// picked on this machine and why, from its record, or that it has not
// measured yet and what pull uses meanwhile.
func autoRecordLine(rec autorecord.Record, err error, probed string) string {
	switch {
	case errors.Is(err, autorecord.ErrNotFound):
		ranking, class, measured := platform.PublishedRanking(probed)
		return fmt.Sprintf("not measured yet (embellama quantize -type auto IN OUT measures this machine); pull ranks formats by the %s meanwhile: %s",
			publishedWhat(class, measured), strings.Join(ranking, ", "))
	case err != nil:
		return fmt.Sprintf("unreadable record (%s); quantize -type auto replaces it", errorText(err))
	}
	chosen, _ := rec.Candidate(rec.Chosen)
	var kept, below []string
	for _, f := range rec.Ranking()[1:] {
		c, _ := rec.Candidate(f)
		kept = append(kept, fmt.Sprintf("%s %.1f", f, c.TextsPerSecond))
	}
	for _, f := range rec.Below() {
		c, _ := rec.Candidate(f)
		below = append(below, fmt.Sprintf("%s %.6f", f, c.MinCosine))
	}
	line := fmt.Sprintf("%s: the fastest format whose cosine to F32 stayed >= %g, measured by quantize -type auto on %s (%s, %s %dx%d, %s library %s): %.1f texts/s, min cosine %.6f",
		rec.Chosen, rec.Bound, rec.MeasuredAt.Format("2006-01-02 15:04 UTC"), rec.Model.Name, rec.Model.Architecture, rec.Model.Dim, rec.Model.Layers,
		rec.Library.Backend, rec.Library.Version, chosen.TextsPerSecond, chosen.MinCosine)
	if len(kept) > 0 {
		line += "; then " + strings.Join(kept, ", ")
	}
	if len(below) > 0 {
		line += "; below the bound: " + strings.Join(below, ", ")
	}
	if rec.CPU.Probed != probed {
		line += "; measured on another CPU (its features differ), so pull does not use it: run quantize -type auto here"
	}
	return line
}

// publishedWhat names the published ranking for a CPU class.
func publishedWhat(class string, measured bool) string {
	cpu := "this CPU"
	if class != "" {
		cpu = class + " CPUs"
	}
	if measured {
		return "published measurements for " + cpu
	}
	return "ranking inferred (not measured) for " + cpu
}

// oneLine returns s on one line without control characters, cut to at
// most n bytes at a rune boundary.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
