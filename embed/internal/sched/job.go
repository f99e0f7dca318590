package sched

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what a batch evaluates: one pooling (an opaque number the
// evaluator understands) and whether the outputs are per token. A batch
// holds items of one kind only.
type Kind struct {
	Pooling  int
	PerToken bool
}

// Input is one text of a call, tokenized; Index is its position in the
// call and indexes the job's outputs.
type Input struct {
	Index  int
	Tokens []int32
}

// item is one input of a job, as the workers see it.
type item struct {
	job *Job
	Input
}

// Job is one call's inputs. Its outputs are read after [Scheduler.Wait]
// returns nil.
type Job struct {
	kind  Kind
	items []item // sorted longest first; [lo, hi) not yet taken
	lo    int
	hi    int

	// Pooled holds the pooled vector per input index (kinds with
	// PerToken false), Tokens the per-token vectors (PerToken true), and
	// Errs the error of inputs that failed. Inputs not given stay nil.
	Pooled [][]float32
	Tokens [][][]float32
	Errs   []error

	pending  atomic.Int64
	finished atomic.Int64
	progress chan struct{}
	done     chan struct{}
	doneOnce sync.Once
	err      error // set before done closes when the whole job failed
	canceled atomic.Bool
	started  atomic.Int64 // when a worker first took one of its inputs: 1 + ns since epoch; 0: not yet
}

// epoch is the base of Job.started: a time with the monotonic clock, so
// that Started (and a duration from it) never follows wall-clock steps.
var epoch = time.Now()

// Started returns when a worker first took one of j's inputs, or the zero
// time if none was taken: the end of j's wait in the queue.
func (j *Job) Started() time.Time {
	if n := j.started.Load(); n != 0 {
		return epoch.Add(time.Duration(n - 1))
	}
	return time.Time{}
}

// NewJob returns a job of kind k over inputs; n is the number of inputs of
// the call (the length of the output slices, at least every Index + 1).
func NewJob(k Kind, n int, inputs []Input) *Job {
	j := &Job{kind: k, Errs: make([]error, n), progress: make(chan struct{}, 1), done: make(chan struct{})}
	if k.PerToken {
		j.Tokens = make([][][]float32, n)
	} else {
		j.Pooled = make([][]float32, n)
	}
	j.items = make([]item, len(inputs))
	for i, in := range inputs {
		j.items[i] = item{job: j, Input: in}
	}
	slices.SortStableFunc(j.items, func(a, b item) int { return len(b.Tokens) - len(a.Tokens) })
	j.hi = len(j.items)
	j.pending.Store(int64(len(j.items)))
	return j
}

// Finished returns how many inputs have their outcome so far.
func (j *Job) Finished() int { return int(j.finished.Load()) }

func (j *Job) close(err error) {
	j.doneOnce.Do(func() {
		j.err = err
		close(j.done)
	})
}

// finish records the outcome of input idx.
func (j *Job) finish(idx int, vec []float32, toks [][]float32, err error) {
	switch {
	case err != nil:
		j.Errs[idx] = err
	case j.kind.PerToken:
		j.Tokens[idx] = toks
	default:
		j.Pooled[idx] = vec
	}
	j.finished.Add(1)
	select {
	case j.progress <- struct{}{}:
	default:
	}
	if j.pending.Add(-1) == 0 {
		j.close(nil)
	}
}

// Wait blocks until j is done, calling progress (when not nil) on the
// calling goroutine each time more inputs are finished, or until ctx is
// canceled, in which case j's untaken inputs are withdrawn at once and
// ctx's error is returned. It returns the scheduler's error when the
// whole job failed ([ErrClosed] when the scheduler closed first).
func (s *Scheduler) Wait(ctx context.Context, j *Job, progress func(finished int)) error {
	if len(j.items) == 0 {
		return nil
	}
	last := -1
	report := func() {
		if d := j.Finished(); progress != nil && d > last {
			last = d
			progress(d)
		}
	}
	for {
		select {
		case <-j.done:
			if j.err != nil {
				return j.err
			}
			report()
			return nil
		case <-j.progress:
			report()
		case <-ctx.Done():
			j.canceled.Store(true)
			s.withdraw(j)
			return ctx.Err()
		}
	}
}
