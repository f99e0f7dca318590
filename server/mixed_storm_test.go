package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

func slogStderr() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// mixedCase is one request of the mix. A valid one (want 200) is
// answered as it was alone (ref), or by check where no reference exists;
// an invalid one gets a 4xx; a hangup is cut by its client.
type mixedCase struct {
	kind, route, body string
	valid             bool
	ref               any                     // the answer alone, decoded
	check             func(raw []byte) string // "" when the answer is right
	hangup            time.Duration           // > 0: cancel after this long
	limit             *atomic.Int64           // at most this many sent
}

func texts(n, words int, tag string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d: %s", tag, i, strings.Repeat("fox jumps ", words))
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func capped(n int64) *atomic.Int64 {
	c := &atomic.Int64{}
	c.Store(n)
	return c
}

// mixedCases builds the mix over every route: valid requests of all
// sizes, and the hostile ones of issue 26.
func mixedCases() []*mixedCase {
	doc := strings.Repeat("Llamas eat grass. They live in herds.\n\n", 40)
	ids := make([][]int, 100)
	for i := range ids {
		ids[i] = make([]int, 300)
		for k := range ids[i] {
			ids[i][k] = 1000 + (i*7+k)%3000
		}
	}
	bigDocs := texts(20, 10_000, "long") // 100 KB each
	cs := []*mixedCase{
		{kind: "embed-1", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": "a fox"}), valid: true},
		{kind: "embed-8", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": texts(8, 5, "doc")}), valid: true},
		{kind: "embed-1000", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": texts(1000, 3, "many")}), valid: true},
		{kind: "embed-ids-150KB", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": ids}), valid: true},
		{kind: "rerank", route: "/v1/rerank", body: mustJSON(map[string]any{"model": "rerank", "query": "what do llamas eat", "documents": texts(6, 4, "grass")}), valid: true},
		{kind: "rerank-tei", route: "/rerank", body: mustJSON(map[string]any{"model": "rerank", "query": "herds", "texts": texts(3, 2, "herd")}), valid: true},
		{kind: "rerank-qwen", route: "/v1/rerank", body: mustJSON(map[string]any{"model": "qr", "query": "what do llamas eat", "documents": texts(3, 4, "grass")}), valid: true},
		{kind: "chunks", route: "/v1/embeddings/chunks", body: mustJSON(map[string]any{"input": doc, "chunking": map[string]any{"size": 32, "overlap": 8}}), valid: true},
		{kind: "chunks-context", route: "/v1/embeddings/chunks", body: mustJSON(map[string]any{"input": doc, "chunking": map[string]any{"size": 500}}), valid: true},
		{kind: "chunks-size-1", route: "/v1/embeddings/chunks", body: mustJSON(map[string]any{"model": "qwen", "input": "a \n b", "chunking": map[string]any{"size": 1}}), valid: true},
		{kind: "tokenize", route: "/tokenize", body: mustJSON(map[string]any{"content": doc[:200], "with_pieces": true}), valid: true},
		{kind: "detokenize", route: "/detokenize", body: `{"tokens":[101,7592,2088,102]}`, valid: true},

		{kind: "rerank-markers", route: "/v1/rerank", body: mustJSON(map[string]any{"model": "qr", "query": strings.Repeat("{document}", 3000), "documents": []string{strings.Repeat("fox ", 2500)}}), limit: capped(1)},
		{kind: "rerank-huge-query", route: "/v1/rerank", body: mustJSON(map[string]any{"model": "rerank", "query": strings.Repeat("q ", 500_000), "documents": texts(64, 2, "d")})},
		{kind: "rerank-docs-and-texts", route: "/v1/rerank", body: `{"model":"rerank","query":"q","documents":["a"],"texts":["b"]}`},
		{kind: "rerank-empty-query", route: "/v1/rerank", body: `{"model":"rerank","query":"","documents":["a"]}`},
		{kind: "chunks-maxint", route: "/v1/embeddings/chunks", body: `{"input":"a b c","chunking":{"size":9223372036854775807}}`},
		{kind: "chunks-overlap", route: "/v1/embeddings/chunks", body: `{"input":"a b c","chunking":{"size":4,"overlap":4}}`},
		{kind: "chunks-whitespace", route: "/v1/embeddings/chunks", body: `{"input":" \n\t ","chunking":{"size":4}}`},
		{kind: "chunks-base65", route: "/v1/embeddings/chunks", body: `{"input":"a","chunking":{"size":4},"encoding_format":"base65"}`},
		{kind: "model-10MB", route: "/tokenize", body: mustJSON(map[string]any{"content": "x", "model": strings.Repeat("m", 10<<20)})},
		{kind: "malformed", route: "/v1/rerank", body: `{"query":"q","documents":["a"`},
		{kind: "wrong-type", route: "/v1/embeddings/chunks", body: `{"input":"a","chunking":{"size":"4"}}`},
		{kind: "too-many-inputs", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": texts(5000, 0, "")})},

		{kind: "hangup-truncate", route: "/v1/rerank", body: mustJSON(map[string]any{"model": "rerank", "query": "q", "documents": bigDocs, "truncate": true}), hangup: 300 * time.Millisecond, limit: capped(0)},
		{kind: "hangup-embed", route: "/v1/embeddings", body: mustJSON(map[string]any{"input": texts(2000, 20, "cut")}), hangup: 100 * time.Millisecond},
		{kind: "hangup-chunks", route: "/v1/embeddings/chunks", body: mustJSON(map[string]any{"input": texts(50, 2000, "cut"), "chunking": map[string]any{"size": 64}}), hangup: 200 * time.Millisecond},
	}
	cs[9].check = checkChunksSize1("a \n b")
	return cs
}

// checkChunksSize1 checks an answer of chunks of size 1 on text: chunks
// within the text, in order, one token each.
func checkChunksSize1(text string) func([]byte) string {
	return func(raw []byte) string {
		var r struct {
			Data []struct{ Start, End, Tokens int }
		}
		if err := json.Unmarshal(raw, &r); err != nil || len(r.Data) == 0 {
			return "no chunks"
		}
		for _, c := range r.Data {
			if c.Start < 0 || c.Start >= c.End || c.End > len(text) || c.Tokens != 1 {
				return fmt.Sprintf("chunk %+v of %q", c, text)
			}
		}
		return ""
	}
}

type mixedOutcome struct {
	kind, detail string
	valid        bool
	hangup       bool
	status       int
	wrong        string // a valid request's wrong answer
	raw          []byte
}

// send sends one case and judges its answer.
func (c *mixedCase) send(client *http.Client, base string) mixedOutcome {
	o := mixedOutcome{kind: c.kind, valid: c.valid, hangup: c.hangup > 0}
	ctx, cancel := context.WithTimeout(context.Background(), mixedTimeout+5*time.Second)
	defer cancel()
	if c.hangup > 0 {
		time.AfterFunc(c.hangup, cancel)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+c.route, strings.NewReader(c.body))
	req.Header.Set("Content-Type", jsonType)
	resp, err := client.Do(req)
	if err != nil {
		o.detail = err.Error()
		return o
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	o.status, o.detail, o.raw = resp.StatusCode, string(raw[:min(len(raw), 200)]), raw
	if o.status == 429 && resp.Header.Get("Retry-After") == "" {
		o.status = 999
	}
	if c.valid && o.status == 200 {
		switch {
		case c.check != nil:
			o.wrong = c.check(raw)
		case c.ref != nil && !approxEqual(c.ref, decodeAny(raw), 2e-3):
			o.wrong = "differs from its answer alone"
		}
	}
	return o
}

// TestHostileMixed runs the server in a child process on 127.0.0.1 with
// an embedding model, the BERT and Qwen3 reranker fixtures and a Qwen3
// embedding fixture, and drives every route at once with a bounded mix
// (6 clients × 14 requests, fixed seeds, plus 3 clients trickling
// chunked bodies a byte a second for the whole run): valid requests of
// every size, and hostile ones — rerank with {document} markers in the
// query and a 1 MB query, chunks at extreme sizes, malformed and
// mistyped bodies, a 10 MB model name, clients that hang up while their
// request is evaluated. Every valid request must be answered as it is
// alone (or 429 with Retry-After), every invalid one a 4xx, nothing a
// 5xx or a dropped connection from a panic; the child's peak RSS stays
// within hostileBound of its size once loaded, and its CPU is idle
// within 1 s after the clients leave (issue 26, "go further").
func TestHostileMixed(t *testing.T) {
	if os.Getenv(mixedChild) != "" {
		mixedServer(t)
		return
	}
	child := startMixedChild(t, []string{"default=" + testenv.Model(t, "bert-mean.gguf"),
		"rerank=" + testenv.Fixture(t, "bert-rerank-tiny"), "qr=" + testenv.Fixture(t, "qwen3-rerank-tiny"),
		"qwen=" + testenv.Fixture(t, "qwen3-last-tiny")})
	client := &http.Client{}
	cases := mixedCases()
	for _, c := range cases {
		if c.valid && c.check == nil {
			o := c.send(client, child.url)
			if assert.Equal(t, 200, o.status, "%s alone: %s", c.kind, o.detail) {
				c.ref = decodeAny(o.raw)
			}
		}
	}
	// The storm's bound is on what requests hold: the llama contexts the
	// first requests of each kind created (rerankers' and token vectors'
	// are made on first use, after the server reported its size) belong to
	// the loaded models, so the base is taken again once every kind ran.
	if now := rssOf(child.pid); now > child.base {
		child.base = now
	}
	start := time.Now()
	outcomes, trickled := mixedStorm(client, child.url, cases)
	stormTime := time.Since(start)
	idle := timeToIdle(child.pid, 5*time.Second)
	require.NoError(t, child.stdin.Close())
	shutdown := child.value(t, "SHUTDOWN")
	peak, _ := strconv.ParseInt(child.value(t, "PEAK"), 10, 64)
	assert.Equal(t, "<nil>", shutdown, "the requests of clients that left had stopped: the server shut down within its grace period")
	assert.NoError(t, child.cmd.Wait(), "the server survived")
	assert.Zero(t, child.panics.Load(), "no handler panicked")
	judgeMixed(t, outcomes, trickled)

	t.Logf("storm %v; server RSS %d MiB after loading and one request of each kind, peak %d MiB (%d above; bound %d); CPU idle %v after the clients left",
		stormTime.Round(time.Millisecond), child.base>>20, peak>>20, (peak-child.base)>>20, hostileBound>>20, idle)
	if !raceEnabled && child.base > 0 {
		assert.LessOrEqual(t, peak-child.base, int64(hostileBound), "peak RSS within the documented bound")
	}
	// The documented second holds in the plain run; the race detector
	// slows the Go side of the requests still unwinding several times
	// (1.2 s measured in CI).
	settle := time.Second
	if raceEnabled {
		settle = 3 * time.Second
	}
	assert.True(t, idle >= 0 && idle <= settle, "the CPU is idle within %v after the clients leave, not %v", settle, idle)
}

// mixedStorm sends the mix: 6 clients of 14 requests, the last of which
// hangs up while the server works on it (so that the CPU is measured
// after hang-ups), and 3 tricklers until they are done; it returns the
// outcomes and the tricklers' statuses.
func mixedStorm(client *http.Client, base string, cases []*mixedCase) ([]mixedOutcome, []int) {
	var mu sync.Mutex
	var out []mixedOutcome
	var trickled []int
	ctx, stop := context.WithCancel(context.Background())
	var tricklers, clients sync.WaitGroup
	routes := []string{"/v1/embeddings", "/v1/rerank", "/v1/embeddings/chunks", "/tokenize", "/detokenize"}
	for i := range 3 {
		tricklers.Go(func() {
			for k := i; ctx.Err() == nil; k++ {
				status, _ := trickle(ctx, base, routes[k%len(routes)], time.Second)
				mu.Lock()
				trickled = append(trickled, status)
				mu.Unlock()
			}
		})
	}
	for c := range 6 {
		clients.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 26))
			for i := range 14 {
				mc := cases[r.IntN(len(cases))]
				for mc.limit != nil && mc.limit.Add(-1) < 0 {
					mc = cases[r.IntN(len(cases))]
				}
				if i == 13 { // the last request hangs up while it is evaluated
					mc = find(cases, []string{"hangup-truncate", "hangup-chunks", "hangup-embed"}[c%3])
				}
				o := mc.send(client, base)
				o.raw = nil
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
			}
		})
	}
	clients.Wait()
	stop()
	tricklers.Wait()
	return out, trickled
}

func find(cases []*mixedCase, kind string) *mixedCase {
	for _, c := range cases {
		if c.kind == kind {
			return c
		}
	}
	panic("no case " + kind)
}

// judgeMixed asserts each outcome and logs the counts.
func judgeMixed(t *testing.T, outcomes []mixedOutcome, trickled []int) {
	t.Helper()
	classes := map[string]int{}
	var n4, n5 int
	for _, o := range outcomes {
		classes[fmt.Sprintf("%s %d", o.kind, o.status)]++
		switch {
		case o.status >= 500:
			n5++
		case o.status >= 400:
			n4++
		}
		switch {
		case o.hangup:
			assert.Less(t, o.status, 500, "%s: no 5xx (%s)", o.kind, o.detail)
		case o.valid:
			assert.Contains(t, []int{200, 429}, o.status, "%s is answered: %s", o.kind, o.detail)
			assert.Empty(t, o.wrong, "%s is answered right", o.kind)
		default:
			assert.True(t, o.status >= 400 && o.status < 500, "%s gets a 4xx, not %d (%s)", o.kind, o.status, o.detail)
		}
	}
	for _, s := range trickled {
		classes[fmt.Sprintf("trickle %d", s)]++
		assert.Contains(t, []int{0, 408}, s, "a trickler is dropped with 408 (0: it left at the end)")
	}
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("%d requests and %d trickled bodies; %d answered 4xx, %d 5xx (status 0: no answer)", len(outcomes), len(trickled), n4, n5)
	for _, k := range keys {
		t.Logf("  %s: %d", k, classes[k])
	}
}
