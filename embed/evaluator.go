package embed

import (
	"fmt"
	"time"

	"github.com/embellama/embellama/embed/internal/sched"
	"github.com/embellama/embellama/llama"
)

// evaluator is the scheduler's [sched.Evaluator] for one worker of a
// model: it owns llama contexts (one per kind, created on first use) and
// the batch it fills; only its worker's goroutine calls it.
type evaluator struct {
	l     *loaded
	batch *llama.Batch
	ctxs  map[sched.Kind]*llama.Context
	kind  sched.Kind // of the last Decode
	dim   int
	// The outputs of the last Decode, copied out after each of its
	// llama_decode calls: per sequence (pooled) or per row (per token).
	pooled  [][]float32
	weights []int // tokens each pooled vector averages (mean pooling)
	errs    []error
	rows    [][]float32
	// index holds the batch index of each sequence token of a laid-out
	// batch (decodeLaidOut), nil when the batch holds them back to back.
	index []int32
}

var llamaFlashAttn = map[FlashAttention]llama.FlashAttnType{
	FlashAttentionAuto: llama.FlashAttnAuto,
	FlashAttentionOn:   llama.FlashAttnEnabled,
	FlashAttentionOff:  llama.FlashAttnDisabled,
}

func newEvaluator(l *loaded) (*evaluator, error) {
	b, err := llama.NewBatch(l.cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	return &evaluator{l: l, batch: b, ctxs: map[sched.Kind]*llama.Context{}}, nil
}

// Close frees the contexts and the batch.
func (ev *evaluator) Close() {
	for _, c := range ev.ctxs {
		c.Close()
	}
	ev.batch.Close()
}

// context returns the context for a kind, creating it if needed.
func (ev *evaluator) context(k sched.Kind) (*llama.Context, error) {
	if c, ok := ev.ctxs[k]; ok {
		return c, nil
	}
	cfg := ev.l.cfg
	cp, err := llama.DefaultContextParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	cp.Embeddings = true
	cp.PoolingType = llamaPooling[Pooling(k.Pooling)]
	if k.PerToken {
		cp.PoolingType = llama.PoolingNone
	}
	// A unified KV cache lets any one sequence use the whole context, so
	// the longest accepted text does not shrink as batches get wider.
	cp.KVUnified = true
	cp.NCtx = uint32(cfg.BatchSize)
	cp.NBatch = uint32(cfg.BatchSize)
	cp.NUbatch = uint32(cfg.UBatchSize)
	cp.NSeqMax = uint32(seqIDs(cfg.MaxSequences, ev.l.layout))
	cp.NThreads, cp.NThreadsBatch = int32(cfg.Threads), int32(cfg.Threads)
	cp.FlashAttnType = llamaFlashAttn[ev.l.info.FlashAttention]
	c, err := llama.NewContext(ev.l.lmodel, cp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	ev.ctxs[k] = c
	return c, nil
}

// Decode evaluates seqs, the memory cleared first so that no sequence
// sees another. The tokens go to llama.cpp in calls of at most
// UBatchSize tokens (one ubatch each): llama.cpp keeps a row of n_vocab
// logits per token of a call, even in an embedding context, in its output
// buffer and its compute buffer, so the planner makes a decoder's ubatch
// small (see outputTokens) and a long text is evaluated call by call, its
// earlier tokens in the KV cache. Encoders take a batch in one call.
// Between calls, stop says whether anyone still waits for the batch.
func (ev *evaluator) Decode(k sched.Kind, seqs [][]int32, threads int, stop func() bool) (time.Duration, error) {
	c, err := ev.context(k)
	if err != nil {
		return 0, err
	}
	c.ClearMemory()
	c.SetThreads(threads, threads)
	ev.kind, ev.dim = k, c.NEmbd()
	ev.pooled, ev.weights, ev.errs = make([][]float32, len(seqs)), make([]int, len(seqs)), make([]error, len(seqs))
	ev.rows, ev.index = ev.rows[:0], nil
	if ev.l.layout.Aligned() {
		return ev.decodeLaidOut(c, seqs)
	}
	step := ev.l.cfg.UBatchSize
	if ev.l.encode || step <= 0 {
		step = ev.l.cfg.BatchSize
	}
	var took time.Duration
	s, p := 0, 0 // the next token: seqs[s][p]
	for call := 0; s < len(seqs); call++ {
		if call > 0 && stop != nil && stop() {
			return took, sched.ErrStopped
		}
		ev.batch.Clear()
		counts := map[int]int{} // tokens per sequence in this call
		for n := 0; n < step && s < len(seqs); {
			if p == len(seqs[s]) {
				s, p = s+1, 0
				continue
			}
			if err := ev.batch.Add(seqs[s][p], int32(p), int32(s), true); err != nil {
				return took, fmt.Errorf("%w: %w", ErrDecode, err)
			}
			counts[s]++
			p, n = p+1, n+1
		}
		for s < len(seqs) && p == len(seqs[s]) {
			s, p = s+1, 0
		}
		if len(counts) == 0 {
			break
		}
		d, err := ev.evaluate(c)
		took += d
		if err != nil {
			return took, err
		}
		if err := ev.collect(c, counts); err != nil {
			return took, err
		}
	}
	return took, nil
}

// evaluate runs llama.cpp on the filled batch (llama_encode for an
// encoder-only model, else llama_decode) and returns how long it took.
func (ev *evaluator) evaluate(c *llama.Context) (time.Duration, error) {
	t := time.Now()
	var err error
	if ev.l.encode {
		err = c.Encode(ev.batch)
	} else {
		err = c.Decode(ev.batch)
	}
	took := time.Since(t)
	if err != nil {
		return took, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return took, nil
}

// collect copies out the outputs of one llama_decode call, counts
// holding the tokens each sequence had in it, and folds a sequence's
// pooled vectors of several calls into one as its pooling does: the
// first call's for CLS (and for rank pooling on the first token), the
// last call's for last, the token-weighted average for mean.
func (ev *evaluator) collect(c *llama.Context, counts map[int]int) error {
	if ev.kind.PerToken {
		n := 0
		for _, k := range counts {
			n += k
		}
		for i := range n {
			at := int32(i)
			if ev.index != nil {
				at = ev.index[i]
			}
			v, err := c.EmbeddingsIth(at, make([]float32, ev.dim))
			if err != nil {
				return wrapDecode(err)
			}
			ev.rows = append(ev.rows, v)
		}
		return nil
	}
	pooling := Pooling(ev.kind.Pooling)
	for s, n := range counts {
		var v []float32
		var err error
		if pooling == poolingRank {
			v, err = c.ScoresSeq(int32(s), ev.l.ret.outputs)
		} else {
			v, err = c.EmbeddingsSeq(int32(s), make([]float32, ev.dim))
		}
		if err != nil {
			ev.errs[s] = wrapDecode(err)
			continue
		}
		prev, w := ev.pooled[s], ev.weights[s]
		switch {
		case prev == nil || ev.lastToken():
			ev.pooled[s] = v
		case pooling == PoolingMean:
			for i := range prev {
				prev[i] = (prev[i]*float32(w) + v[i]*float32(n)) / float32(w+n)
			}
		}
		ev.weights[s] = w + n
	}
	return nil
}

// lastToken reports a pooling that reads a sequence's last token: last,
// and rank pooling on the architectures llama.cpp scores at the last
// token (llm_graph_input_cls::set_input).
func (ev *evaluator) lastToken() bool {
	switch Pooling(ev.kind.Pooling) {
	case PoolingLast:
		return true
	case poolingRank:
		a := ev.l.info.Architecture
		return a == "qwen3" || a == "qwen3vl"
	}
	return false
}

// Pooled returns the pooled vector (the classifier's outputs, for rank
// pooling) of sequence s of the last Decode.
func (ev *evaluator) Pooled(s int) ([]float32, error) {
	if s < 0 || s >= len(ev.pooled) {
		return nil, fmt.Errorf("%w: no sequence %d in the last batch", ErrDecode, s)
	}
	if ev.errs[s] != nil {
		return nil, ev.errs[s]
	}
	if ev.pooled[s] == nil {
		return nil, fmt.Errorf("%w: no output for sequence %d", ErrDecode, s)
	}
	return ev.pooled[s], nil
}

// Token returns the vector of output row i of the last Decode.
func (ev *evaluator) Token(i int) ([]float32, error) {
	if i < 0 || i >= len(ev.rows) {
		return nil, fmt.Errorf("%w: no output row %d in the last batch", ErrDecode, i)
	}
	return ev.rows[i], nil
}

func wrapDecode(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrDecode, err)
}
