package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/rss"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

const hostileChild = "EMBELLAMA_TEST_HOSTILE_SERVER"

// The server of TestHostileLoad: default limits (16 MiB bodies, 1 MiB
// texts, 4096 inputs, no token bound), and a pending-bytes budget of
// three full bodies.
const (
	hostilePending = 48 << 20
	// hostileBound is the documented bound on the server's memory above
	// its size once the model is loaded: what the requests being decoded
	// and evaluated at once may hold (a few times the pending-bytes
	// budget: token ids take 4 bytes for the 2 of "1,", the slices grow
	// by doubling, and the Go heap runs up to twice what is live), plus
	// the runtime's own.
	hostileBound = 8*hostilePending + 64<<20
)

// TestHostileLoad runs the server in a child process on 127.0.0.1 and
// drives it with a bounded mix (a fixed count of requests, fixed seeds)
// of valid requests and hostile ones: malformed JSON, invalid UTF-8,
// wrong types and content types, texts over the text limit, too many
// inputs, flat 16 MB token arrays, and clients that hang up mid-body.
// Every valid request must get the vectors it gets alone (or a 429 with
// Retry-After), every invalid one a 4xx, nothing a 5xx, and the child's
// peak RSS must stay within hostileBound of its size after loading.
func TestHostileLoad(t *testing.T) {
	if os.Getenv(hostileChild) != "" {
		hostileServer(t)
		return
	}
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostileLoad$", "-test.v")
	cmd.Env = append(os.Environ(), hostileChild+"=1", "EMBELLAMA_TEST_LIB="+lib, "EMBELLAMA_TEST_MODEL="+model)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	value := func(key string) string {
		for lines.Scan() {
			if v, ok := strings.CutPrefix(lines.Text(), key+" "); ok {
				return v
			}
		}
		t.Fatalf("the child server exited before %s", key)
		return ""
	}
	url := "http://" + value("ADDR") + "/v1/embeddings"
	base, _ := strconv.ParseInt(value("BASE"), 10, 64)

	texts := make([]string, 16)
	want := map[string][]float32{}
	for i := range texts {
		texts[i] = fmt.Sprintf("document %d about %s", i, strings.Repeat("things ", i))
		v, status := embedOne(t, url, texts[i])
		require.Equal(t, 200, status)
		want[texts[i]] = v
	}
	outcomes := storm(t, url, texts, want)

	require.NoError(t, stdin.Close())
	peak, _ := strconv.ParseInt(value("PEAK"), 10, 64)
	require.NoError(t, cmd.Wait())

	classes := map[string]int{}
	for _, o := range outcomes {
		classes[fmt.Sprintf("%s %d", o.kind, o.status)]++
		assert.Less(t, o.status, 500, "%s: no 5xx (%s)", o.kind, o.detail)
		switch o.kind {
		case "valid", "valid-ids":
			assert.Contains(t, []int{200, 429}, o.status, o.detail)
			assert.True(t, o.status != 200 || o.ok, "an answered valid request has its vectors: %s", o.detail)
		case "hangup":
		default:
			assert.True(t, o.status >= 400 && o.status < 500, "%s gets a 4xx, not %d (%s)", o.kind, o.status, o.detail)
		}
	}
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("%d requests by kind and status (0: the client hung up): %v", len(outcomes), keys)
	for _, k := range keys {
		t.Logf("  %s: %d", k, classes[k])
	}
	t.Logf("server RSS: %d MiB after loading, peak %d MiB; bound %d MiB above the base", base>>20, peak>>20, hostileBound>>20)
	assert.Greater(t, classes["valid 200"], 0, "valid requests got through")
	switch {
	case raceEnabled:
		// The race detector's shadow memory multiplies the heap (524 MiB
		// peak measured): the bound is checked by the runs without it.
		t.Logf("race detector on: the RSS bound is checked without it")
	case base > 0:
		assert.LessOrEqual(t, peak-base, int64(hostileBound), "peak RSS within the documented bound")
	}
}

// hostileServer is the child: it serves until its stdin closes, then
// reports its peak RSS.
func hostileServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: os.Getenv("EMBELLAMA_TEST_LIB")}, ModelConfig: embed.ModelConfig{ModelPath: os.Getenv("EMBELLAMA_TEST_MODEL")}})
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.Warmup(ctx, ""))
	s, err := server.New(server.Options{Engine: e, MaxPendingBytes: hostilePending})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- s.ListenAndServe(ctx, "127.0.0.1:0", 5*time.Second, func(a net.Addr) {
			fmt.Printf("ADDR %s\nBASE %d\n", a, rss.Current())
		})
	}()
	io.Copy(io.Discard, os.Stdin)
	cancel()
	require.NoError(t, <-done)
	fmt.Printf("PEAK %d\n", rss.Peak())
}

type hostileOutcome struct {
	kind, detail string
	status       int
	ok           bool
}

// embedOne embeds one text through the server.
func embedOne(t *testing.T, url, text string) ([]float32, int) {
	b, _ := json.Marshal(map[string]any{"input": text})
	resp, err := http.Post(url, jsonType, bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var res struct {
		Data []struct{ Embedding []float32 }
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&res) != nil || len(res.Data) != 1 {
		return nil, resp.StatusCode
	}
	return res.Data[0].Embedding, 200
}

// storm sends the mix from 8 clients, 20 requests each.
func storm(t *testing.T, url string, texts []string, want map[string][]float32) []hostileOutcome {
	flat := []byte(`{"input":[` + strings.Repeat("1,", (16<<20-32)/2-1) + `1]}`)
	var mu sync.Mutex
	var out []hostileOutcome
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 17))
			for range 20 {
				o := hostileRequest(url, r, texts, want, flat)
				mu.Lock()
				out = append(out, o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

var hostileKinds = []string{"valid", "valid", "valid", "valid-ids", "malformed", "utf8", "surrogate", "type",
	"content-type", "long-text", "many-inputs", "flat16", "hangup"}

func hostileRequest(url string, r *rand.Rand, texts []string, want map[string][]float32, flat []byte) hostileOutcome {
	kind := hostileKinds[r.IntN(len(hostileKinds))]
	o := hostileOutcome{kind: kind}
	var body []byte
	ctype := jsonType
	var sent []string
	switch kind {
	case "valid":
		sent = make([]string, 1+r.IntN(8))
		for i := range sent {
			sent[i] = texts[r.IntN(len(texts))]
		}
		body, _ = json.Marshal(map[string]any{"input": sent})
	case "valid-ids":
		body = []byte(`{"input":[[101,7592,2088,102],[101,102]]}`)
	case "malformed":
		good, _ := json.Marshal(map[string]any{"input": texts[:3]})
		body = good[:r.IntN(len(good)-1)]
	case "utf8":
		body = []byte("{\"input\":[\"fine\",\"bad \xff\xfe\"]}")
	case "surrogate":
		body = []byte(`{"input":"half a pair: \ud83d"}`)
	case "type":
		body = []byte(`{"input":"x","dimensions":"64"}`)
	case "content-type":
		body, ctype = []byte(`{"input":"x"}`), "text/plain"
	case "long-text":
		body, _ = json.Marshal(map[string]any{"input": strings.Repeat("long ", 300_000)})
	case "many-inputs":
		many := make([]string, 5000)
		for i := range many {
			many[i] = "a"
		}
		body, _ = json.Marshal(map[string]any{"input": many})
	case "flat16":
		body = flat
	case "hangup":
		body = flat
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rd io.Reader = bytes.NewReader(body)
	if kind == "hangup" {
		pr, pw := io.Pipe()
		// Drawn here: r belongs to this client's goroutine.
		cut, pause := len(body)/(2+r.IntN(8)), time.Duration(r.IntN(20))*time.Millisecond
		go func() {
			pw.Write(body[:cut])
			time.Sleep(pause)
			pw.CloseWithError(errors.New("hung up"))
			cancel()
		}()
		rd = pr
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, rd)
	req.Header.Set("Content-Type", ctype)
	if kind != "hangup" {
		req.ContentLength = int64(len(body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.detail = err.Error()
		return o
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	o.status, o.detail = resp.StatusCode, string(raw[:min(len(raw), 200)])
	if o.status == 429 && resp.Header.Get("Retry-After") == "" {
		o.status = 999 // a 429 must say when to retry
	}
	if o.status != 200 {
		return o
	}
	var res server.EmbeddingResponse
	if json.Unmarshal(raw, &res) != nil {
		return o
	}
	switch kind {
	case "valid":
		o.ok = len(res.Data) == len(sent)
		for i, d := range res.Data {
			var v []float32
			if i >= len(sent) || json.Unmarshal(d.Embedding, &v) != nil || cosine32(v, want[sent[i]]) < 0.9999 {
				o.ok = false
			}
		}
	case "valid-ids":
		o.ok = len(res.Data) == 2
	}
	return o
}

func cosine32(a, b []float32) float64 {
	w := make([]float64, len(b))
	for i, x := range b {
		w[i] = float64(x)
	}
	return testenv.Cosine(a, w)
}
