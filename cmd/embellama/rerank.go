package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/embellama/embellama/embed"
)

// rerankRecord is one output line of rerank.
type rerankRecord struct {
	ID    json.RawMessage `json:"id"`
	Index int             `json:"index"`
	Score float64         `json:"score"`
	Raw   float64         `json:"raw"`
	Rank  int             `json:"rank"`
}

func runRerank(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rerank", "FILE|-  (one document per line, or JSON Lines: see -input)", stderr)
	// A reranker is the model that declares rank pooling: -pooling would
	// not make another one rank, nor change how one scores.
	ef := addEngineFlags(fs, engineUse{skip: []string{"normalize", "pooling"}})
	query := fs.String("query", "", "the search `query` the documents are scored against (required)")
	var inf inputFlags
	inf.add(fs, "document")
	sorted := fs.Bool("sorted", false, "print best first instead of in input order")
	top := fs.Int("top", 0, "with -sorted: print the best `n` only (0: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *top < 0:
		return usageError{fmt.Errorf("-top %d: want 0 (all) or more", *top)}
	case *top > 0 && !*sorted:
		return usageError{errors.New("-top applies to -sorted output: give -sorted too")}
	}
	if *query == "" {
		return usageError{errors.New("-query is required")}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give one FILE, or - for standard input")}
	}
	recs, err := readDocuments(fs.Arg(0), stdin, &inf)
	if err != nil {
		return err
	}
	return ef.runEngine(stderr, nil, func(ctx context.Context, e *embed.Engine) error {
		return rerankRecords(ctx, e, *query, recs, *sorted, *top, stdout, stderr)
	})
}

// rerankRecords scores the records that were read without error and
// writes a line per record: its score, or {"id":…,"error":"line N: …"}
// for a line that failed (not valid UTF-8, too long, ...), as embed does;
// with sorted, the scored ones best first (the best top of them when top
// is above 0), then the failed ones. Failures are reported on stderr too.
func rerankRecords(ctx context.Context, e *embed.Engine, query string, recs []record, sorted bool, top int, stdout, stderr io.Writer) error {
	docs, index := readable(recs)
	var items []embed.RerankItem
	if len(docs) > 0 {
		r, err := e.Rerank(ctx, "", query, docs)
		if err != nil {
			return err
		}
		for _, it := range r.Items {
			recs[index[it.Index]].err = it.Err
		}
		ranked := r.Sorted(0)
		for i, it := range ranked {
			it.Index, it.Err = index[it.Index], nil
			ranked[i] = it
		}
		items = ranked
	}
	rank := make([]int, len(recs))
	for i, it := range items {
		rank[it.Index] = i + 1
	}
	if !sorted {
		slices.SortFunc(items, func(a, b embed.RerankItem) int { return a.Index - b.Index })
	} else if top > 0 && len(items) > top {
		items = items[:top]
	}
	enc := json.NewEncoder(stdout)
	write := func(v any) error {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
		return nil
	}
	next := 0 // unsorted: the failed records before items[next] go first
	for _, it := range items {
		for ; !sorted && next < it.Index; next++ {
			if err := writeFailed(write, recs[next]); err != nil {
				return err
			}
		}
		next = max(next, it.Index+1)
		if err := write(rerankRecord{ID: recs[it.Index].id, Index: it.Index, Score: it.Score, Raw: it.Raw, Rank: rank[it.Index]}); err != nil {
			return err
		}
	}
	for i := range recs {
		if sorted || i >= next {
			if err := writeFailed(write, recs[i]); err != nil {
				return err
			}
		}
	}
	if reportFailures(stderr, "rerank", recs) > 0 {
		return errReported
	}
	return nil
}

// writeFailed writes the error line of rec when it failed.
func writeFailed(write func(any) error, rec record) error {
	if rec.err == nil {
		return nil
	}
	return write(errorRow{ID: rec.id, Error: rec.failure()})
}

// readDocuments reads rerank's documents from the file at path, or from
// stdin for "-", as inf says; a line that is no document keeps its error
// (an error row in the output). Blank lines are left out.
func readDocuments(path string, stdin io.Reader, inf *inputFlags) ([]record, error) {
	if path == "" {
		return nil, usageError{errors.New("give one FILE, or - for standard input")}
	}
	recs, err := readFileInputs(path, stdin, inf, true)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, usageError{errors.New("no documents given")}
	}
	return recs, nil
}
