package sched

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/embellama/embellama/embed/internal/layout"
)

// Errors of [Scheduler.Submit] and [Scheduler.Wait].
var (
	// ErrClosed: the scheduler was closed before the job was done.
	ErrClosed = errors.New("sched: closed")
	// ErrFull: the queue would exceed Config.MaxQueue.
	ErrFull = errors.New("sched: queue full")
	// ErrStopped: an evaluator stopped a batch whose calls had all been
	// canceled (see Evaluator.Decode); its sequences are not retried.
	ErrStopped = errors.New("sched: batch stopped, its calls canceled")
)

// Evaluator evaluates packed batches for one worker; only that worker's
// goroutine calls it, so it may own thread-bound native state.
type Evaluator interface {
	// Decode evaluates seqs as one batch: sequence s holds seqs[s], at
	// positions from 0, all of kind k, with the given CPU threads. It
	// returns the time the evaluation itself took, and an error when the
	// batch failed as a whole. An evaluator that evaluates a batch in
	// several steps calls stop between them, and returns [ErrStopped]
	// when it reports true: every call waiting for the batch is gone.
	Decode(k Kind, seqs [][]int32, threads int, stop func() bool) (time.Duration, error)
	// Pooled returns a copy of the pooled vector of sequence s of the
	// last Decode.
	Pooled(s int) ([]float32, error)
	// Token returns a copy of the vector of output row i (tokens of all
	// sequences, in order) of the last Decode.
	Token(i int) ([]float32, error)
	// Close frees the evaluator; it is called once, by its worker.
	Close()
}

// Config sets the scheduler's limits; every field must be at least 1
// except MaxQueue (0: no bound).
type Config struct {
	// BatchTarget is the tokens packed into one batch; a longer input goes
	// alone. MaxSequences is the most inputs in one batch.
	BatchTarget, MaxSequences int
	// Layout places a batch's sequences; BatchTarget bounds the tokens it
	// places, filler included. The zero Rule packs them tight.
	Layout layout.Rule
	// Threads is the CPU threads shared by all workers' decodes.
	Threads int
	// MaxQueue bounds the inputs not yet taken.
	MaxQueue int
	// OnBatch, when set, is called by the worker after each batch.
	OnBatch func(Batch)
}

// Batch describes one evaluated batch, for Config.OnBatch.
type Batch struct {
	Sequences, Tokens int
	// Worker is the index of the evaluator, Threads the CPU threads it had.
	Worker, Threads int
	// Duration is the whole batch, Decode what Evaluator.Decode reported.
	Duration, Decode time.Duration
	Err              error
}

// Scheduler serves jobs round-robin to one worker goroutine per
// evaluator.
type Scheduler struct {
	cfg     Config
	workers int

	mu      sync.Mutex
	idle    []*worker // waiting for work, the most recently active last
	jobs    []*Job    // jobs with items not yet taken, served round-robin
	next    int       // round-robin position in jobs
	queued  int       // items not yet taken
	free    int       // CPU threads no decode is using (of cfg.Threads)
	busy    int       // workers evaluating a batch
	closing bool
	wg      sync.WaitGroup

	batches, sequences, tokens atomic.Uint64
}

// worker is one evaluator and its goroutine's state.
type worker struct {
	index int
	ev    Evaluator
	wake  *sync.Cond // signaled, under mu, when work may be waiting
}

// New starts one worker goroutine per evaluator; Close stops them.
func New(cfg Config, evs []Evaluator) (*Scheduler, error) {
	if len(evs) == 0 || cfg.BatchTarget < 1 || cfg.MaxSequences < 1 || cfg.Threads < 1 || cfg.MaxQueue < 0 {
		return nil, fmt.Errorf("sched: invalid config %+v with %d evaluators", cfg, len(evs))
	}
	s := &Scheduler{cfg: cfg, workers: len(evs), free: cfg.Threads}
	for i, ev := range evs {
		w := &worker{index: i, ev: ev, wake: sync.NewCond(&s.mu)}
		s.wg.Add(1)
		go s.serve(w)
	}
	return s, nil
}

// Submit queues j, or fails at once when the scheduler is closing or its
// queue is full.
func (s *Scheduler) Submit(j *Job) error {
	n := j.hi - j.lo
	if n == 0 {
		j.close(nil)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return ErrClosed
	case s.cfg.MaxQueue > 0 && s.queued+n > s.cfg.MaxQueue:
		return fmt.Errorf("%w: %d queued, %d more would exceed %d", ErrFull, s.queued, n, s.cfg.MaxQueue)
	}
	s.jobs = append(s.jobs, j)
	s.queued += n
	s.wake()
	return nil
}

// withdraw removes a canceled job's untaken items from the queue.
func (s *Scheduler) withdraw(j *Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.jobs, j); i >= 0 {
		s.queued -= j.hi - j.lo
		j.lo = j.hi
		s.jobs = slices.Delete(s.jobs, i, i+1)
		if s.next > i {
			s.next--
		}
	}
}

// Stats reports the inputs not yet taken and the batches evaluated so
// far, with the sequences and tokens they held.
func (s *Scheduler) Stats() (queued int, batches, sequences, tokens uint64) {
	s.mu.Lock()
	queued = s.queued
	s.mu.Unlock()
	return queued, s.batches.Load(), s.sequences.Load(), s.tokens.Load()
}

// wake wakes the idle worker that was active last, if any, when a thread
// is free for it (otherwise the worker holding the threads takes the work
// when it is done). It holds s.mu. The last one is chosen because its
// OpenMP threads may still be spinning and its caches are warm: waking
// workers in turn was measured slower for single texts (RATIONALE.md,
// "Contexts"), as the other worker's idle threads spun on the cores the
// decode needed.
func (s *Scheduler) wake() {
	if n := len(s.idle); n > 0 && (s.free > 0 || s.closing) {
		w := s.idle[n-1]
		s.idle = s.idle[:n-1]
		w.wake.Signal()
	}
}

// Close stops the workers after their current batch, fails every queued
// job with [ErrClosed], and waits for the workers to close their
// evaluators. It is idempotent.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closing = true
	jobs := s.jobs
	s.jobs, s.queued = nil, 0
	for len(s.idle) > 0 {
		s.wake()
	}
	s.mu.Unlock()
	for _, j := range jobs {
		j.close(ErrClosed)
	}
	s.wg.Wait()
}

// serve is a worker's loop: take a batch, evaluate it, deliver.
//
// The goroutine keeps one OS thread: ggml's OpenMP build keeps a pool of
// worker threads per calling thread, so decodes issued from whichever
// thread the Go scheduler picked would spread over several pools whose
// threads then sleep and wake in the kernel at every barrier (measured:
// RATIONALE.md, "Scheduler").
func (s *Scheduler) serve(w *worker) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer s.wg.Done()
	defer w.ev.Close()
	var seqs []item
	for {
		s.mu.Lock()
		var (
			threads int
			ok      bool
		)
		seqs, threads, ok = s.pack(w, seqs[:0])
		s.mu.Unlock()
		if !ok {
			return
		}
		s.run(w, seqs, threads)
		s.release(threads)
	}
}
