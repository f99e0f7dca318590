package main

import (
	"context"
	"fmt"
	"io"

	"github.com/embellama/embellama/embed"
)

// maxReported is how many failed inputs are named on stderr; the rest are
// counted.
const maxReported = 20

// embedRecords embeds the records that were read without error, in one
// batch, and stores each one's vector or error in it. The returned error
// is for the call as a whole (a canceled context, a closed engine).
func embedRecords(ctx context.Context, e *embed.Engine, recs []record, opts ...embed.Option) error {
	texts, index := readable(recs)
	if len(texts) == 0 {
		return nil
	}
	res, err := e.EmbedBatch(ctx, "", texts, opts...)
	if err != nil {
		return err
	}
	for j, i := range index {
		recs[i].vec, recs[i].err = res.Vectors[j], res.Errors[j]
	}
	return nil
}

// readable returns the texts of the records read without error, and
// where each stands in recs: texts[j] is recs[index[j]].
func readable(recs []record) (texts []string, index []int) {
	for i, r := range recs {
		if r.err == nil {
			texts = append(texts, r.text)
			index = append(index, i)
		}
	}
	return texts, index
}

// reportFailures writes one line per failed record to w (at most
// maxReported, then a count), as command cmd, and returns how many failed.
func reportFailures(w io.Writer, cmd string, recs []record) int {
	failed := 0
	for _, r := range recs {
		if r.err == nil {
			continue
		}
		failed++
		if failed <= maxReported {
			fmt.Fprintf(w, "embellama %s: %s\n", cmd, r.failure())
		}
	}
	if failed > maxReported {
		fmt.Fprintf(w, "embellama %s: … and %d more failed inputs (%d of %d in all)\n", cmd, failed-maxReported, failed, len(recs))
	}
	return failed
}
