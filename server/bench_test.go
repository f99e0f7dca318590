package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

// The benchmarks of this file measure the server under concurrent
// clients against the library given the same calls, in one process, so
// that `go test -bench -cpuprofile -memprofile` profiles the server's own
// work (request decoding, float formatting, copies, the scheduler across
// requests) next to llama.cpp's. The model is $EMBELLAMA_BENCH_MODEL (a
// path), else the MiniLM-L6-shaped F16 fixture (.cache/fixtures), and
// $EMBELLAMA_LIB selects the library; other EMBELLAMA_* settings apply
// (EMBELLAMA_THREADS, EMBELLAMA_CONTEXTS, …). BENCHMARKS.md has the
// commands and the figures.

const (
	benchClients = 4  // concurrent clients
	benchRequest = 32 // texts per request
	benchRounds  = 3  // requests per client per operation
)

// batchStats sums the engine's batches (Config.OnBatch) while a
// benchmark runs.
type batchStats struct {
	batches, sequences atomic.Int64
	duration, decode   atomic.Int64 // nanoseconds
	contexts           int
}

func (s *batchStats) add(bi embed.BatchInfo) {
	s.batches.Add(1)
	s.sequences.Add(int64(bi.Sequences))
	s.duration.Add(int64(bi.Duration))
	s.decode.Add(int64(bi.Decode))
}

func (s *batchStats) reset() {
	s.batches.Store(0)
	s.sequences.Store(0)
	s.duration.Store(0)
	s.decode.Store(0)
}

// report adds the benchmark's metrics: texts/s; seqs/batch, the texts
// packed per decode (across requests, when they share decodes);
// busy-%, the share of the contexts' wall time spent in batches
// (filling, decoding, reading out), the rest being time they waited for
// work; and decode-%, the share of that spent in llama_decode itself.
func (s *batchStats) report(b *testing.B, texts int) {
	b.ReportMetric(float64(b.N*texts)/b.Elapsed().Seconds(), "texts/s")
	if n := s.batches.Load(); n > 0 {
		b.ReportMetric(float64(s.sequences.Load())/float64(n), "seqs/batch")
		b.ReportMetric(100*float64(s.duration.Load())/(float64(s.contexts)*float64(b.Elapsed())), "busy-%")
		b.ReportMetric(100*float64(s.decode.Load())/float64(s.duration.Load()), "decode-%")
	}
}

// benchEngine opens the benchmark's model as the engine's default,
// its batches counted in stats.
func benchEngine(b *testing.B, stats *batchStats) *embed.Engine {
	b.Helper()
	var cfg embed.Config
	require.NoError(b, cfg.ApplyEnv(os.Getenv))
	cfg.EngineConfig.OnBatch = stats.add
	cfg.ModelPath = os.Getenv("EMBELLAMA_BENCH_MODEL")
	if cfg.ModelPath == "" {
		cfg.ModelPath = testenv.Fixture(b, "minilm-l6-f16")
	}
	cfg.Library = os.Getenv("EMBELLAMA_LIB")
	if cfg.Library == "" {
		cfg.Library = testenv.Library(b)
	}
	e, err := embed.New(bg, cfg)
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	require.NoError(b, e.Warmup(bg, ""))
	info, err := e.ModelInfo("")
	require.NoError(b, err)
	stats.contexts = info.Contexts
	return e
}

// benchRequests returns each client's requests: benchRounds of
// benchRequest short texts of the corpus, distinct across clients.
func benchRequests() [][][]string {
	texts := corpus.Generate(corpus.Short, benchClients*benchRounds*benchRequest, 1)
	out := make([][][]string, benchClients)
	for c := range out {
		for r := range benchRounds {
			k := (c*benchRounds + r) * benchRequest
			out[c] = append(out[c], texts[k:k+benchRequest])
		}
	}
	return out
}

// clients runs call for each client on its own goroutine, for each of
// the client's requests r in turn, and fails b on the first error.
func clients(b *testing.B, call func(c, r int) error) {
	var wg sync.WaitGroup
	errs := make([]error, benchClients)
	for c := range benchClients {
		wg.Go(func() {
			for r := range benchRounds {
				if errs[c] = call(c, r); errs[c] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(b, err)
	}
}

// BenchmarkServe4Clients sends benchRounds requests of 32 short texts
// from each of 4 concurrent clients per operation to POST /v1/embeddings
// (float encoding) over loopback HTTP, and reads each answer whole.
func BenchmarkServe4Clients(b *testing.B) {
	for _, format := range []string{"float", "base64"} {
		b.Run(format, func(b *testing.B) {
			var stats batchStats
			e := benchEngine(b, &stats)
			srv, err := server.New(server.Options{Engine: e})
			require.NoError(b, err)
			hs := httptest.NewServer(srv)
			b.Cleanup(hs.Close)
			reqs := benchRequests()
			bodies := make([][][]byte, len(reqs))
			for c, rs := range reqs {
				for _, texts := range rs {
					bb, err := json.Marshal(map[string]any{"input": texts, "encoding_format": format})
					require.NoError(b, err)
					bodies[c] = append(bodies[c], bb)
				}
			}
			post := func(c, r int) error {
				texts := reqs[c][r]
				resp, err := http.Post(hs.URL+"/v1/embeddings", "application/json", bytes.NewReader(bodies[c][r]))
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				n, err := io.Copy(io.Discard, resp.Body)
				if err == nil && (resp.StatusCode != http.StatusOK || n < int64(len(texts))*100) {
					err = fmt.Errorf("status %s, %d bytes", resp.Status, n)
				}
				return err
			}
			stats.reset()
			for b.Loop() {
				clients(b, post)
			}
			stats.report(b, benchClients*benchRounds*benchRequest)
		})
	}
}

// BenchmarkLibrary4Clients is BenchmarkServe4Clients's work given to
// the library: the same calls from 4 goroutines to Engine.EmbedBatch.
func BenchmarkLibrary4Clients(b *testing.B) {
	var stats batchStats
	e := benchEngine(b, &stats)
	reqs := benchRequests()
	call := func(c, r int) error {
		res, err := e.EmbedBatch(context.Background(), "", reqs[c][r])
		if err != nil {
			return err
		}
		return res.Err()
	}
	stats.reset()
	for b.Loop() {
		clients(b, call)
	}
	stats.report(b, benchClients*benchRounds*benchRequest)
}
