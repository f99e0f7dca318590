package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

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
	ef := addEngineFlags(fs, engineUse{skip: []string{"normalize"}})
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
	docs := make([]string, len(recs))
	for i, r := range recs {
		docs[i] = r.text
	}
	r, err := e.Rerank(ctx, "", *query, docs)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	ranked := r.Sorted(0)
	rank := make([]int, len(docs))
	for i, it := range ranked {
		rank[it.Index] = i + 1
	}
	items := r.Items
	if *sorted {
		items = r.Sorted(*top)
	}
	enc := json.NewEncoder(stdout)
	for _, it := range items {
		if err := enc.Encode(rerankRecord{ID: recs[it.Index].id, Index: it.Index, Score: it.Score, Raw: it.Raw, Rank: rank[it.Index]}); err != nil {
			return fmt.Errorf("writing the output: %w", err)
		}
	}
	return nil
}

// readDocuments reads rerank's documents from the file at path, or from
// stdin for "-", as inf says; a line that is no document fails them all.
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
	for _, r := range recs {
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", r.where, r.err)
		}
	}
	return recs, nil
}
