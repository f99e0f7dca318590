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
	m     *model
	batch *llama.Batch
	ctxs  map[sched.Kind]*llama.Context
	last  *llama.Context // of the last Decode
	dim   int
}

var llamaFlashAttn = map[FlashAttention]llama.FlashAttnType{
	FlashAttentionAuto: llama.FlashAttnAuto,
	FlashAttentionOn:   llama.FlashAttnEnabled,
	FlashAttentionOff:  llama.FlashAttnDisabled,
}

func newEvaluator(m *model) (*evaluator, error) {
	b, err := llama.NewBatch(m.cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	return &evaluator{m: m, batch: b, ctxs: map[sched.Kind]*llama.Context{}}, nil
}

// kindOf is the scheduler's name for a pooling and output path.
func kindOf(p Pooling, perToken bool) sched.Kind {
	return sched.Kind{Pooling: int(p), PerToken: perToken}
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
	cfg := ev.m.cfg
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
	cp.NSeqMax = uint32(cfg.MaxSequences)
	cp.NThreads, cp.NThreadsBatch = int32(cfg.Threads), int32(cfg.Threads)
	cp.FlashAttnType = llamaFlashAttn[ev.m.info.FlashAttention]
	c, err := llama.NewContext(ev.m.lmodel, cp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	ev.ctxs[k] = c
	return c, nil
}

// Decode fills the batch with seqs and decodes it (encodes, for encoder
// models); the memory is cleared first, so no sequence sees another.
func (ev *evaluator) Decode(k sched.Kind, seqs [][]int32, threads int) (time.Duration, error) {
	c, err := ev.context(k)
	if err != nil {
		return 0, err
	}
	c.ClearMemory()
	ev.batch.Clear()
	for s, toks := range seqs {
		for p, tok := range toks {
			if err := ev.batch.Add(tok, int32(p), int32(s), true); err != nil {
				return 0, fmt.Errorf("%w: %w", ErrDecode, err)
			}
		}
	}
	c.SetThreads(threads, threads)
	t := time.Now()
	if ev.m.encode {
		err = c.Encode(ev.batch)
	} else {
		err = c.Decode(ev.batch)
	}
	d := time.Since(t)
	if err != nil {
		return d, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	ev.last, ev.dim = c, c.NEmbd()
	return d, nil
}

// Pooled copies out the pooled vector of sequence s.
func (ev *evaluator) Pooled(s int) ([]float32, error) {
	v, err := ev.last.EmbeddingsSeq(int32(s), make([]float32, ev.dim))
	return v, wrapDecode(err)
}

// Token copies out the vector of output row i.
func (ev *evaluator) Token(i int) ([]float32, error) {
	v, err := ev.last.EmbeddingsIth(int32(i), make([]float32, ev.dim))
	return v, wrapDecode(err)
}

func wrapDecode(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrDecode, err)
}
