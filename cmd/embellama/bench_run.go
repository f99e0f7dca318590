package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/rss"
)

// benchFlags are bench's own flags.
type benchFlags struct {
	kind, file, vsServer, serverModel, serverScores string
	vsLib                                           string
	n, perRequest, latency, clients, clientRequest  int
	warm, soak, rounds                              int
	seed                                            uint64
	skipEngine, rerank                              bool
}

func (b *benchFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&b.kind, "corpus", "short", "generated corpus: short (5-60 words) or long (250-420 words)")
	fs.StringVar(&b.file, "file", "", "embed the lines of this `file` instead of a generated corpus")
	fs.IntVar(&b.n, "n", 1000, "texts to embed for throughput")
	fs.Uint64Var(&b.seed, "seed", 1, "corpus seed")
	fs.IntVar(&b.perRequest, "request", 64, "texts per call (and per HTTP request with -vs-server)")
	fs.IntVar(&b.latency, "latency", 100, "single-text calls for the latency percentiles (0: skip)")
	fs.IntVar(&b.clients, "clients", 0, "also measure this many concurrent clients, each sending -client-request texts per request (0: skip)")
	fs.IntVar(&b.clientRequest, "client-request", 1, "texts per request of each -clients client")
	fs.StringVar(&b.vsServer, "vs-server", "", "also run the same work against this OpenAI-compatible server `URL` (…/v1/embeddings)")
	fs.StringVar(&b.serverModel, "server-model", "", "model name to send to the server")
	fs.BoolVar(&b.skipEngine, "server-only", false, "with -vs-server, measure only the server")
	fs.IntVar(&b.warm, "warmup", 16, "texts embedded before measuring")
	fs.IntVar(&b.soak, "soak", 0, "instead of the throughput run: embed this many generated texts, streamed so the bench holds none of them, and report the engine's resident memory every tenth of the way")
	fs.BoolVar(&b.rerank, "rerank", false, "measure reranking instead: each call scores its texts as documents against one generated query (the model must be a reranker; -vs-server takes the server's rerank `URL`, …/v1/rerank, and the two sides' scores are compared)")
	fs.StringVar(&b.serverScores, "server-scores", "raw", "with -rerank -vs-server: what the server's relevance_score is, raw (llama.cpp's score: llama-server) or relevance (the family's score, a cross-encoder's sigmoid: embellama serve); the engine's scores are compared in the same kind")
	fs.StringVar(&b.vsLib, "vs-lib", "", "compare the library (-lib, else the one the search finds) with the llama library in this `path` (a file or folder, such as ~/.cache/embellama/lib/linux-amd64-cpu): each round runs this command once per library, alternating, and the ratio of the medians is reported")
	fs.IntVar(&b.rounds, "rounds", 1, "with -vs-server or -vs-lib: measure throughput in this many alternating rounds (engine, server, engine, …) and report medians, which a noisy machine needs")
}

// check refuses values no run can use.
func (b *benchFlags) check() error {
	switch {
	case b.soak > 0 && (b.file != "" || b.vsServer != "" || b.skipEngine):
		return usageError{errors.New("-soak runs the engine on the generated corpus: it takes no -file, -vs-server or -server-only")}
	case b.n < 1:
		return usageError{errors.New("-n must be at least 1")}
	case b.perRequest < 1:
		return usageError{errors.New("-request must be at least 1")}
	case b.latency < 0 || b.clients < 0 || b.soak < 0 || b.warm < 0:
		return usageError{errors.New("-latency, -clients, -soak and -warm may not be negative")}
	case b.rounds < 1:
		return usageError{errors.New("-rounds must be at least 1")}
	case b.clientRequest < 1:
		return usageError{errors.New("-client-request must be at least 1")}
	case b.serverScores != "raw" && b.serverScores != "relevance":
		return usageError{fmt.Errorf("-server-scores %q: want raw or relevance", b.serverScores)}
	}
	return nil
}

// texts returns the texts to embed (-file's lines, or the generated
// corpus) and the corpus kind, and lowers -n to their number.
func (b *benchFlags) texts() ([]string, corpus.Kind, error) {
	k := corpus.Short // the generated corpus, when there is no -file
	var texts []string
	if b.file != "" {
		f, err := os.Open(b.file)
		if err != nil {
			return nil, k, err
		}
		recs, err := readInputs(f, inputOptions{mode: inputText, skipEmpty: true})
		f.Close()
		if err != nil {
			return nil, k, err
		}
		for _, r := range recs {
			texts = append(texts, r.text)
		}
	} else {
		switch b.kind {
		case "short":
		case "long":
			k = corpus.Long
		default:
			return nil, k, usageError{fmt.Errorf("-corpus %q: want short or long", b.kind)}
		}
		if b.soak > 0 {
			b.n, b.latency = 0, 0
		}
		texts = corpus.Generate(k, max(b.n, b.latency, b.warm), b.seed)
	}
	b.n = min(b.n, len(texts))
	return texts, k, nil
}

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "", stderr)
	ef := addEngineFlags(fs, engineUse{prompts: true})
	var b benchFlags
	b.add(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := checkBenchFlags(fs); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return err
	}
	if b.vsLib != "" {
		lr, err := newLibRounds(fs, args, b.vsLib, b.rounds)
		if err != nil {
			return err
		}
		return interruptible(func(ctx context.Context) error { return lr.run(ctx, stdout, stderr) })
	}
	texts, k, err := b.texts()
	if err != nil {
		return err
	}
	query := corpus.Generate(corpus.Short, 1, b.seed+1)[0]
	if b.skipEngine {
		return interruptible(func(ctx context.Context) error {
			return b.run(ctx, stdout, stderr, b.serverTargets(query), texts, "")
		})
	}
	return ef.runEngine(stderr, nil, func(ctx context.Context, e *embed.Engine) error {
		settings := engineSettings(e)
		if b.soak > 0 {
			return runSoak(ctx, stdout, e, corpus.NewGenerator(k, b.seed), b.soak, b.perRequest, b.warm, settings)
		}
		targets := append([]target{b.engineTarget(e, query)}, b.serverTargets(query)...)
		return b.run(ctx, stdout, stderr, targets, texts, settings)
	})
}

// engineSettings describes the engine's model and settings, for the
// report.
func engineSettings(e *embed.Engine) string {
	info, _ := e.ModelInfo("")
	s := fmt.Sprintf("model %s (%s, %s, dim %d, %s pooling); library %s; ctx %d, batch %d tokens (target %d), %d sequences, %d threads over %d contexts, flash attention %s (head size %d)",
		info.Path, info.Architecture, info.FileType, info.Dim, info.Pooling, e.Library().Path(),
		info.ContextSize, info.BatchSize, info.BatchTarget, info.MaxSequences, info.Threads, info.Contexts, info.FlashAttention, info.HeadSize)
	if v := e.Library().CPUVariant(); v != "" {
		s += "; CPU variant " + v
	}
	return s
}

func (b *benchFlags) engineTarget(e *embed.Engine, query string) target {
	if b.rerank {
		return engineRerank{e, query, b.serverScores == "raw"}
	}
	return engineTarget{e}
}

// serverTargets returns the -vs-server target, or none.
func (b *benchFlags) serverTargets(query string) []target {
	if b.vsServer == "" {
		return nil
	}
	st := serverTarget{url: b.vsServer, model: b.serverModel, label: "server " + b.vsServer,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
	if b.rerank {
		return []target{serverRerank{st, query}}
	}
	return []target{st}
}

// run measures the targets and writes the report: with two reranking
// targets their scores are compared first; with -rounds they are
// measured in alternating rounds.
func (b *benchFlags) run(ctx context.Context, stdout, stderr io.Writer, targets []target, texts []string, settings string) error {
	if len(targets) == 0 {
		return usageError{errors.New("nothing to measure")}
	}
	if b.rerank && len(targets) == 2 {
		d, err := compareScores(ctx, targets[0].(scorer), targets[1].(scorer), texts[:b.n], b.perRequest)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rerank scores of %d documents, %s against %s: largest difference %.3g, %.3g of the largest score (%.3g)\n",
			d.docs, targets[0].name(), targets[1].name(), d.maxAbs, d.relative(), d.scale)
	}
	if b.rounds > 1 && len(targets) == 2 {
		return benchRounds(ctx, stdout, stderr, targets, texts, b.n, b.perRequest, b.rounds, b.warm, settings, b.kind, b.seed)
	}
	var results []benchResult
	for _, t := range targets {
		fmt.Fprintf(stderr, "measuring %s...\n", t.name())
		r, err := measure(ctx, t, texts, workload{n: b.n, perRequest: b.perRequest, latency: b.latency,
			clients: b.clients, clientRequest: b.clientRequest, warm: b.warm})
		if err != nil {
			return fmt.Errorf("%s: %w", t.name(), err)
		}
		switch t.(type) {
		case engineTarget, engineRerank:
			r.peakRSS = rss.Peak()
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "corpus: %d %s texts (seed %d), %d per request; %s\n", b.n, b.kind, b.seed, b.perRequest, settings)
	return writeResults(stdout, results, b.clientRequest)
}

// writeResults writes the table of results, and the ratios of the first
// to the second when there are two.
func writeResults(stdout io.Writer, results []benchResult, clientRequest int) error {
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\ttexts/s\ttokens/s\tp50\tp95\tp99\tconcurrent texts/s\tpeak RSS\t")
	for _, r := range results {
		conc, rss := "-", "-"
		if r.cli > 0 {
			conc = fmt.Sprintf("%.1f (%d clients × %d texts)", r.concurrent, r.cli, clientRequest)
		}
		if r.peakRSS > 0 {
			rss = human(uint64(r.peakRSS), 1024, "B")
		}
		fmt.Fprintf(w, "%s\t%.1f\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.target, r.textsPerSec(), r.tokensPerSec(),
			ms(r.p50), ms(r.p95), ms(r.p99), conc, rss)
	}
	if len(results) == 2 {
		a, b := results[0], results[1]
		ratio := func(x, y float64) string {
			if y == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2fx", x/y)
		}
		conc := "-"
		if a.cli > 0 {
			conc = ratio(a.concurrent, b.concurrent)
		}
		fmt.Fprintf(w, "ratio (first/second)\t%s\t%s\t%s\t%s\t%s\t%s\t\t\n", ratio(a.textsPerSec(), b.textsPerSec()),
			ratio(a.tokensPerSec(), b.tokensPerSec()), ratio(float64(b.p50), float64(a.p50)),
			ratio(float64(b.p95), float64(a.p95)), ratio(float64(b.p99), float64(a.p99)), conc)
	}
	return w.Flush()
}
