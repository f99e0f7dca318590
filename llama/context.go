package llama

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/embellama/embellama/loader"
)

var (
	// struct llama_context_params llama_context_default_params(void);
	llamaContextDefaultParams func() ContextParams
	// struct llama_context * llama_init_from_model(struct llama_model * model, struct llama_context_params params);
	llamaInitFromModel func(model uintptr, params ContextParams) uintptr
	// void llama_free(struct llama_context * ctx);
	llamaFree func(ctx uintptr)
	// uint32_t llama_n_ctx(const struct llama_context * ctx);
	llamaNCtx func(ctx uintptr) uint32
	// uint32_t llama_n_batch(const struct llama_context * ctx);
	llamaNBatch func(ctx uintptr) uint32
	// uint32_t llama_n_ubatch(const struct llama_context * ctx);
	llamaNUbatch func(ctx uintptr) uint32
	// uint32_t llama_n_seq_max(const struct llama_context * ctx);
	llamaNSeqMax func(ctx uintptr) uint32
	// enum llama_pooling_type llama_pooling_type(const struct llama_context * ctx);
	llamaPoolingType func(ctx uintptr) int32
	// llama_memory_t llama_get_memory(const struct llama_context * ctx);
	llamaGetMemory func(ctx uintptr) uintptr
	// void llama_memory_clear(llama_memory_t mem, bool data);
	llamaMemoryClear func(mem uintptr, data bool)
	// int32_t llama_decode(struct llama_context * ctx, struct llama_batch batch);
	llamaDecode func(ctx uintptr, batch cBatch) int32
	// int32_t llama_encode(struct llama_context * ctx, struct llama_batch batch);
	llamaEncode func(ctx uintptr, batch cBatch) int32
	// float * llama_get_embeddings_ith(struct llama_context * ctx, int32_t i);
	llamaGetEmbeddingsIth func(ctx uintptr, i int32) *float32
	// float * llama_get_embeddings_seq(struct llama_context * ctx, llama_seq_id seq_id);
	llamaGetEmbeddingsSeq func(ctx uintptr, seq int32) *float32
	// void llama_set_n_threads(struct llama_context * ctx, int32_t n_threads, int32_t n_threads_batch);
	llamaSetNThreads func(ctx uintptr, nThreads, nThreadsBatch int32)
	// int32_t llama_n_threads(struct llama_context * ctx);
	llamaNThreads func(ctx uintptr) int32
)

var contextFuncs = []loader.Binding{
	{Fn: &llamaContextDefaultParams, Name: "llama_context_default_params"},
	{Fn: &llamaInitFromModel, Name: "llama_init_from_model"},
	{Fn: &llamaFree, Name: "llama_free"},
	{Fn: &llamaNCtx, Name: "llama_n_ctx"},
	{Fn: &llamaNBatch, Name: "llama_n_batch"},
	{Fn: &llamaNUbatch, Name: "llama_n_ubatch"},
	{Fn: &llamaNSeqMax, Name: "llama_n_seq_max"},
	{Fn: &llamaPoolingType, Name: "llama_pooling_type"},
	{Fn: &llamaGetMemory, Name: "llama_get_memory"},
	{Fn: &llamaMemoryClear, Name: "llama_memory_clear"},
	{Fn: &llamaDecode, Name: "llama_decode"},
	{Fn: &llamaEncode, Name: "llama_encode"},
	{Fn: &llamaGetEmbeddingsIth, Name: "llama_get_embeddings_ith"},
	{Fn: &llamaGetEmbeddingsSeq, Name: "llama_get_embeddings_seq"},
	{Fn: &llamaSetNThreads, Name: "llama_set_n_threads"},
	{Fn: &llamaNThreads, Name: "llama_n_threads"},
}

// DefaultContextParams returns llama_context_default_params().
func DefaultContextParams() (ContextParams, error) {
	if Loaded() == nil {
		return ContextParams{}, ErrNotLoaded
	}
	return llamaContextDefaultParams(), nil
}

// Context is a llama_context: the working state for evaluating batches
// with a model. It is not safe for concurrent use; the engine gives each
// context to one goroutine. Close it before its model.
type Context struct {
	mu    sync.Mutex
	p     uintptr
	model *Model
	nEmbd int
}

// NewContext creates a context for m.
func NewContext(m *Model, params ContextParams) (*Context, error) {
	mp, done, err := m.handle()
	if err != nil {
		return nil, err
	}
	defer done()
	p := llamaInitFromModel(mp, params)
	if p == 0 {
		return nil, fmt.Errorf("%w (n_ctx %d, n_batch %d, n_ubatch %d, n_seq_max %d)",
			ErrContextInit, params.NCtx, params.NBatch, params.NUbatch, params.NSeqMax)
	}
	return &Context{p: p, model: m, nEmbd: int(llamaModelNEmbdOut(mp))}, nil
}

// Close frees the context. It is idempotent.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != 0 {
		llamaFree(c.p)
		c.p = 0
	}
	return nil
}

func ctxValue[T any](c *Context, f func(uintptr) T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == 0 {
		var zero T
		return zero
	}
	return f(c.p)
}

// NCtx returns the context size actually in use.
func (c *Context) NCtx() int { return int(ctxValue(c, llamaNCtx)) }

// NBatch returns the logical batch size actually in use.
func (c *Context) NBatch() int { return int(ctxValue(c, llamaNBatch)) }

// NUbatch returns the physical batch size actually in use.
func (c *Context) NUbatch() int { return int(ctxValue(c, llamaNUbatch)) }

// NSeqMax returns the maximum number of sequences actually in use.
func (c *Context) NSeqMax() int { return int(ctxValue(c, llamaNSeqMax)) }

// NThreads returns the number of threads used for generation.
func (c *Context) NThreads() int { return int(ctxValue(c, llamaNThreads)) }

// PoolingType returns the pooling the context applies.
func (c *Context) PoolingType() PoolingType { return PoolingType(ctxValue(c, llamaPoolingType)) }

// NEmbd returns the size of one embedding.
func (c *Context) NEmbd() int { return c.nEmbd }

// SetThreads sets the number of threads for generation and for batches.
func (c *Context) SetThreads(n, nBatch int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != 0 {
		llamaSetNThreads(c.p, int32(n), int32(nBatch))
	}
}

// ClearMemory clears the context's memory (the KV cache), data included,
// so no sequence of one batch can see another's.
func (c *Context) ClearMemory() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != 0 {
		llamaMemoryClear(llamaGetMemory(c.p), true)
	}
}

// Decode evaluates b with llama_decode.
func (c *Context) Decode(b *Batch) error { return c.eval("llama_decode", llamaDecode, b) }

// Encode evaluates b with llama_encode, for models with an encoder.
func (c *Context) Encode(b *Batch) error { return c.eval("llama_encode", llamaEncode, b) }

func (c *Context) eval(op string, f func(uintptr, cBatch) int32, b *Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == 0 {
		return ErrClosed
	}
	if b.Len() == 0 {
		return fmt.Errorf("%s: %w: empty batch", op, ErrInvalidBatch)
	}
	return decodeError(op, f(c.p, b.c))
}

// EmbeddingsSeq copies the pooled embedding of sequence seq into dst
// (grown as needed) and returns it. It needs a pooling type other than
// none.
func (c *Context) EmbeddingsSeq(seq int32, dst []float32) ([]float32, error) {
	return c.embeddings(func(p uintptr) *float32 { return llamaGetEmbeddingsSeq(p, seq) }, dst,
		func() error { return fmt.Errorf("%w for sequence %d", ErrNoEmbeddings, seq) })
}

// EmbeddingsIth copies the embedding of the i-th token of the last batch
// into dst (grown as needed) and returns it; negative i counts from the
// end. The token must have been added with output set.
func (c *Context) EmbeddingsIth(i int32, dst []float32) ([]float32, error) {
	return c.embeddings(func(p uintptr) *float32 { return llamaGetEmbeddingsIth(p, i) }, dst,
		func() error { return fmt.Errorf("%w for token %d", ErrNoEmbeddings, i) })
}

func (c *Context) embeddings(get func(uintptr) *float32, dst []float32, missing func() error) ([]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == 0 {
		return nil, ErrClosed
	}
	src := get(c.p)
	if src == nil {
		return nil, missing()
	}
	if cap(dst) < c.nEmbd {
		dst = make([]float32, c.nEmbd)
	}
	dst = dst[:c.nEmbd]
	copy(dst, unsafe.Slice(src, c.nEmbd))
	return dst, nil
}
