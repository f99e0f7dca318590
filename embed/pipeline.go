package embed

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embellama/embellama/embed/internal/sched"
)

// The pipeline: every operation on a loaded model (embedding, per-token
// vectors, reranking, chunks and late chunks) is a spec that [loaded.run]
// runs the same way. An operation resolves its model once (the [Model]
// handle does), checks its options once against what it applies
// ([loaded.options]), builds its spec and reads its outcome.

// spec is one operation's sequences: how each is tokenized, the
// scheduler kind they are evaluated with, and how each output is
// post-processed.
type spec struct {
	o    callOptions
	n    int        // sequences of the call
	kind sched.Kind // how they are evaluated
	// limit is the most tokens of one sequence, reported with ErrTooLong.
	limit int
	// tokenize returns the tokens evaluated for sequence i and whether
	// they were cut, or its error (with the tokens counted, if any). It
	// runs on several goroutines; an *InputError it returns keeps its
	// counts.
	tokenize func(i int) (toks []int32, cut bool, err error)
	// reuse, when set, reports a sequence served without evaluation (a
	// cached vector, a copy of an earlier input); it is called in order,
	// on the calling goroutine, for each sequence that tokenized.
	reuse func(i int) bool
	// post post-processes the output of sequence i: the pooled vector (or
	// the classifier outputs), or the rows of a per-token kind. It runs
	// on several goroutines.
	post func(i int, pooled []float32, rows [][]float32) error
}

// outcome is what the pipeline reports per sequence.
type outcome struct {
	tokens []int   // tokens evaluated (or counted, for a failed sequence)
	cut    []bool  // truncated
	errs   []error // nil or an *InputError
}

// run tokenizes the spec's sequences (stopping when ctx is done, or
// once their running total is over WithMaxTotalTokens, which fails the
// call whatever the rest), checks the call's token total, evaluates what
// is left in one scheduler job (a few in turn for per-token kinds, see
// group), so that a call's sequences share decodes, and post-processes
// each output. The error is for the call; a sequence's own is in the
// outcome.
func (l *loaded) run(ctx context.Context, s spec) (*outcome, error) {
	out := &outcome{tokens: make([]int, s.n), cut: make([]bool, s.n), errs: make([]error, s.n)}
	toks := make([][]int32, s.n)
	tr, tstart := traceFrom(ctx), time.Now()
	tctx, over := context.WithCancel(ctx)
	defer over()
	var total atomic.Int64
	err := parallelCtx(tctx, s.n, func(i int) {
		t, cut, err := s.tokenize(i)
		out.tokens[i], out.cut[i] = len(t), cut
		if err != nil {
			ie := rebase(err, i, "")
			if ie.Tokens == 0 {
				ie.Tokens = len(t)
			}
			if ie.Limit == 0 && errors.Is(err, ErrTooLong) {
				ie.Limit = s.limit
			}
			out.tokens[i], out.errs[i] = ie.Tokens, ie
			return
		}
		toks[i] = t
		if s.o.maxTotal > 0 && total.Add(int64(len(t))) > int64(s.o.maxTotal) {
			over() // the call fails: tokenize no more
		}
	})
	tr.tokenized(tstart, s.n)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil: // stopped over the total
		return nil, fmt.Errorf("%w: more than %d tokens (tokenizing stopped there), limit %d",
			ErrTooManyTokens, total.Load()-1, s.o.maxTotal)
	}
	if err := s.o.checkTotal(toks); err != nil {
		return nil, err
	}
	var inputs []sched.Input
	for i, t := range toks {
		if t != nil && (s.reuse == nil || !s.reuse(i)) {
			inputs = append(inputs, sched.Input{Index: i, Tokens: t})
		}
	}
	for done := s.n - len(inputs); ; {
		g := inputs[:l.group(s.kind, inputs)]
		if err := l.evaluate(ctx, s, g, done, out); err != nil {
			return nil, err
		}
		done, inputs = done+len(g), inputs[len(g):]
		if len(inputs) == 0 {
			break
		}
	}
	return out, nil
}

// group returns how many of inputs to evaluate in one job: all of them
// for pooled kinds (a vector each), and for per-token kinds as many as
// hold at most max(BatchSize, 4*BatchTarget) tokens together (at least
// one): their rows wait in memory until the job is done, so a call of
// many long documents holds a few batches' rows at a time, while its
// documents still share decodes.
func (l *loaded) group(k sched.Kind, inputs []sched.Input) int {
	if !k.PerToken {
		return len(inputs)
	}
	budget := max(l.cfg.BatchSize, 4*l.cfg.BatchTarget)
	for n, in := range inputs {
		if budget -= len(in.Tokens); budget < 0 {
			return max(n, 1)
		}
	}
	return len(inputs)
}

// evaluate runs inputs, some of the spec's sequences, as one scheduler
// job (done sequences of the call were finished before), and
// post-processes each output into out.
func (l *loaded) evaluate(ctx context.Context, s spec, inputs []sched.Input, done int, out *outcome) error {
	j := sched.NewJob(s.kind, s.n, inputs)
	queued := time.Now()
	if err := l.wait(ctx, j, done, s.n, s.o.progress); err != nil {
		return err
	}
	if tr := traceFrom(ctx); tr != nil && len(inputs) > 0 {
		toks := 0
		for _, in := range inputs {
			toks += len(in.Tokens)
		}
		tr.evaluated(queued, j.Started(), len(inputs), toks)
	}
	parallel(len(inputs), func(k int) {
		i := inputs[k].Index
		err := j.Errs[i]
		if err == nil && s.kind.PerToken {
			err = s.post(i, nil, j.Tokens[i])
		} else if err == nil {
			err = s.post(i, j.Pooled[i], nil)
		}
		if err != nil {
			out.errs[i] = &InputError{Index: i, Tokens: len(inputs[k].Tokens), Err: err}
		}
	})
	return nil
}

// wait queues j on l's scheduler and waits for it, reporting progress
// (already inputs of total were done without it).
func (l *loaded) wait(ctx context.Context, j *sched.Job, already, total int, progress func(done, total int)) error {
	var report func(int)
	if progress != nil {
		report = func(d int) { progress(already+d, total) }
		if already == total {
			progress(total, total)
		}
	}
	if err := l.sched.Submit(j); err != nil {
		return schedErr(err)
	}
	return schedErr(l.sched.Wait(ctx, j, report))
}

// kindOf is the scheduler's name for a pooling and output path.
func kindOf(p Pooling, perToken bool) sched.Kind {
	return sched.Kind{Pooling: int(p), PerToken: perToken}
}

// finish checks and post-processes a raw vector: finite, cut to the
// requested dimensions, normalized.
func finish(v []float32, o callOptions) ([]float32, error) {
	if !finite(v) {
		return nil, ErrNonFinite
	}
	if o.dimensions > 0 && o.dimensions < len(v) {
		v = v[:o.dimensions:o.dimensions]
	}
	normalize(v, o.normalize)
	if !finite(v) { // a last guard: normalize keeps finite vectors finite
		return nil, ErrNonFinite
	}
	return v, nil
}

// rebase returns err as the *InputError of input i: the counts of an
// *InputError in err kept, its cause prefixed with what (when not "").
func rebase(err error, i int, what string) *InputError {
	ie := &InputError{Index: i, Err: err}
	var in *InputError
	if errors.As(err, &in) {
		ie.Tokens, ie.Limit, ie.Err = in.Tokens, in.Limit, in.Err
	}
	if what != "" {
		ie.Err = fmt.Errorf("%s: %w", what, ie.Err)
	}
	return ie
}

// schedErr maps the scheduler's errors to the package's sentinels.
func schedErr(err error) error {
	switch {
	case errors.Is(err, sched.ErrClosed):
		return ErrModelUnloaded
	case errors.Is(err, sched.ErrFull):
		return fmt.Errorf("%w: %w", ErrOverloaded, err)
	}
	return err
}

// parallelCtx is [parallel] that stops handing out indices once ctx is
// done, and then returns ctx's error: every loop over a call's inputs
// runs through it, so a cancelled call frees its cores after the inputs
// being tokenized, not after all of them.
func parallelCtx(ctx context.Context, n int, f func(i int)) error {
	done := ctx.Done()
	parallel(n, func(i int) {
		select {
		case <-done:
		default:
			f(i)
		}
	})
	return ctx.Err()
}

// parallel runs f(i) for i in [0, n) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+63)/64)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
