package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/embellama/embellama/embed"
)

// quantizeAuto runs `quantize -type auto` and prints what it measured:
// one row per candidate format, then the choice.
// The measurement is recorded in the user cache (autorecord), for pull
// and info; a failure to record it is said on stderr and fails nothing.
func quantizeAuto(ctx context.Context, e *embed.Engine, in, out string, opts embed.QuantizeOptions, w, stderr io.Writer) error {
	rep, err := e.QuantizeAuto(ctx, in, out, opts)
	if len(rep.Candidates) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "format\tmin cosine vs F32\ttexts/s\tsize\n")
		for _, c := range rep.Candidates {
			rate := "-"
			switch {
			case c.Err != nil:
				rate = "failed: " + errorText(c.Err)
			case c.MinCosine < rep.Bound:
				rate = fmt.Sprintf("- (below %g)", rep.Bound)
			case c.TextsPerSecond > 0:
				rate = fmt.Sprintf("%.1f", c.TextsPerSecond)
			}
			fmt.Fprintf(tw, "%s\t%.6f\t%s\t%s\n", c.Type, c.MinCosine, rate, human(uint64(c.Size), 1024, "B"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "auto: %s, the fastest here whose %d reference texts keep cosine >= %g to the F32 model\n",
		rep.Chosen, rep.Texts, rep.Bound); err != nil {
		return err
	}
	saveAutoRecord(newAutoRecord(e, rep, in, time.Now()), stderr)
	return nil
}
