package sched

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed/internal/layout"
)

// bad is the token that makes the fake evaluator fail a whole batch.
const bad = -1

var errBadBatch = errors.New("fake: bad token in batch")

// shared is the state all fake evaluators of one scheduler report into.
type shared struct {
	mu        sync.Mutex
	threads   int // threads of the decodes running now
	maxThread int // most threads in use at once
	decoded   [][]int32
	order     []int32 // first token of each batch
	workers   []int   // worker index of each batch

	batches [][][]int32   // every Decode's sequences
	delay   time.Duration // how long each Decode takes, so that decodes overlap
	gate    chan struct{} // when not nil, each Decode waits for a value
	in      chan struct{} // when not nil, each Decode signals it started
}

type fake struct {
	index int
	sh    *shared
	last  [][]int32
	dead  atomic.Bool
}

func (f *fake) Decode(k Kind, seqs [][]int32, threads int, _ func() bool) (time.Duration, error) {
	if f.dead.Load() {
		panic("Decode after Close")
	}
	f.sh.mu.Lock()
	f.sh.threads += threads
	f.sh.maxThread = max(f.sh.maxThread, f.sh.threads)
	if threads < 1 {
		f.sh.maxThread = 1 << 30 // a decode without a thread is a failure too
	}
	f.sh.order = append(f.sh.order, seqs[0][0])
	f.sh.batches = append(f.sh.batches, seqs)
	f.sh.workers = append(f.sh.workers, f.index)
	f.sh.mu.Unlock()
	defer func() {
		f.sh.mu.Lock()
		f.sh.threads -= threads
		f.sh.mu.Unlock()
	}()
	if f.sh.in != nil {
		f.sh.in <- struct{}{}
	}
	if f.sh.gate != nil {
		<-f.sh.gate
	}
	time.Sleep(f.sh.delay)
	for _, s := range seqs {
		for _, t := range s {
			if t == bad {
				return time.Microsecond, errBadBatch
			}
		}
	}
	f.sh.mu.Lock()
	f.sh.decoded = append(f.sh.decoded, seqs...)
	f.sh.mu.Unlock()
	f.last = seqs
	return time.Microsecond, nil
}

// Pooled returns {first token, length} of sequence s.
func (f *fake) Pooled(s int) ([]float32, error) {
	return []float32{float32(f.last[s][0]), float32(len(f.last[s]))}, nil
}

// Token returns {token} of output row i.
func (f *fake) Token(i int) ([]float32, error) {
	for _, s := range f.last {
		if i < len(s) {
			return []float32{float32(s[i])}, nil
		}
		i -= len(s)
	}
	return nil, errors.New("fake: row out of range")
}

func (f *fake) Close() { f.dead.Store(true) }

func newSched(t *testing.T, cfg Config, workers int, sh *shared) *Scheduler {
	t.Helper()
	evs := make([]Evaluator, workers)
	for i := range evs {
		evs[i] = &fake{index: i, sh: sh}
	}
	s, err := New(cfg, evs)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// text returns an input of n tokens, each first.
func text(idx int, first int32, n int) Input {
	toks := make([]int32, n)
	for i := range toks {
		toks[i] = first
	}
	return Input{Index: idx, Tokens: toks}
}

// idleCount is how many workers wait for work.
func (s *Scheduler) idleCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.idle)
}

func waitIdle(t *testing.T, s *Scheduler, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return s.idleCount() == n }, 10*time.Second, time.Millisecond)
}

func TestSchedulerDeliversPooledAndPerToken(t *testing.T) {
	sh := &shared{}
	s := newSched(t, Config{BatchTarget: 16, MaxSequences: 4, Threads: 2}, 2, sh)
	ctx := context.Background()

	j := NewJob(Kind{Pooling: 1}, 3, []Input{text(0, 5, 3), text(2, 7, 1)})
	require.NoError(t, s.Submit(j))
	require.NoError(t, s.Wait(ctx, j, nil))
	assert.Equal(t, []float32{5, 3}, j.Pooled[0])
	assert.Nil(t, j.Pooled[1], "an index not given stays nil")
	assert.Equal(t, []float32{7, 1}, j.Pooled[2])
	// Started keeps the monotonic clock: Done-Started (a request's
	// evaluation time) never goes by the wall clock, which steps.
	st := j.Started()
	require.False(t, st.IsZero())
	assert.NotEqual(t, st, st.Round(0), "Started has a monotonic reading")
	assert.GreaterOrEqual(t, time.Since(st), time.Duration(0))

	pt := NewJob(Kind{PerToken: true}, 2, []Input{{Index: 0, Tokens: []int32{1, 2, 3}}, {Index: 1, Tokens: []int32{9}}})
	require.NoError(t, s.Submit(pt))
	require.NoError(t, s.Wait(ctx, pt, nil))
	assert.Equal(t, [][]float32{{1}, {2}, {3}}, pt.Tokens[0])
	assert.Equal(t, [][]float32{{9}}, pt.Tokens[1])
	_, batches, seqs, toks := s.Stats()
	assert.Equal(t, uint64(4), seqs)
	assert.Equal(t, uint64(8), toks)
	assert.LessOrEqual(t, batches, uint64(4))
}

// Two jobs whose texts each fill a batch are served in turn, not one
// after the other.
func TestSchedulerRoundRobin(t *testing.T) {
	sh := &shared{gate: make(chan struct{}), in: make(chan struct{})}
	s := newSched(t, Config{BatchTarget: 4, MaxSequences: 4, Threads: 1}, 1, sh)
	ctx := context.Background()

	block := NewJob(Kind{}, 1, []Input{text(0, 100, 1)})
	require.NoError(t, s.Submit(block))
	<-sh.in // the only worker is now busy: a and b queue behind it
	var a, b []Input
	for i := range 5 {
		a = append(a, text(i, 1, 4))
		b = append(b, text(i, 2, 4))
	}
	ja, jb := NewJob(Kind{}, 5, a), NewJob(Kind{}, 5, b)
	require.NoError(t, s.Submit(ja))
	require.NoError(t, s.Submit(jb))
	go func() {
		for range sh.in {
			sh.gate <- struct{}{}
		}
	}()
	sh.gate <- struct{}{}
	require.NoError(t, s.Wait(ctx, ja, nil))
	require.NoError(t, s.Wait(ctx, jb, nil))
	close(sh.in)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	assert.Equal(t, []int32{100, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2}, sh.order)
}

// However many calls run at once, the decodes running together never use
// more than Config.Threads, and each has at least one.
func TestSchedulerThreadBudget(t *testing.T) {
	for _, tc := range []struct{ threads, workers int }{{1, 1}, {1, 3}, {4, 3}, {2, 2}, {8, 3}} {
		sh := &shared{delay: 200 * time.Microsecond}
		s := newSched(t, Config{BatchTarget: 8, MaxSequences: 2, Threads: tc.threads}, tc.workers, sh)
		var wg sync.WaitGroup
		for c := range 16 {
			wg.Go(func() {
				ins := make([]Input, 7)
				for i := range ins {
					ins[i] = text(i, int32(c), 1+i%5)
				}
				j := NewJob(Kind{Pooling: c % 2}, len(ins), ins)
				if assert.NoError(t, s.Submit(j)) {
					assert.NoError(t, s.Wait(context.Background(), j, nil))
					for i, v := range j.Pooled {
						assert.Equal(t, []float32{float32(c), float32(1 + i%5)}, v)
					}
				}
			})
		}
		wg.Wait()
		sh.mu.Lock()
		assert.LessOrEqual(t, sh.maxThread, tc.threads, "%+v", tc)
		assert.Positive(t, sh.maxThread)
		sh.mu.Unlock()
	}
}

// The idle worker woken is the one that was active last.
func TestSchedulerWakesLastActive(t *testing.T) {
	sh := &shared{}
	s := newSched(t, Config{BatchTarget: 8, MaxSequences: 2, Threads: 2}, 3, sh)
	for i := range 6 {
		waitIdle(t, s, 3)
		j := NewJob(Kind{}, 1, []Input{text(0, int32(i+1), 2)})
		require.NoError(t, s.Submit(j))
		require.NoError(t, s.Wait(context.Background(), j, nil))
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	require.Len(t, sh.workers, 6)
	for _, w := range sh.workers[1:] {
		assert.Equal(t, sh.workers[0], w, "every call after the first went to the worker active last: %v", sh.workers)
	}
}

// A canceled call returns at once, and its queued texts are never
// evaluated.
func TestSchedulerCancelWithdraws(t *testing.T) {
	sh := &shared{gate: make(chan struct{}), in: make(chan struct{}, 1)}
	s := newSched(t, Config{BatchTarget: 4, MaxSequences: 1, Threads: 1}, 1, sh)
	block := NewJob(Kind{}, 1, []Input{text(0, 100, 1)})
	require.NoError(t, s.Submit(block))
	<-sh.in

	ins := make([]Input, 50)
	for i := range ins {
		ins[i] = text(i, 7, 3)
	}
	j := NewJob(Kind{}, len(ins), ins)
	require.NoError(t, s.Submit(j))
	queued, _, _, _ := s.Stats()
	require.Equal(t, 50, queued)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Wait(ctx, j, nil), context.Canceled)
	queued, _, _, _ = s.Stats()
	assert.Zero(t, queued, "the canceled call's texts left the queue")

	close(sh.gate) // let the blocking batch, and any other, through
	require.NoError(t, s.Wait(context.Background(), block, nil))
	waitIdle(t, s, 1)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for _, d := range sh.decoded {
		assert.NotEqual(t, int32(7), d[0], "a withdrawn text was evaluated")
	}
}

// A batch that fails as a whole is retried text by text: only the bad
// text fails.
func TestSchedulerRetryIsolatesBadText(t *testing.T) {
	sh := &shared{}
	s := newSched(t, Config{BatchTarget: 64, MaxSequences: 8, Threads: 1}, 1, sh)
	ins := []Input{text(0, 1, 3), text(1, 2, 3), {Index: 2, Tokens: []int32{3, bad, 3}}, text(3, 4, 3), text(4, 5, 3)}
	j := NewJob(Kind{}, len(ins), ins)
	require.NoError(t, s.Submit(j))
	require.NoError(t, s.Wait(context.Background(), j, nil))
	for i := range ins {
		if i == 2 {
			assert.ErrorIs(t, j.Errs[i], errBadBatch)
			assert.Nil(t, j.Pooled[i])
			continue
		}
		assert.NoError(t, j.Errs[i])
		assert.Equal(t, []float32{float32(i + 1), 3}, j.Pooled[i])
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	assert.Len(t, sh.order, 6, "one packed batch, then each text alone")
}

func TestSchedulerQueueLimitAndClose(t *testing.T) {
	sh := &shared{gate: make(chan struct{}), in: make(chan struct{}, 1)}
	s := newSched(t, Config{BatchTarget: 4, MaxSequences: 1, Threads: 1, MaxQueue: 3}, 1, sh)
	block := NewJob(Kind{}, 1, []Input{text(0, 100, 1)})
	require.NoError(t, s.Submit(block))
	<-sh.in
	j := NewJob(Kind{}, 3, []Input{text(0, 1, 1), text(1, 1, 1), text(2, 1, 1)})
	require.NoError(t, s.Submit(j))
	require.ErrorIs(t, s.Submit(NewJob(Kind{}, 1, []Input{text(0, 1, 1)})), ErrFull)

	done := make(chan error, 1)
	go func() { done <- s.Wait(context.Background(), j, nil) }()
	go s.Close()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.closing
	}, 10*time.Second, time.Millisecond)
	assert.ErrorIs(t, <-done, ErrClosed, "queued calls fail when the scheduler closes")
	close(sh.gate)
	require.NoError(t, s.Wait(context.Background(), block, nil), "the batch being evaluated finishes")
	s.Close()
	assert.ErrorIs(t, s.Submit(NewJob(Kind{}, 1, []Input{text(0, 1, 1)})), ErrClosed)
}

func TestSchedulerNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 20 {
		sh := &shared{}
		evs := []Evaluator{&fake{sh: sh}, &fake{index: 1, sh: sh}}
		s, err := New(Config{BatchTarget: 8, MaxSequences: 4, Threads: 2}, evs)
		require.NoError(t, err)
		j := NewJob(Kind{}, 2, []Input{text(0, 1, 2), text(1, 2, 2)})
		require.NoError(t, s.Submit(j))
		require.NoError(t, s.Wait(context.Background(), j, nil))
		s.Close()
		for _, ev := range evs {
			assert.True(t, ev.(*fake).dead.Load(), "Close closed every evaluator")
		}
	}
	// Polled by hand: require.Eventually runs its condition on a goroutine
	// of its own.
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(10 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, after, before, "goroutines: %d before, %d after", before, after)
}

func TestSchedulerProgressAndInvalidConfig(t *testing.T) {
	sh := &shared{}
	s := newSched(t, Config{BatchTarget: 2, MaxSequences: 1, Threads: 1}, 1, sh)
	ins := []Input{text(0, 1, 2), text(1, 1, 2), text(2, 1, 2)}
	j := NewJob(Kind{}, 3, ins)
	require.NoError(t, s.Submit(j))
	var seen []int
	require.NoError(t, s.Wait(context.Background(), j, func(d int) { seen = append(seen, d) }))
	require.NotEmpty(t, seen)
	assert.Equal(t, 3, seen[len(seen)-1])
	assert.IsIncreasing(t, seen)

	for _, cfg := range []Config{{}, {BatchTarget: 1, MaxSequences: 1}, {BatchTarget: 1, Threads: 1}, {BatchTarget: 1, MaxSequences: 1, Threads: 1, MaxQueue: -1}} {
		_, err := New(cfg, []Evaluator{&fake{sh: sh}})
		assert.Error(t, err, "%+v", cfg)
	}
	_, err := New(Config{BatchTarget: 1, MaxSequences: 1, Threads: 1}, nil)
	assert.Error(t, err)
}

// With a layout, a batch's size, gaps and filler included, stays within
// the target (or what its first text takes alone) and the cap, and every
// text is delivered once.
func TestSchedulerLayoutBudget(t *testing.T) {
	rule := layout.Rule{Lane: 16, Tile: 64, Min: 64, Cap: 512}
	sh := &shared{}
	s := newSched(t, Config{BatchTarget: 128, MaxSequences: 31, Threads: 2, Layout: rule}, 2, sh)
	rng := rand.New(rand.NewPCG(3, 4))
	var in []Input
	for i := range 300 {
		in = append(in, text(i, int32(i+1), 1+rng.IntN(300)))
	}
	j := NewJob(Kind{}, len(in), in)
	require.NoError(t, s.Submit(j))
	require.NoError(t, s.Wait(context.Background(), j, nil))
	sh.mu.Lock()
	defer sh.mu.Unlock()
	seen := 0
	for _, b := range sh.batches {
		p := rule.Placer()
		longest := 0
		for _, seq := range b {
			p.Add(len(seq))
			longest = max(longest, len(seq))
		}
		alone := rule.Placer()
		alone.Add(longest)
		assert.LessOrEqual(t, p.Size(), max(128, alone.Size()), "batch of %d", len(b))
		assert.LessOrEqual(t, p.Size(), rule.Cap)
		assert.LessOrEqual(t, len(b), 31)
		seen += len(b)
	}
	assert.Equal(t, len(in), seen)
}
