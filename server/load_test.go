package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/rss"
	"github.com/embellama/embellama/server"
)

// TestLoad drives the server with a bounded mix of valid, invalid and
// oversized requests from 24 clients on 127.0.0.1, some of which hang up
// mid-request, against a small queue. It stops by itself (a fixed count of
// requests). Every accepted valid request must succeed with the right
// number of vectors; valid requests may only be refused with 429; nothing
// may answer 5xx.
func TestLoad(t *testing.T) {
	f := start(t, server.Options{MaxInputs: 256, MaxBodyBytes: 1 << 20}, embed.Config{ModelConfig: embed.ModelConfig{MaxQueue: 400}})
	url := f.http.URL + "/v1/embeddings"
	const clients, perClient = 24, 25
	type outcome struct {
		kind    string
		status  int
		latency time.Duration
		ok      bool
	}
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 99))
			for range perClient {
				kind := []string{"valid", "valid", "valid", "big", "invalid", "oversized", "hangup"}[r.IntN(7)]
				var body any
				n := 1 + r.IntN(8)
				texts := make([]string, n)
				for i := range texts {
					texts[i] = fmt.Sprintf("client %d says %s", c, strings.Repeat("words ", r.IntN(30)))
				}
				switch kind {
				case "big":
					texts = make([]string, 200)
					for i := range texts {
						texts[i] = "text " + strconv.Itoa(i)
					}
					body = map[string]any{"input": texts}
				case "invalid":
					body = map[string]any{"input": []any{"ok", 3}}
				case "oversized":
					body = map[string]any{"input": strings.Repeat("x", 2<<20)}
				default:
					body = map[string]any{"input": texts}
				}
				b, _ := json.Marshal(body)
				ctx, cancel := context.WithCancel(context.Background())
				if kind == "hangup" {
					time.AfterFunc(time.Duration(r.IntN(20))*time.Millisecond, cancel)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(b)))
				req.Header.Set("Content-Type", "application/json")
				start := time.Now()
				resp, err := http.DefaultClient.Do(req)
				o := outcome{kind: kind}
				if err == nil {
					var res server.EmbeddingResponse
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					o.status, o.latency = resp.StatusCode, time.Since(start)
					if resp.StatusCode == 200 {
						o.ok = json.Unmarshal(raw, &res) == nil && len(res.Data) == len(texts)
					}
				}
				cancel()
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	classes := map[string]int{}
	var lat []time.Duration
	for _, o := range outcomes {
		classes[fmt.Sprintf("%s %d", o.kind, o.status)]++
		switch o.kind {
		case "valid", "big":
			assert.Contains(t, []int{200, 429}, o.status, "valid requests succeed or are refused with 429")
			if o.status == 200 {
				assert.True(t, o.ok, "an accepted request gets all its vectors")
				lat = append(lat, o.latency)
			}
		case "invalid":
			assert.Equal(t, 400, o.status)
		case "oversized":
			assert.Equal(t, 413, o.status)
		case "hangup":
			assert.True(t, o.status == 0 || o.status == 200 || o.status == 429, "status %d", o.status)
		}
		assert.Less(t, o.status, 500, "no 5xx")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	keys := make([]string, 0, len(classes))
	for k := range classes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s: %d", k, classes[k]))
	}
	t.Logf("%d requests; by kind and status (0 = client hung up): %s", len(outcomes), strings.Join(summary, ", "))
	if len(lat) > 0 {
		t.Logf("accepted valid requests: p50 %v, p99 %v", lat[len(lat)/2], lat[len(lat)*99/100])
	}
	t.Logf("peak RSS of the test process: %d MiB", rss.Peak()>>20)
	st, err := f.engine.Stats("default")
	assert.NoError(t, err)
	assert.Zero(t, st.Queued, "nothing left in the queue")
}
