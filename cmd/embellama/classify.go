package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"

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
	cfg, err := ef.config(stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	rows, err := classifyRecords(ctx, e, recs)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	failed := 0
	for _, row := range rows {
		if row.Error != "" {
			failed++
			if failed <= maxReported {
				fmt.Fprintf(stderr, "embellama classify: %s\n", row.Error)
			}
		}
		if err := enc.Encode(row); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
	}
	if failed > maxReported {
		fmt.Fprintf(stderr, "embellama classify: … and %d more failed inputs (%d of %d in all)\n", failed-maxReported, failed, len(recs))
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

// classifyRecords classifies the records read without error in one call
// and returns one row per record, in order: its classes, or its error
// ("line N: ...", as embed's error rows).
func classifyRecords(ctx context.Context, e *embed.Engine, recs []record) ([]classifyRecord, error) {
	out := make([]classifyRecord, len(recs))
	var inputs [][]string
	var index []int // inputs[j] is recs[index[j]]
	for i, r := range recs {
		out[i].ID = r.id
		if r.err != nil {
			out[i].Error = r.where + ": " + errorText(r.err)
			continue
		}
		inputs = append(inputs, []string{r.text})
		index = append(index, i)
	}
	if len(inputs) == 0 {
		return out, nil
	}
	res, err := e.Classify(ctx, "", inputs)
	if err != nil {
		return nil, err
	}
	for j, i := range index {
		it := res.Items[j]
		if it.Err != nil {
			out[i].Error = recs[i].where + ": " + errorText(it.Err)
			continue
		}
		for _, c := range it.Classes {
			out[i].Classes = append(out[i].Classes, classScore{Label: c.Label, Score: c.Score, Raw: c.Raw})
		}
		best := it.Sorted()[0]
		out[i].Label, out[i].Score = best.Label, &best.Score
	}
	return out, nil
}
