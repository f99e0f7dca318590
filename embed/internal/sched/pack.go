package sched

import (
	"errors"
	"time"
)

// pack takes the next batch of items for w and the CPU threads to
// evaluate it with, or reports that the scheduler is closing. It holds
// s.mu. Jobs are served round-robin, one kind per batch; within a job the
// longest items go first, and the gaps are filled with the shortest.
func (s *Scheduler) pack(w *worker, seqs []item) ([]item, int, bool) {
	for (len(s.jobs) == 0 || s.free == 0) && !s.closing {
		s.idle = append(s.idle, w)
		w.wake.Wait()
	}
	if s.closing {
		return nil, 0, false
	}
	if s.next >= len(s.jobs) {
		s.next = 0
	}
	first := s.jobs[s.next]
	// Pack up to the target; a longer text goes alone, and the budget
	// grows to hold it. A layout's gaps and filler count against the
	// target: counting only the texts' tokens made batches of padded
	// tokens larger and slower (BENCHMARKS.md, "Deterministic mode").
	budget, slots := s.cfg.BatchTarget, s.cfg.MaxSequences
	placed := s.cfg.Layout.Placer()
	if first.lo < first.hi {
		alone := placed.Clone()
		alone.Add(len(first.items[first.lo].Tokens))
		budget = max(budget, alone.Size())
	}
	fits := func(it item) bool {
		p := placed.Clone()
		p.Add(len(it.Tokens))
		return p.Size() <= budget
	}
	now := int64(time.Since(epoch)) + 1
	take := func(it item) {
		it.job.started.CompareAndSwap(0, now)
		seqs = append(seqs, it)
		placed.Add(len(it.Tokens))
		slots--
	}
	for k := 0; k < len(s.jobs) && slots > 0; k++ {
		j := s.jobs[(s.next+k)%len(s.jobs)]
		if j.kind != first.kind || j.canceled.Load() {
			continue
		}
		for slots > 0 && j.lo < j.hi {
			if fits(j.items[j.lo]) {
				take(j.items[j.lo])
				j.lo++
			} else if fits(j.items[j.hi-1]) {
				take(j.items[j.hi-1])
				j.hi--
			} else {
				break
			}
		}
	}
	s.queued -= len(seqs)
	s.dropDone()
	threads := s.threads()
	// Submit woke one worker; if work is left, pass it on to the next.
	if len(s.jobs) > 0 {
		s.wake()
	}
	return seqs, threads, true
}

// dropDone drops exhausted and canceled jobs; the next batch starts with
// the job after the first one served by the last pack. It holds s.mu.
func (s *Scheduler) dropDone() {
	kept, next := s.jobs[:0], 0
	for i, j := range s.jobs {
		live := j.lo < j.hi && !j.canceled.Load()
		if !live {
			s.queued -= j.hi - j.lo
			j.lo = j.hi
			continue
		}
		kept = append(kept, j)
		if i <= s.next {
			next = len(kept)
		}
	}
	clear(s.jobs[len(kept):])
	s.jobs, s.next = kept, next
}

// threads takes CPU threads for a batch about to be evaluated. A batch
// evaluated alone, with nothing else waiting, gets every free thread: a
// single text is answered as fast as the cores allow. When batches run
// side by side, each gets its share of Config.Threads: ggml's threads
// wait for each other after every operation of a decode, and on small
// batches two decodes with half the threads each outrun one decode with
// all of them (RATIONALE.md, "Scheduler"). It holds s.mu; release gives
// the threads back.
func (s *Scheduler) threads() int {
	n := s.free
	if s.busy > 0 || len(s.jobs) > 0 {
		n = min(n, (s.cfg.Threads+s.workers-1)/s.workers)
	}
	s.free -= n
	s.busy++
	return n
}

// release gives back the threads of an evaluated batch. The worker then
// packs the next batch itself, and wakes another if work is left.
func (s *Scheduler) release(threads int) {
	s.mu.Lock()
	s.free += threads
	s.busy--
	s.mu.Unlock()
}

// run evaluates seqs (all of one kind) as one batch and delivers each
// result to its job. When the batch fails as a whole, each sequence is
// retried alone, so one bad text cannot fail the others.
func (s *Scheduler) run(w *worker, seqs []item, threads int) {
	if len(seqs) == 0 {
		return
	}
	start := time.Now()
	tokens := s.count(seqs) // before any result is delivered, so Stats never lags a call
	toks := make([][]int32, len(seqs))
	for i, it := range seqs {
		toks[i] = it.Tokens
	}
	kind := seqs[0].job.kind
	stop := func() bool { // every call of the batch canceled: its work is for nobody
		for _, it := range seqs {
			if !it.job.canceled.Load() {
				return false
			}
		}
		return true
	}
	decode, err := w.ev.Decode(kind, toks, threads, stop)
	if err == nil {
		s.deliver(w.ev, kind, seqs)
	}
	if s.cfg.OnBatch != nil {
		s.cfg.OnBatch(Batch{Sequences: len(seqs), Tokens: tokens, Worker: w.index, Threads: threads,
			Duration: time.Since(start), Decode: decode, Err: err})
	}
	if err == nil {
		return
	}
	if len(seqs) == 1 || errors.Is(err, ErrStopped) {
		for _, it := range seqs {
			it.job.finish(it.Index, nil, nil, err)
		}
		return
	}
	for i := range seqs {
		s.run(w, seqs[i:i+1], threads)
	}
}

// deliver reads the outputs of a decoded batch into the jobs: a pooled
// vector per sequence, or a vector per token on the per-token path.
func (s *Scheduler) deliver(ev Evaluator, kind Kind, seqs []item) {
	offset := 0
	for sq, it := range seqs {
		if kind.PerToken {
			toks := make([][]float32, len(it.Tokens))
			var err error
			for i := range toks {
				if toks[i], err = ev.Token(offset + i); err != nil {
					break
				}
			}
			it.job.finish(it.Index, nil, toks, err)
		} else {
			v, err := ev.Pooled(sq)
			it.job.finish(it.Index, v, nil, err)
		}
		offset += len(it.Tokens)
	}
}

// count adds a batch to the counters of Stats and returns its tokens.
func (s *Scheduler) count(seqs []item) int {
	tokens := 0
	for _, it := range seqs {
		tokens += len(it.Tokens)
	}
	s.batches.Add(1)
	s.sequences.Add(uint64(len(seqs)))
	s.tokens.Add(uint64(tokens))
	return tokens
}
