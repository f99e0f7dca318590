// Command ortbench drives the ONNX Runtime prototype (package ortproto)
// for scripts/bench-ort.sh. It is a measurement tool, not part of
// embellama.
//
//	ortbench ids -model minilm-l6-f16.gguf -lib lib/linux-amd64-cpu [-corpus short] [-n 600] [-seed 1] > tokens.json
//	ortbench bench -ort libonnxruntime.so.1 -model minilm-l6.onnx -tokens tokens.json [-n 600] [-batch 64] [-sorted] [-passes 3] [-warmup 1] [-threads 2]
//
// ids writes {"ids": [[101, …, 102], …]}: the benchmark corpus
// (internal/corpus, the texts `embellama bench` embeds) tokenized by
// embellama's tokenizer (llama.cpp's, special tokens included) on a GGUF
// of the same vocabulary as the ONNX graph. bench embeds those ids
// through ONNX Runtime from Go and prints one JSON line in the shape
// bench_ort.mjs prints, so the two runners' figures line up.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/ortproto"
	"github.com/embellama/embellama/internal/rss"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ortbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, w io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: ortbench ids|bench [flags]")
	}
	switch args[0] {
	case "ids":
		return runIDs(ctx, args[1:], w)
	case "bench":
		return runBench(ctx, args[1:], w)
	}
	return fmt.Errorf("unknown command %q: want ids or bench", args[0])
}

type tokens struct {
	IDs [][]int32 `json:"ids"`
}

func runIDs(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("ids", flag.ContinueOnError)
	model := fs.String("model", "", "GGUF `file` whose tokenizer to use")
	lib := fs.String("lib", "", "llama.cpp library `dir` (default: embellama's search)")
	kind := fs.String("corpus", "short", "short or long")
	n := fs.Int("n", 600, "texts")
	seed := fs.Uint64("seed", 1, "corpus seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k := corpus.Short
	switch *kind {
	case "short":
	case "long":
		k = corpus.Long
	default:
		return fmt.Errorf("-corpus %q: want short or long", *kind)
	}
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: *model}}
	cfg.Library = *lib
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	var out tokens
	for _, t := range corpus.Generate(k, *n, *seed) {
		ids, err := e.Tokenize("", t)
		if err != nil {
			return err
		}
		out.IDs = append(out.IDs, ids)
	}
	return json.NewEncoder(w).Encode(out)
}

type benchFlags struct {
	ort, model, tokens                string
	n, batch, passes, warmup, threads int
	sorted                            bool
}

func runBench(ctx context.Context, args []string, w io.Writer) error {
	var f benchFlags
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&f.ort, "ort", os.Getenv("EMBELLAMA_ORT_LIB"), "ONNX Runtime library `file` (default $EMBELLAMA_ORT_LIB)")
	fs.StringVar(&f.model, "model", "", "ONNX `file`")
	fs.StringVar(&f.tokens, "tokens", "", "token ids `file` (ortbench ids)")
	fs.IntVar(&f.n, "n", 600, "texts")
	fs.IntVar(&f.batch, "batch", 64, "texts per run")
	fs.BoolVar(&f.sorted, "sorted", false, "sort texts by length before batching")
	fs.IntVar(&f.passes, "passes", 3, "timed passes")
	fs.IntVar(&f.warmup, "warmup", 1, "untimed passes first")
	fs.IntVar(&f.threads, "threads", 2, "intra-op threads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.n < 1 || f.batch < 1 || f.passes < 1 || f.warmup < 0 || f.threads < 0 {
		return errors.New("-n, -batch and -passes must be at least 1; -warmup and -threads not negative")
	}
	ids, err := readTokens(f.tokens, f.n)
	if err != nil {
		return err
	}
	rt, err := ortproto.Open(f.ort)
	if err != nil {
		return err
	}
	defer rt.Close()
	t0 := time.Now()
	s, err := rt.NewSession(f.model, ortproto.Options{Threads: f.threads})
	if err != nil {
		return err
	}
	defer s.Close()
	load := time.Since(t0)
	var tps []float64
	for i := range f.warmup + f.passes {
		start := time.Now()
		if _, err := s.Embed(ctx, ids, f.batch, f.sorted); err != nil {
			return err
		}
		if i >= f.warmup {
			tps = append(tps, float64(len(ids))/time.Since(start).Seconds())
		}
	}
	return report(w, &f, rt.Version(), ids, load, tps)
}

func readTokens(path string, n int) ([][]int32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t tokens
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(t.IDs) < n {
		return nil, fmt.Errorf("only %d texts in %s", len(t.IDs), path)
	}
	return t.IDs[:n], nil
}

func report(w io.Writer, f *benchFlags, version string, ids [][]int32, load time.Duration, tps []float64) error {
	real := 0
	for _, t := range ids {
		real += len(t)
	}
	med := append([]float64(nil), tps...)
	sort.Float64s(med)
	m := med[len(med)/2]
	round := func(x float64) float64 { return float64(int(x*10+0.5)) / 10 }
	for i := range tps {
		tps[i] = round(tps[i])
	}
	return json.NewEncoder(w).Encode(map[string]any{
		"engine": "go+purego onnxruntime " + version, "model": f.model, "corpus": f.tokens,
		"texts": len(ids), "batch": f.batch, "sorted": f.sorted, "threads": f.threads,
		"real_tokens": real, "load_ms": load.Milliseconds(), "texts_per_s": tps,
		"median_texts_per_s": round(m), "median_tokens_per_s": int(m * float64(real) / float64(len(ids))),
		"max_rss_kb": rss.Peak() / 1024,
	})
}
