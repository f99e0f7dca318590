package embed

import (
	"fmt"
	"sync"
	"time"

	"github.com/embellama/embellama/llama"
)

// worker owns llama contexts of one model (one per pooling kind, created
// on first use) and the batch it fills; only its goroutine touches them.
type worker struct {
	m     *model
	index int // among the model's workers
	batch *llama.Batch
	ctxs  map[contextKind]*llama.Context
	// threads is what the current batch may use (model.threads).
	threads int
	// wake is signaled, under m.mu, when work may be waiting.
	wake *sync.Cond
	// decode is the duration of the last llama_decode/llama_encode call.
	decode time.Duration
}

type contextKind struct {
	pooling  Pooling
	perToken bool
}

func newWorker(m *model, index int) (*worker, error) {
	b, err := llama.NewBatch(m.cfg.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	return &worker{m: m, index: index, batch: b, ctxs: map[contextKind]*llama.Context{}, threads: m.cfg.Threads,
		wake: sync.NewCond(&m.mu)}, nil
}

func (w *worker) close() {
	for _, c := range w.ctxs {
		c.Close()
	}
	w.batch.Close()
}

var llamaPooling = map[Pooling]llama.PoolingType{
	PoolingMean: llama.PoolingMean,
	PoolingCLS:  llama.PoolingCLS,
	PoolingLast: llama.PoolingLast,
	poolingRank: llama.PoolingRank,
}

var llamaFlashAttn = map[FlashAttention]llama.FlashAttnType{
	FlashAttentionAuto: llama.FlashAttnAuto,
	FlashAttentionOn:   llama.FlashAttnEnabled,
	FlashAttentionOff:  llama.FlashAttnDisabled,
}

// context returns the context for a pooling kind, creating it if needed.
func (w *worker) context(p Pooling, perToken bool) (*llama.Context, error) {
	k := contextKind{p, perToken}
	if c, ok := w.ctxs[k]; ok {
		return c, nil
	}
	cfg := w.m.cfg
	cp, err := llama.DefaultContextParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	cp.Embeddings = true
	cp.PoolingType = llamaPooling[p]
	if perToken {
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
	cp.FlashAttnType = llamaFlashAttn[w.m.info.FlashAttention]
	c, err := llama.NewContext(w.m.lmodel, cp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	w.ctxs[k] = c
	return c, nil
}

// run evaluates seqs (all of one pooling kind) as one batch and delivers
// each result to its job. When the batch fails as a whole, each sequence
// is retried alone, so one bad text cannot fail the others.
func (w *worker) run(seqs []item) {
	if len(seqs) == 0 {
		return
	}
	first := seqs[0].job
	start := time.Now()
	tokens := w.m.count(seqs) // before any result is delivered, so Stats never lags a call
	c, err := w.context(first.pooling, first.perToken)
	w.decode = 0
	if err == nil {
		err = w.eval(c, seqs)
	}
	w.m.observe(BatchInfo{Sequences: len(seqs), Tokens: tokens, Context: w.index, Threads: w.threads,
		Duration: time.Since(start), Decode: w.decode, Err: err})
	if err == nil {
		return
	}
	if len(seqs) == 1 {
		seqs[0].job.finish(seqs[0].idx, nil, nil, err)
		return
	}
	for i := range seqs {
		w.run(seqs[i : i+1])
	}
}

// eval decodes seqs and extracts their vectors. It returns an error only
// when nothing could be delivered.
func (w *worker) eval(c *llama.Context, seqs []item) error {
	c.ClearMemory()
	w.batch.Clear()
	for s, it := range seqs {
		for p, tok := range it.tokens {
			if err := w.batch.Add(tok, int32(p), int32(s), true); err != nil {
				return fmt.Errorf("%w: %w", ErrDecode, err)
			}
		}
	}
	c.SetThreads(w.threads, w.threads)
	var err error
	t := time.Now()
	if w.m.encode {
		err = c.Encode(w.batch)
	} else {
		err = c.Decode(w.batch)
	}
	w.decode = time.Since(t)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	dim := c.NEmbd()
	offset := 0
	for s, it := range seqs {
		if it.job.perToken {
			toks := make([][]float32, len(it.tokens))
			var err error
			for i := range toks {
				if toks[i], err = c.EmbeddingsIth(int32(offset+i), make([]float32, dim)); err != nil {
					break
				}
			}
			it.job.finish(it.idx, nil, toks, wrapDecode(err))
		} else if it.job.pooling == poolingRank {
			v, err := c.ScoresSeq(int32(s), w.m.ret.outputs)
			it.job.finish(it.idx, v, nil, wrapDecode(err))
		} else {
			v, err := c.EmbeddingsSeq(int32(s), make([]float32, dim))
			it.job.finish(it.idx, v, nil, wrapDecode(err))
		}
		offset += len(it.tokens)
	}
	return nil
}

func wrapDecode(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrDecode, err)
}
