package embed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// Engine embeds texts with one model. It is safe for concurrent use.
type Engine struct {
	info Info

	mu     sync.Mutex // serializes use of the context and batch
	closed bool
	lib    *llama.Library
	model  *llama.Model
	vocab  *llama.Vocab
	lctx   *llama.Context
	batch  *llama.Batch
	encode bool // the model is encoder-only: evaluate with llama_encode
}

// Info describes the loaded model and how the engine runs it.
type Info struct {
	// Path is the model file.
	Path string
	// Architecture is general.architecture, such as "bert" or "qwen3".
	Architecture string
	// Dim is the length of the vectors the engine returns.
	Dim int
	// ContextSize is the most tokens one text may have.
	ContextSize int
	// TrainedContext is the context length the model was trained with.
	TrainedContext int
	// Pooling is how token vectors become one vector: "mean", "cls",
	// "last", or "none" (the last token's vector is returned).
	Pooling string
	// Library is the path of the native llama library in use.
	Library string
}

// Open loads the native library (once per process) and the GGUF model at
// modelPath, and returns an engine ready to embed.
//
// Errors match [ErrModelNotFound], [ErrModelLoad], [ErrLibrary] or
// [ErrInvalidOption]; the library errors also match the causes from
// packages platform, loader and llama (such as
// platform.ErrLibraryNotFound or llama.ErrVersion).
func Open(ctx context.Context, modelPath string, opts ...Option) (*Engine, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	fi, err := os.Stat(modelPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrModelNotFound, modelPath)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrModelLoad, modelPath)
	}

	lib, err := loadLibrary(o)
	if err != nil {
		return nil, err
	}
	if o.logger != nil {
		llama.SetLogger(o.logger)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	mp, err := llama.DefaultModelParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	model, err := llama.LoadModel(modelPath, mp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	e, err := newEngine(lib, model, modelPath, o)
	if err != nil {
		model.Close()
		return nil, err
	}
	return e, nil
}

func loadLibrary(o options) (*llama.Library, error) {
	found, err := platform.Find(platform.DefaultSearch(o.library, o.backend, runtime.GOOS, runtime.GOARCH))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	lib, err := llama.Load(found.Llama)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	return lib, nil
}

func newEngine(lib *llama.Library, model *llama.Model, path string, o options) (*Engine, error) {
	train := model.NCtxTrain()
	n := o.ctxSize
	if n == 0 {
		n = DefaultContextSize
	}
	if train > 0 && n > train {
		n = train
	}
	cp, err := llama.DefaultContextParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	cp.Embeddings = true
	// Every text must fit in one ubatch: non-causal models cannot split a
	// sequence across ubatches.
	cp.NCtx, cp.NBatch, cp.NUbatch = uint32(n), uint32(n), uint32(n)
	cp.NSeqMax = 1
	cp.NThreads, cp.NThreadsBatch = int32(o.threads), int32(o.threads)
	lctx, err := llama.NewContext(model, cp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	batch, err := llama.NewBatch(n)
	if err != nil {
		lctx.Close()
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	arch, _ := model.Meta("general.architecture")
	return &Engine{
		info: Info{
			Path:           path,
			Architecture:   arch,
			Dim:            lctx.NEmbd(),
			ContextSize:    lctx.NCtx(),
			TrainedContext: train,
			Pooling:        lctx.PoolingType().String(),
			Library:        lib.Path(),
		},
		lib:    lib,
		model:  model,
		vocab:  model.Vocab(),
		lctx:   lctx,
		batch:  batch,
		encode: model.HasEncoder() && !model.HasDecoder(),
	}, nil
}

// Info describes the model and settings of the engine.
func (e *Engine) Info() Info { return e.info }

// Dim returns the length of the vectors the engine returns.
func (e *Engine) Dim() int { return e.info.Dim }

// Close releases the model and the native memory. It waits for calls in
// progress, is idempotent, and makes later calls return [ErrClosed].
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.batch.Close()
	e.lctx.Close()
	return e.model.Close()
}

// Tokenize returns the tokens the engine evaluates for text, special
// tokens included.
func (e *Engine) Tokenize(text string) ([]int32, error) {
	if !utf8.ValidString(text) {
		return nil, ErrInvalidUTF8
	}
	toks, err := e.vocab.Tokenize(text, true, false)
	if errors.Is(err, llama.ErrClosed) {
		return nil, ErrClosed
	}
	return toks, err
}

// Embed returns one L2-normalized vector per text, in input order. If any
// text is rejected (see [InputError]), nothing is evaluated and the error
// names the first bad text. ctx is checked between texts.
func (e *Engine) Embed(ctx context.Context, texts ...string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, ErrNoInput
	}
	tokens := make([][]int32, len(texts))
	for i, text := range texts {
		toks, err := e.tokens(i, text)
		if err != nil {
			return nil, err
		}
		tokens[i] = toks
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	out := make([][]float32, len(texts))
	for i, toks := range tokens {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := e.evaluate(toks)
		if err != nil {
			return nil, &InputError{Index: i, Tokens: len(toks), Err: err}
		}
		out[i] = v
	}
	return out, nil
}

// tokens validates and tokenizes text i.
func (e *Engine) tokens(i int, text string) ([]int32, error) {
	switch {
	case !utf8.ValidString(text):
		return nil, &InputError{Index: i, Err: ErrInvalidUTF8}
	case strings.TrimSpace(text) == "":
		return nil, &InputError{Index: i, Err: ErrEmptyInput}
	}
	toks, err := e.Tokenize(text)
	if err != nil {
		return nil, &InputError{Index: i, Err: err}
	}
	if len(toks) > e.info.ContextSize {
		return nil, &InputError{Index: i, Tokens: len(toks), Limit: e.info.ContextSize, Err: ErrTooLong}
	}
	return toks, nil
}

// evaluate runs one sequence and returns its normalized vector. The caller
// holds e.mu.
func (e *Engine) evaluate(toks []int32) ([]float32, error) {
	e.lctx.ClearMemory()
	e.batch.Clear()
	// Every token is marked for output: llama.cpp requires it when
	// extracting embeddings (it would override the flags and warn).
	for p, tok := range toks {
		if err := e.batch.Add(tok, int32(p), 0, true); err != nil {
			return nil, err
		}
	}
	var err error
	if e.encode {
		err = e.lctx.Encode(e.batch)
	} else {
		err = e.lctx.Decode(e.batch)
	}
	if err != nil {
		return nil, err
	}
	var v []float32
	if e.lctx.PoolingType() != llama.PoolingNone {
		v, err = e.lctx.EmbeddingsSeq(0, nil)
	} else {
		v, err = e.lctx.EmbeddingsIth(-1, nil)
	}
	if err != nil {
		return nil, err
	}
	if !finite(v) {
		return nil, ErrNonFinite
	}
	normalizeL2(v)
	return v, nil
}
