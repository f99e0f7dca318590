package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/internal/hub"
	"github.com/embellama/embellama/platform"
)

// listTimeout bounds the listing of a repository: a hub that answers a
// few kilobytes slower than this is treated as down, rather than holding
// pull forever before the download starts.
const listTimeout = 2 * time.Minute

// pullRanking is how pull ranks a repository's formats, and what it
// rests on, for the line that says so.
type pullRanking struct {
	hub.Ranking
	rec       *autorecord.Record // the auto record used, or nil
	class     string             // the CPU class of the published ranking
	measured  bool               // the published ranking was measured
	recordWhy string             // why no record was used, when one exists
}

// loadPullRanking ranks formats by this machine's auto record when one
// exists and was measured on this CPU (its probed features match), and
// by the published ranking for this CPU's class otherwise, or for the
// formats the record did not measure.
func loadPullRanking() pullRanking {
	probed := platform.ProbeCPUFeatures()
	var r pullRanking
	r.Published, r.class, r.measured = platform.PublishedRanking(probed)
	r.PublishedBelow = platform.BelowNearExact()
	rec, _, err := readAutoRecord()
	switch {
	case errors.Is(err, autorecord.ErrNotFound):
	case err != nil:
		r.recordWhy = "the auto record is unreadable: " + errorText(err)
	case rec.CPU.Probed != probed:
		r.recordWhy = "the auto record was measured on another CPU"
	default:
		r.rec = &rec
		r.Measured, r.MeasuredBelow = rec.Ranking(), rec.Below()
	}
	return r
}

// pullChoose lists repo on the hub and picks the file to download by
// loadPullRanking, saying on stderr, in one line, which and why.
func pullChoose(ctx context.Context, repo, token string, stderr io.Writer) (hub.File, error) {
	l := &hub.Lister{Base: hubURL, Token: token}
	lctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	entries, err := l.List(lctx, repo)
	if err != nil {
		return hub.File{}, err
	}
	r := loadPullRanking()
	c, err := hub.Choose(entries, r.Ranking)
	switch {
	case errors.Is(err, hub.ErrNoModel), errors.Is(err, hub.ErrAmbiguous):
		return hub.File{}, fmt.Errorf("%s: %w; name the file with -file NAME or %s/FILE", repo, err, repo)
	case err != nil:
		return hub.File{}, err
	}
	fmt.Fprintln(stderr, choiceLine(c, r))
	return c.File, nil
}

// choiceLine says which file pull chose and on what basis.
func choiceLine(c hub.Choice, r pullRanking) string {
	what := fmt.Sprintf("chose %s (%s)", c.File.Name, c.File.Format.Label)
	again := "; run quantize -type auto to measure here"
	var line string
	switch c.Basis {
	case hub.Measured:
		again = ""
		line = fmt.Sprintf("%s: fastest near-exact format measured on this machine by quantize -type auto on %s", what, r.rec.MeasuredAt.Format("2006-01-02"))
	case hub.Published:
		line = fmt.Sprintf("%s: fastest near-exact format by the %s", what, publishedWhat(r.class, r.measured))
	case hub.Unranked:
		line = fmt.Sprintf("%s: the most precise format offered; no measurement ranks the formats of this repository", what)
	case hub.Below:
		line = fmt.Sprintf("%s: every format offered measured below cosine %g to F32; the most precise of them", what, embed.AutoMinCosine)
	}
	if r.recordWhy != "" {
		again = " (" + r.recordWhy + ")" + again
	}
	if len(c.Files) > 1 {
		others := c.Files[1:]
		names := make([]string, 0, min(len(others), 8))
		for _, f := range others[:min(len(others), 8)] {
			names = append(names, f.Format.Label)
		}
		if len(others) > len(names) {
			names = append(names, fmt.Sprintf("%d more", len(others)-len(names)))
		}
		again += "; also offered: " + strings.Join(names, ", ")
	}
	return line + again
}
