package llama

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/embellama/embellama/loader"
)

var (
	// struct llama_batch llama_batch_init(int32_t n_tokens, int32_t embd, int32_t n_seq_max);
	llamaBatchInit func(nTokens, embd, nSeqMax int32) cBatch
	// void llama_batch_free(struct llama_batch batch);
	llamaBatchFree func(batch cBatch)
)

var batchFuncs = []loader.Binding{
	{Fn: &llamaBatchInit, Name: "llama_batch_init"},
	{Fn: &llamaBatchFree, Name: "llama_batch_free"},
}

// Batch is a llama_batch of tokens allocated once in C memory and reused:
// [Batch.Clear] empties it without freeing. A Batch is not safe for
// concurrent use.
type Batch struct {
	c        cBatch
	capacity int
	token    []int32
	pos      []int32
	nSeqID   []int32
	seqID    []*int32
	logits   []int8
	free     sync.Once
}

// NewBatch allocates a batch that holds up to capacity tokens, each in one
// sequence.
func NewBatch(capacity int) (*Batch, error) {
	if Loaded() == nil {
		return nil, ErrNotLoaded
	}
	if capacity <= 0 || capacity > 1<<24 {
		return nil, fmt.Errorf("llama: batch capacity %d out of range", capacity)
	}
	c := llamaBatchInit(int32(capacity), 0, 1)
	if c.token == nil {
		return nil, fmt.Errorf("llama: llama_batch_init(%d) failed", capacity)
	}
	return &Batch{
		c:        c,
		capacity: capacity,
		token:    unsafe.Slice(c.token, capacity),
		pos:      unsafe.Slice(c.pos, capacity),
		nSeqID:   unsafe.Slice(c.nSeqID, capacity),
		seqID:    unsafe.Slice(c.seqID, capacity),
		logits:   unsafe.Slice(c.logits, capacity),
	}, nil
}

// Len returns the number of tokens in the batch.
func (b *Batch) Len() int { return int(b.c.nTokens) }

// Clear empties the batch.
func (b *Batch) Clear() { b.c.nTokens = 0 }

// Add appends a token at position pos of sequence seq; output asks for its
// embedding (or, with pooling, marks the sequence for output).
func (b *Batch) Add(tok Token, pos int32, seq int32, output bool) error {
	i := int(b.c.nTokens)
	if i >= b.capacity {
		return fmt.Errorf("%w: capacity %d", ErrBatchFull, b.capacity)
	}
	b.token[i] = tok
	b.pos[i] = pos
	b.nSeqID[i] = 1
	*b.seqID[i] = seq
	b.logits[i] = 0
	if output {
		b.logits[i] = 1
	}
	b.c.nTokens++
	return nil
}

// Close frees the batch's C memory. It is idempotent.
func (b *Batch) Close() error {
	b.free.Do(func() {
		llamaBatchFree(b.c)
		b.c = cBatch{}
		b.token, b.pos, b.nSeqID, b.seqID, b.logits = nil, nil, nil, nil, nil
		b.capacity = 0
	})
	return nil
}
