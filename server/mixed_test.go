package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/rss"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/server"
)

const mixedChild = "EMBELLAMA_TEST_MIXED_SERVER"

// The server of TestHostileMixed: default limits but a pending-bytes
// budget of three full bodies (as TestHostileLoad), a body grace of 2 s
// so that tricklers are dropped within the test, and a 15 s timeout.
// Its memory bound above its size once loaded is hostileBound.
const (
	mixedGrace   = 2 * time.Second
	mixedTimeout = 15 * time.Second
)

// mixedChildProc is the server of TestHostileMixed in a child process.
type mixedChildProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string // stdout lines
	url   string
	pid   int
	base  int64
	// panics counts the stack traces the child logged (a handler that
	// panicked: the client got no answer).
	panics atomic.Int64
}

// startMixedChild runs this test binary as the server, with models
// (name=path) loaded, and waits until it listens.
func startMixedChild(t *testing.T, models []string) *mixedChildProc {
	t.Helper()
	c := &mixedChildProc{lines: make(chan string, 16)}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestHostileMixed$", "-test.v")
	c.cmd.Env = append(os.Environ(), mixedChild+"="+strings.Join(models, ","), "EMBELLAMA_TEST_LIB="+testenv.Library(t))
	var err error
	c.stdin, err = c.cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := c.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, c.cmd.Start())
	c.pid = c.cmd.Process.Pid
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "panic") {
				c.panics.Add(1)
			}
			fmt.Fprintln(os.Stderr, "child:", cut80(sc.Text()))
		}
	}()
	c.url = "http://" + c.value(t, "ADDR")
	c.base, _ = strconv.ParseInt(c.value(t, "BASE"), 10, 64)
	return c
}

func cut80(s string) string { return s[:min(len(s), 300)] } // a line of the child's output, cut

// value waits for the child's line "key value".
func (c *mixedChildProc) value(t *testing.T, key string) string {
	t.Helper()
	for line := range c.lines {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			return v
		}
		fmt.Fprintln(os.Stderr, "child:", cut80(line))
	}
	t.Fatalf("the child server exited before %s", key)
	return ""
}

// cpuTicks returns the child's user+system CPU time, in clock ticks
// (1/100 s), from /proc/<pid>/stat.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from the third on
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return u + k
}

// rssOf returns the resident set of process pid in bytes (VmRSS), or 0.
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// timeToIdle returns how long after now the child's CPU use falls to
// at most 10% of a core over 300 ms, or -1 if not within limit.
func timeToIdle(pid int, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit {
		t0, c0 := time.Now(), cpuTicks(pid)
		time.Sleep(300 * time.Millisecond)
		if cpuTicks(pid)-c0 <= 3 {
			return t0.Sub(start)
		}
	}
	return -1
}

// mixedServer is the child: it loads the models named in its
// environment, serves until its stdin closes, then reports how its
// shutdown went (nil: every request finished within the 5 s grace) and
// its peak RSS.
func mixedServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: os.Getenv("EMBELLAMA_TEST_LIB")}})
	require.NoError(t, err)
	defer e.Close()
	for _, m := range strings.Split(os.Getenv(mixedChild), ",") {
		name, path, _ := strings.Cut(m, "=")
		require.NoError(t, e.LoadModel(ctx, name, embed.ModelConfig{ModelPath: path, ContextSize: 512}))
		_ = e.Warmup(ctx, name) // rerankers have nothing to warm up: ErrNotEmbeddingModel
	}
	s, err := server.New(server.Options{Engine: e, MaxPendingBytes: hostilePending, BodyGrace: mixedGrace,
		Timeout: mixedTimeout, Logger: slogStderr()})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- s.ListenAndServe(ctx, "127.0.0.1:0", 5*time.Second, func(a net.Addr) {
			fmt.Printf("ADDR %s\nBASE %d\n", a, rss.Current())
		})
	}()
	io.Copy(io.Discard, os.Stdin)
	cancel()
	fmt.Printf("SHUTDOWN %v\nPEAK %d\n", <-done, rss.Peak())
}

// approxEqual compares two decoded JSON answers, numbers within tol.
func approxEqual(a, b any, tol float64) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Abs(x-y) <= tol
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !approxEqual(x[i], y[i], tol) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !approxEqual(v, y[k], tol) {
				return false
			}
		}
		return true
	}
	return a == b
}

func decodeAny(raw []byte) any {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	return v
}
