package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/embellama/embellama/embed"
)

// classifyRecord is one output line of classify: the best class, and
// every class in the model's output order; or the input's error.
type classifyRecord struct {
	ID      json.RawMessage `json:"id"`
	Label   string          `json:"label,omitempty"`
	Score   *float64        `json:"score,omitempty"`
	Classes []classScore    `json:"classes,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// classScore is one class of a classifyRecord.
type classScore struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
	Raw   float64 `json:"raw"`
}

func runClassify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("classify", "[TEXT...]  (no TEXT: -file, or one text per line of standard input)", stderr)
	ef := addEngineFlags(fs, engineUse{skip: []string{"normalize"}})
	file := fs.String("file", "", "read texts from `path` (- for standard input): one per line, or JSON Lines (see -input)")
	var in inputFlags
	in.add(fs, "text")
	skipEmpty := fs.Bool("skip-empty", false, "leave blank lines out (no row; ids still count them) instead of giving each an error row")
	if err := parse(fs, args); err != nil {
		return err
	}
	recs, err := readTexts(fs.Args(), *file, stdin, &in, *skipEmpty)
	if err != nil {
		return err
	}
	return ef.runEngine(stderr, nil, func(ctx context.Context, e *embed.Engine) error {
		rows, err := classifyRecords(ctx, e, recs)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, row := range rows {
			if err := enc.Encode(row); err != nil {
				return fmt.Errorf("writing the output: %w", err)
			}
		}
		if reportFailures(stderr, "classify", recs) > 0 {
			return errReported
		}
		return nil
	})
}

// classifyRecords classifies the records read without error in one call
// and returns one row per record, in order: its classes, or its error
// ("line N: ...", as embed's error rows), which recs keeps too.
func classifyRecords(ctx context.Context, e *embed.Engine, recs []record) ([]classifyRecord, error) {
	out := make([]classifyRecord, len(recs))
	if texts, index := readable(recs); len(texts) > 0 {
		inputs := make([][]string, len(texts))
		for j, t := range texts {
			inputs[j] = []string{t}
		}
		res, err := e.Classify(ctx, "", inputs)
		if err != nil {
			return nil, err
		}
		for j, i := range index {
			it := res.Items[j]
			if recs[i].err = it.Err; it.Err != nil {
				continue
			}
			for _, c := range it.Classes {
				out[i].Classes = append(out[i].Classes, classScore{Label: c.Label, Score: c.Score, Raw: c.Raw})
			}
			best := it.Sorted()[0]
			out[i].Label, out[i].Score = best.Label, &best.Score
		}
	}
	for i, r := range recs {
		out[i].ID = r.id
		if r.err != nil {
			out[i].Error = r.failure()
		}
	}
	return out, nil
}
