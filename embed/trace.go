package embed

import (
	"context"
	"sync"
	"time"
)

// Trace records the phases of the calls made with a context that carries
// it ([WithTrace]): when tokenization ran, how long the sequences waited
// in the model's queue, and how long their evaluation took. An HTTP
// server fills its access log, its latency histograms and its trace spans
// from it. A Trace is safe for concurrent use; calls sharing one
// accumulate into it (the earliest start, the latest end, summed counts).
type Trace struct {
	mu sync.Mutex
	t  TraceTimes
}

// TraceTimes is a snapshot of a [Trace]. A zero time is a phase that did
// not happen (a call refused before tokenizing, a call served from the
// cache without queueing).
type TraceTimes struct {
	// TokenizeStart and TokenizeEnd bound the tokenization of the inputs.
	TokenizeStart, TokenizeEnd time.Time
	// Queued is when the sequences were queued, Started when a worker
	// first took one of them, and Done when the last one was evaluated:
	// Started-Queued is the wait in the queue, Done-Started the
	// evaluation (in batches that other calls may share).
	Queued, Started, Done time.Time
	// Inputs counts the sequences the calls were given (texts, pairs,
	// chunks), failed ones included; Sequences and Tokens count what was
	// evaluated (inputs served from the cache or refused are not).
	Inputs, Sequences, Tokens int
}

// QueueWait returns Started-Queued, or 0 when the call did not queue.
func (t TraceTimes) QueueWait() time.Duration {
	if t.Queued.IsZero() || t.Started.IsZero() {
		return 0
	}
	return t.Started.Sub(t.Queued)
}

// Evaluation returns Done-Started, or 0 when nothing was evaluated.
func (t TraceTimes) Evaluation() time.Duration {
	if t.Started.IsZero() || t.Done.IsZero() {
		return 0
	}
	return t.Done.Sub(t.Started)
}

type traceKey struct{}

// WithTrace returns a context whose calls record their phases into t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// Times returns what t recorded so far.
func (t *Trace) Times() TraceTimes {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.t
}

// traceFrom returns the context's trace, or nil.
func traceFrom(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// earliest and latest merge a phase's time into an accumulated one.
func earliest(at *time.Time, t time.Time) {
	if !t.IsZero() && (at.IsZero() || t.Before(*at)) {
		*at = t
	}
}

func latest(at *time.Time, t time.Time) {
	if t.After(*at) {
		*at = t
	}
}

// tokenized records a tokenization of n inputs from start to now.
func (t *Trace) tokenized(start time.Time, n int) {
	if t == nil {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.t.Inputs += n
	earliest(&t.t.TokenizeStart, start)
	latest(&t.t.TokenizeEnd, now)
}

// evaluated records a scheduler job of seqs sequences and toks tokens,
// queued at queued, first taken at started, done now.
func (t *Trace) evaluated(queued, started time.Time, seqs, toks int) {
	if t == nil {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	earliest(&t.t.Queued, queued)
	earliest(&t.t.Started, started)
	latest(&t.t.Done, now)
	t.t.Sequences += seqs
	t.t.Tokens += toks
}
