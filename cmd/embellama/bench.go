package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	fmt.Fprintf(stdout, "corpus: %d %s texts (seed %d), %d per request, %d alternating rounds; %s\n", n, kind, seed, perRequest, rounds, settings)
	for i, t := range targets {
		fmt.Fprintf(stdout, "%s: median %.1f texts/s (rounds: %s)\n", t.name(), median(per[i]), floats(per[i]))
	}
	fmt.Fprintf(stdout, "ratio (first/second): median %.2fx (rounds: %s)\n", median(ratios), floats(ratios))
	return nil
}

// median returns the median of v.
func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
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
	for _, f := range []string{"server-model", "server-scores", "server-only"} {
		if given[f] && !given["vs-server"] {
			return usageError{fmt.Errorf("-%s applies to -vs-server: give it too", f)}
		}
	}
	switch {
	case given["rounds"] && !given["vs-server"] && !given["vs-lib"]:
		return usageError{errors.New("-rounds applies to -vs-server and -vs-lib: give one of them")}
	case given["vs-lib"] && given["vs-server"]:
		return usageError{errors.New("-vs-lib compares two libraries, -vs-server the library with a server: give one of them")}
	case given["vs-lib"] && (given["soak"] || given["clients"] || given["rerank"]):
		return usageError{errors.New("-vs-lib compares throughput: it takes no -soak, -clients or -rerank")}
	}
	switch {
	case given["client-request"] && !given["clients"]:
		return usageError{errors.New("-client-request applies to -clients: give it too")}
	case given["corpus"] && given["file"]:
		return usageError{errors.New("-corpus generates texts, -file reads them: give one of them")}
	}
	return nil
}
