package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/rss"
)

// benchResult is one target's figures.
type benchResult struct {
	target        string
	texts, tokens int
	elapsed       time.Duration
	p50, p95, p99 time.Duration
	concurrent    float64 // texts/s with -clients
	peakRSS       int64   // bytes, this process (engine only)
	cli           int
}

func (r benchResult) textsPerSec() float64  { return float64(r.texts) / r.elapsed.Seconds() }
func (r benchResult) tokensPerSec() float64 { return float64(r.tokens) / r.elapsed.Seconds() }

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", "", stderr)
	ef := addEngineFlags(fs, engineUse{prompts: true})
	kind := fs.String("corpus", "short", "generated corpus: short (5-60 words) or long (250-420 words)")
	file := fs.String("file", "", "embed the lines of this `file` instead of a generated corpus")
	n := fs.Int("n", 1000, "texts to embed for throughput")
	seed := fs.Uint64("seed", 1, "corpus seed")
	perRequest := fs.Int("request", 64, "texts per call (and per HTTP request with -vs-server)")
	latency := fs.Int("latency", 100, "single-text calls for the latency percentiles (0: skip)")
	clients := fs.Int("clients", 0, "also measure this many concurrent clients, each sending -client-request texts per request (0: skip)")
	clientRequest := fs.Int("client-request", 1, "texts per request of each -clients client")
	vsServer := fs.String("vs-server", "", "also run the same work against this OpenAI-compatible server `URL` (…/v1/embeddings)")
	serverModel := fs.String("server-model", "", "model name to send to the server")
	skipEngine := fs.Bool("server-only", false, "with -vs-server, measure only the server")
	warm := fs.Int("warmup", 16, "texts embedded before measuring")
	soak := fs.Int("soak", 0, "instead of the throughput run: embed this many generated texts, streamed so the bench holds none of them, and report the engine's resident memory every tenth of the way")
	rerank := fs.Bool("rerank", false, "measure reranking instead: each call scores its texts as documents against one generated query (the model must be a reranker; -vs-server takes the server's rerank `URL`, …/v1/rerank, and the two sides' scores are compared)")
	serverScores := fs.String("server-scores", "raw", "with -rerank -vs-server: what the server's relevance_score is, raw (llama.cpp's score: llama-server) or relevance (the family's score, a cross-encoder's sigmoid: embellama serve); the engine's scores are compared in the same kind")
	rounds := fs.Int("rounds", 1, "with -vs-server: measure throughput in this many alternating rounds (engine, server, engine, …) and report medians, which a noisy machine needs")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := checkBenchFlags(fs); err != nil {
		return err
	}
	if *soak > 0 && (*file != "" || *vsServer != "" || *skipEngine) {
		return usageError{errors.New("-soak runs the engine on the generated corpus: it takes no -file, -vs-server or -server-only")}
	}
	var texts []string
	k := corpus.Short // the generated corpus, when there is no -file
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		recs, err := readInputs(f, inputOptions{mode: inputText, skipEmpty: true})
		f.Close()
		if err != nil {
			return err
		}
		for _, r := range recs {
			texts = append(texts, r.text)
		}
	} else {
		switch *kind {
		case "short":
		case "long":
			k = corpus.Long
		default:
			return usageError{fmt.Errorf("-corpus %q: want short or long", *kind)}
		}
		if *soak > 0 {
			*n, *latency = 0, 0
		}
		texts = corpus.Generate(k, max(*n, *latency, *warm), *seed)
	}
	if *n > len(texts) {
		*n = len(texts)
	}
	switch {
	case *perRequest < 1:
		return usageError{errors.New("-request must be at least 1")}
	case *clientRequest < 1:
		return usageError{errors.New("-client-request must be at least 1")}
	case *serverScores != "raw" && *serverScores != "relevance":
		return usageError{fmt.Errorf("-server-scores %q: want raw or relevance", *serverScores)}
	}
	query := corpus.Generate(corpus.Short, 1, *seed+1)[0]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var targets []target
	var settings string
	if !*skipEngine {
		cfg, err := ef.config(stderr)
		if err != nil {
			return err
		}
		e, err := embed.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer e.Close()
		info, _ := e.ModelInfo("")
		settings = fmt.Sprintf("model %s (%s, %s, dim %d, %s pooling); library %s; ctx %d, batch %d tokens (target %d), %d sequences, %d threads over %d contexts, flash attention %s (head size %d)",
			info.Path, info.Architecture, info.FileType, info.Dim, info.Pooling, e.Library().Path(),
			info.ContextSize, info.BatchSize, info.BatchTarget, info.MaxSequences, info.Threads, info.Contexts, info.FlashAttention, info.HeadSize)
		if v := e.Library().CPUVariant(); v != "" {
			settings += "; CPU variant " + v
		}
		if *soak > 0 {
			return runSoak(ctx, stdout, e, corpus.NewGenerator(k, *seed), *soak, max(*perRequest, 1), *warm, settings)
		}
		if *rerank {
			targets = append(targets, engineRerank{e, query, *serverScores == "raw"})
		} else {
			targets = append(targets, engineTarget{e})
		}
	}
	if *vsServer != "" {
		st := serverTarget{url: *vsServer, model: *serverModel, label: "server " + *vsServer,
			client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}
		if *rerank {
			targets = append(targets, serverRerank{st, query})
		} else {
			targets = append(targets, st)
		}
	}
	if len(targets) == 0 {
		return usageError{errors.New("nothing to measure")}
	}
	if *rerank && len(targets) == 2 {
		d, err := compareScores(ctx, targets[0].(scorer), targets[1].(scorer), texts[:*n], *perRequest)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rerank scores of %d documents, %s against %s: largest difference %.3g, %.3g of the largest score (%.3g)\n",
			d.docs, targets[0].name(), targets[1].name(), d.maxAbs, d.relative(), d.scale)
	}

	if *rounds > 1 && len(targets) == 2 {
		return benchRounds(ctx, stdout, stderr, targets, texts, *n, *perRequest, *rounds, *warm, settings, *kind, *seed)
	}
	var results []benchResult
	for _, t := range targets {
		fmt.Fprintf(stderr, "measuring %s...\n", t.name())
		r, err := measure(ctx, t, texts, workload{n: *n, perRequest: *perRequest, latency: *latency,
			clients: *clients, clientRequest: *clientRequest, warm: *warm})
		if err != nil {
			return fmt.Errorf("%s: %w", t.name(), err)
		}
		switch t.(type) {
		case engineTarget, engineRerank:
			r.peakRSS = rss.Peak()
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "corpus: %d %s texts (seed %d), %d per request; %s\n", *n, *kind, *seed, *perRequest, settings)
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "target\ttexts/s\ttokens/s\tp50\tp95\tp99\tconcurrent texts/s\tpeak RSS\t")
	for _, r := range results {
		conc, rss := "-", "-"
		if r.cli > 0 {
			conc = fmt.Sprintf("%.1f (%d clients × %d texts)", r.concurrent, r.cli, *clientRequest)
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

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// workload is what measure sends: n texts perRequest at a time, then
// latency single texts, then clients concurrent clients sending
// clientRequest texts per call, after warm texts not measured.
type workload struct {
	n, perRequest, latency int
	clients, clientRequest int
	warm                   int
}

func measure(ctx context.Context, t target, texts []string, w workload) (benchResult, error) {
	n, perRequest, latency, clients, warm := w.n, w.perRequest, w.latency, w.clients, w.warm
	r := benchResult{target: t.name(), texts: n, cli: clients}
	if warm > 0 {
		if _, err := t.run(ctx, texts[:min(warm, len(texts))]); err != nil {
			return r, err
		}
	}
	start := time.Now()
	for i := 0; i < n; i += perRequest {
		k, err := t.run(ctx, texts[i:min(i+perRequest, n)])
		if err != nil {
			return r, err
		}
		r.tokens += k
	}
	r.elapsed = time.Since(start)

	if latency > 0 {
		lat := make([]time.Duration, 0, latency)
		for i := range latency {
			s := time.Now()
			if _, err := t.run(ctx, texts[i%len(texts):i%len(texts)+1]); err != nil {
				return r, err
			}
			lat = append(lat, time.Since(s))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		r.p50, r.p95, r.p99 = pct(0.50), pct(0.95), pct(0.99)
	}

	if clients > 0 {
		var next atomic.Int64
		var wg sync.WaitGroup
		var first error
		var once sync.Once
		s := time.Now()
		for range clients {
			wg.Go(func() {
				for {
					k := w.clientRequest
					i := int(next.Add(int64(k)) - int64(k))
					if i >= n {
						return
					}
					if _, err := t.run(ctx, texts[i:min(i+k, n)]); err != nil {
						once.Do(func() { first = err })
						return
					}
				}
			})
		}
		wg.Wait()
		if first != nil {
			return r, first
		}
		r.concurrent = float64(n) / time.Since(s).Seconds()
	}
	return r, nil
}

// runSoak embeds n streamed texts and prints the resident memory after
// the warm-up and after every tenth of them, with the largest drift from
// the first tenth: the engine must not grow with the number of texts.
func runSoak(ctx context.Context, w io.Writer, e *embed.Engine, g *corpus.Generator, n, perRequest, warm int, settings string) error {
	batch := make([]string, 0, perRequest)
	embedNext := func(k int) error {
		batch = batch[:0]
		for range k {
			batch = append(batch, g.Next())
		}
		_, err := e.EmbedBatch(ctx, "", batch)
		return err
	}
	for i := 0; i < warm; i += perRequest {
		if err := embedNext(min(perRequest, warm-i)); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "soak: %d streamed texts, %d per request; %s\n", n, perRequest, settings)
	fmt.Fprintf(w, "  after load and %d warm-up texts: RSS %s\n", warm, human(uint64(rss.Current()), 1024, "B"))
	var base, lo, hi int64
	start, step := time.Now(), max(n/10, 1)
	for done := 0; done < n; {
		k := min(perRequest, n-done, step-done%step)
		if err := embedNext(k); err != nil {
			return err
		}
		done += k
		if done%step != 0 && done != n {
			continue
		}
		rss := rss.Current()
		if base == 0 {
			base, lo, hi = rss, rss, rss
		}
		lo, hi = min(lo, rss), max(hi, rss)
		fmt.Fprintf(w, "  %7d texts: RSS %s (%.1f texts/s so far)\n", done, human(uint64(rss), 1024, "B"), float64(done)/time.Since(start).Seconds())
	}
	if base > 0 {
		fmt.Fprintf(w, "RSS from the first tenth on: %+.1f%% / %+.1f%% of %s; peak %s\n",
			100*float64(lo-base)/float64(base), 100*float64(hi-base)/float64(base), human(uint64(base), 1024, "B"), human(uint64(rss.Peak()), 1024, "B"))
	}
	return nil
}

// benchRounds measures throughput in alternating rounds, so that both
// targets see the same machine conditions, and reports the medians of
// each target's rounds and of the per-round ratios.
func benchRounds(ctx context.Context, stdout, stderr io.Writer, targets []target, texts []string, n, perRequest, rounds, warm int, settings, kind string, seed uint64) error {
	per := make([][]float64, 2)
	var ratios []float64
	for _, t := range targets {
		if _, err := t.run(ctx, texts[:min(warm, len(texts))]); err != nil {
			return fmt.Errorf("%s: %w", t.name(), err)
		}
	}
	for r := range rounds {
		var rate [2]float64
		for i, t := range targets {
			res, err := measure(ctx, t, texts, workload{n: n, perRequest: perRequest})
			if err != nil {
				return fmt.Errorf("%s: %w", t.name(), err)
			}
			rate[i] = res.textsPerSec()
			per[i] = append(per[i], rate[i])
		}
		ratios = append(ratios, rate[0]/rate[1])
		fmt.Fprintf(stderr, "round %d: %.1f vs %.1f texts/s (%.2fx)\n", r+1, rate[0], rate[1], rate[0]/rate[1])
	}
	median := func(v []float64) float64 {
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		if len(s)%2 == 1 {
			return s[len(s)/2]
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	fmt.Fprintf(stdout, "corpus: %d %s texts (seed %d), %d per request, %d alternating rounds; %s\n", n, kind, seed, perRequest, rounds, settings)
	for i, t := range targets {
		fmt.Fprintf(stdout, "%s: median %.1f texts/s (rounds: %s)\n", t.name(), median(per[i]), floats(per[i]))
	}
	fmt.Fprintf(stdout, "ratio (first/second): median %.2fx (rounds: %s)\n", median(ratios), floats(ratios))
	return nil
}

func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(s, " ")
}

// checkBenchFlags refuses flags that the others given make bench ignore:
// server flags without -vs-server, -client-request without -clients, and
// -corpus with -file. (Engine flags with -server-only stay allowed:
// scripts/bench-vs-server.sh passes its engine flags to both runs.)
func checkBenchFlags(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, f := range []string{"server-model", "rounds", "server-scores", "server-only"} {
		if given[f] && !given["vs-server"] {
			return usageError{fmt.Errorf("-%s applies to -vs-server: give it too", f)}
		}
	}
	switch {
	case given["client-request"] && !given["clients"]:
		return usageError{errors.New("-client-request applies to -clients: give it too")}
	case given["corpus"] && given["file"]:
		return usageError{errors.New("-corpus generates texts, -file reads them: give one of them")}
	}
	return nil
}
