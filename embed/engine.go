package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// Engine embeds texts with the models it has loaded. It is safe for
// concurrent use: calls to the same model share decode batches.
type Engine struct {
	cfg      Config
	lib      *llama.Library
	cache    *cache
	backend  platform.Backend
	fallback string

	mu     sync.RWMutex
	closed bool
	models map[string]*model
}

// New loads the native library (once per process) and, when
// cfg.ModelPath is set, that model under cfg.ModelName. Errors match
// [ErrInvalidConfig], [ErrLibrary] (with the cause from packages platform,
// loader or llama) or the errors of [Engine.LoadModel].
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	found, err := findLibrary(&cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	if cfg.Logger != nil {
		llama.SetLogger(cfg.Logger) // before Load, which logs the backends it loads
	}
	lib, err := llama.LoadFiles(found.Files)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	e := &Engine{cfg: cfg, lib: lib, cache: newCache(cfg.CacheSize), models: map[string]*model{}, backend: cfg.Backend}
	if cfg.Backend != platform.CPU && !lib.HasGPU() {
		// The GPU packages carry the CPU backends too: the engine works,
		// on the CPU. Say why the GPU backend is missing.
		e.backend = platform.CPU
		if errs := backendErrors(lib.LoadErrors(), cfg.Backend); len(errs) > 0 {
			e.fallback = fmt.Sprintf("the %s backend failed to load: %s", cfg.Backend, strings.Join(errs, "; "))
		} else if err := lib.ProbeBackend(cfg.Backend.String()); err != nil {
			e.fallback = fmt.Sprintf("the %s backend cannot be loaded: %v", cfg.Backend, err)
		} else {
			e.fallback = fmt.Sprintf("the %s backend loaded but found no device (no GPU, or no driver for it)", cfg.Backend)
		}
		logger := cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Warn("embed: GPU backend unavailable, running on the CPU", "backend", cfg.Backend.String(), "reason", e.fallback)
	}
	if cfg.ModelPath != "" {
		name := cfg.ModelName
		if name == "" {
			name = DefaultModelName
		}
		if err := e.LoadModel(ctx, name, cfg); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// findLibrary locates the library for cfg.Backend; with no backend set,
// it takes the first of platform.Preferred whose library is installed (an
// explicit Library is taken as a CPU library unless Backend says more).
func findLibrary(cfg *Config) (platform.Found, error) {
	search := func(b platform.Backend) (platform.Found, error) {
		return platform.Find(platform.DefaultSearch(cfg.Library, b, runtime.GOOS, runtime.GOARCH))
	}
	if !cfg.Backend.IsZero() {
		return search(cfg.Backend)
	}
	if cfg.Library == "" {
		for _, b := range platform.Preferred(platform.ProbeHardware(runtime.GOOS, runtime.GOARCH)) {
			if found, err := search(b); err == nil {
				cfg.Backend = b
				return found, nil
			}
		}
	}
	cfg.Backend = platform.CPU
	return search(platform.CPU)
}

// Open is New with only a model path: the model is loaded as "default"
// and every other setting is its default.
func Open(ctx context.Context, modelPath string) (*Engine, error) {
	return New(ctx, Config{ModelPath: modelPath})
}

// LoadModel loads the GGUF file cfg.ModelPath under name, with the
// model settings of cfg (the engine-wide fields of cfg are ignored). The
// file is validated by a pure-Go GGUF reader before llama.cpp reads it.
//
// Errors match [ErrModelNotFound], [ErrModelLoad] (with a gguf format
// error for a malformed file), [ErrNotEmbeddingModel], [ErrMemoryLimit],
// [ErrModelExists], [ErrInvalidConfig] or [ErrClosed].
func (e *Engine) LoadModel(ctx context.Context, name string, cfg Config) error {
	if name == "" {
		return fmt.Errorf("%w: empty model name", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.MemoryLimit == 0 {
		cfg.MemoryLimit = e.cfg.MemoryLimit
	}
	e.mu.RLock()
	closed, exists := e.closed, e.models[name] != nil
	e.mu.RUnlock()
	switch {
	case closed:
		return ErrClosed
	case exists:
		return fmt.Errorf("%w: %q", ErrModelExists, name)
	}
	if cfg.OnBatch == nil {
		cfg.OnBatch = e.cfg.OnBatch
	}
	m, err := loadModel(ctx, e.lib, name, cfg)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.models[name] != nil {
		go m.close()
		if e.closed {
			return ErrClosed
		}
		return fmt.Errorf("%w: %q", ErrModelExists, name)
	}
	e.models[name] = m
	return nil
}

// UnloadModel unloads the named model. Calls waiting for it fail with
// [ErrModelUnloaded]; the batch being evaluated finishes first.
func (e *Engine) UnloadModel(name string) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	m, ok := e.models[name]
	if !ok {
		e.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownModel, name)
	}
	delete(e.models, name)
	e.mu.Unlock()
	m.close()
	e.cache.dropModel(m.id)
	return nil
}

// Models returns the names of the loaded models, sorted.
func (e *Engine) Models() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, 0, len(e.models))
	for n := range e.models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ModelInfo describes the named model ("" for the only one).
func (e *Engine) ModelInfo(name string) (ModelInfo, error) {
	m, err := e.model(name)
	if err != nil {
		return ModelInfo{}, err
	}
	return m.info, nil
}

// Library describes the native library in use.
func (e *Engine) Library() *llama.Library { return e.lib }

// Backend returns the backend in use: the one configured, or CPU when its
// GPU backend could not be used (see [Engine.Fallback]).
func (e *Engine) Backend() platform.Backend { return e.backend }

// Fallback says why the engine runs on the CPU although Config.Backend
// named a GPU backend, or "" when it does not.
func (e *Engine) Fallback() string { return e.fallback }

// backendErrors returns the load errors that concern backend b.
func backendErrors(lines []string, b platform.Backend) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), b.String()) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// Stats reports a model's queue and the batches it has evaluated.
type Stats struct {
	// Queued is the number of texts waiting for a batch.
	Queued int
	// Batches, Sequences and Tokens count the decodes so far, the texts
	// and the tokens they held.
	Batches, Sequences, Tokens uint64
}

// Stats reports the named model's queue and batch counters.
func (e *Engine) Stats(name string) (Stats, error) {
	m, err := e.model(name)
	if err != nil {
		return Stats{}, err
	}
	m.mu.Lock()
	q := m.queued
	m.mu.Unlock()
	return Stats{Queued: q, Batches: m.batches.Load(), Sequences: m.sequences.Load(), Tokens: m.tokens.Load()}, nil
}

// CacheStats reports the vector cache's hits, misses and size.
func (e *Engine) CacheStats() CacheStats { return e.cache.stats() }

// Close unloads every model and releases the engine. It is idempotent;
// afterwards every call returns [ErrClosed]. The library stays loaded for
// the life of the process.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	models := e.models
	e.models = nil
	e.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range models {
		wg.Go(m.close)
	}
	wg.Wait()
	return nil
}

// model returns the named model; "" names the only loaded model, or the
// one named DefaultModelName.
func (e *Engine) model(name string) (*model, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	if name == "" {
		if m, ok := e.models[DefaultModelName]; ok {
			return m, nil
		}
		if len(e.models) == 1 {
			for _, m := range e.models {
				return m, nil
			}
		}
		return nil, fmt.Errorf("%w: no model named and %d loaded", ErrUnknownModel, len(e.models))
	}
	m, ok := e.models[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownModel, name)
	}
	return m, nil
}

// Tokenize returns the tokens the model evaluates for text, special
// tokens included, without truncation.
func (e *Engine) Tokenize(name, text string) ([]int32, error) {
	m, err := e.model(name)
	if err != nil {
		return nil, err
	}
	toks, _, err := m.tokenize(text, TruncateNone)
	if errors.Is(err, ErrTooLong) {
		err = nil
	}
	return toks, err
}

// CountTokens returns len(Tokenize(name, text)).
func (e *Engine) CountTokens(name, text string) (int, error) {
	toks, err := e.Tokenize(name, text)
	return len(toks), err
}

// Result is the outcome of [Engine.EmbedBatch], input by input.
type Result struct {
	// Vectors holds one vector per input, in input order; nil where the
	// input failed.
	Vectors [][]float32
	// Errors holds nil or an [*InputError] per input.
	Errors []error
	// Tokens is the number of tokens evaluated per input.
	Tokens []int
	// Truncated reports the inputs that were cut to fit the context.
	Truncated []bool
	// CacheHits counts the inputs served from the cache.
	CacheHits int
}

// Err returns the inputs' errors joined, or nil when all succeeded.
func (r *Result) Err() error { return errors.Join(r.Errors...) }

// Embed returns the vector of one text.
func (e *Engine) Embed(ctx context.Context, name, text string, opts ...Option) ([]float32, error) {
	r, err := e.EmbedBatch(ctx, name, []string{text}, opts...)
	if err != nil {
		return nil, err
	}
	if r.Errors[0] != nil {
		return nil, r.Errors[0]
	}
	return r.Vectors[0], nil
}

// EmbedBatch embeds texts, packing them into as few decodes as the batch
// budget allows, and returns one result per input in input order. A bad
// input (empty, invalid UTF-8, too long) fails alone, in Result.Errors;
// the returned error is for the call as a whole: an unknown model, a
// closed engine, an invalid option, a full queue, or ctx's error when it
// is canceled (the call returns at once; the engine keeps working).
func (e *Engine) EmbedBatch(ctx context.Context, name string, texts []string, opts ...Option) (*Result, error) {
	return e.embed(ctx, name, texts, false, opts)
}

// EmbedTokens returns one vector per token of text (pooling none), for
// late-interaction retrieval or custom pooling. Normalization and
// dimensions options apply to each token's vector.
func (e *Engine) EmbedTokens(ctx context.Context, name, text string, opts ...Option) ([][]float32, error) {
	r, err := e.embed(ctx, name, []string{text}, true, opts)
	if err != nil {
		return nil, err
	}
	if r.Errors[0] != nil {
		return nil, r.Errors[0]
	}
	dim := 0
	if len(r.Vectors[0]) > 0 {
		dim = len(r.Vectors[0]) / r.Tokens[0]
	}
	out := make([][]float32, r.Tokens[0])
	for i := range out {
		out[i] = r.Vectors[0][i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out, nil
}

// Warmup evaluates a short text so that llama.cpp allocates its buffers
// and the first real call is not slower.
func (e *Engine) Warmup(ctx context.Context, name string) error {
	_, err := e.Embed(ctx, name, "warmup")
	return err
}

// EmbedBatchTokens embeds inputs given as token ids, exactly as given: no
// special tokens are added. Ids outside the vocabulary fail their input
// with [ErrInvalidToken]. Otherwise it behaves as [Engine.EmbedBatch]
// (vectors of token inputs are not cached).
func (e *Engine) EmbedBatchTokens(ctx context.Context, name string, inputs [][]int32, opts ...Option) (*Result, error) {
	texts := make([]string, len(inputs))
	return e.run(ctx, name, texts, inputs, false, opts)
}

func (e *Engine) embed(ctx context.Context, name string, texts []string, perToken bool, opts []Option) (*Result, error) {
	return e.run(ctx, name, texts, nil, perToken, opts)
}

// run embeds texts, or the token inputs ids when it is not nil.
func (e *Engine) run(ctx context.Context, name string, texts []string, ids [][]int32, perToken bool, opts []Option) (*Result, error) {
	if len(texts) == 0 {
		return nil, ErrNoInput
	}
	m, err := e.model(name)
	if err != nil {
		return nil, err
	}
	o, err := m.callOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(texts)
	r := &Result{Vectors: make([][]float32, n), Errors: make([]error, n), Tokens: make([]int, n), Truncated: make([]bool, n)}
	toks := make([][]int32, n)
	parallel(n, func(i int) {
		var t []int32
		var cut bool
		var err error
		if ids != nil {
			t, cut, err = m.checkTokens(ids[i], o.truncate)
		} else {
			t, cut, err = m.tokenize(texts[i], o.truncate)
		}
		r.Tokens[i], r.Truncated[i] = len(t), cut
		if err != nil {
			ie := &InputError{Index: i, Tokens: len(t), Err: err}
			if errors.Is(err, ErrTooLong) {
				ie.Limit = m.cfg.ContextSize
			}
			r.Errors[i] = ie
			return
		}
		toks[i] = t
	})

	key := cacheOptions(o, perToken)
	j := &job{
		ctx: ctx, pooling: o.pooling, perToken: perToken,
		out: make([][]float32, n), errs: make([]error, n),
		progress: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if perToken {
		j.tokOut = make([][][]float32, n)
	}
	// A text repeated in the call is evaluated once.
	var first map[string]int
	var copies [][2]int // {index, index of its first occurrence}
	if !perToken && ids == nil {
		first = make(map[string]int, n)
	}
	for i, t := range toks {
		if t == nil {
			continue
		}
		if first != nil {
			if j, ok := first[texts[i]]; ok {
				copies = append(copies, [2]int{i, j})
				continue
			}
			first[texts[i]] = i
		}
		if !perToken && ids == nil {
			if v, ok := e.cache.get(cacheKey{m.id, key, texts[i]}); ok {
				r.Vectors[i] = v
				r.CacheHits++
				continue
			}
		}
		j.items = append(j.items, item{job: j, idx: i, tokens: t})
	}
	already := n - len(j.items) // invalid, cached and repeated texts are done at once
	if len(j.items) > 0 {
		slices.SortStableFunc(j.items, func(a, b item) int { return len(b.tokens) - len(a.tokens) })
		j.hi = len(j.items)
		j.pending.Store(int64(len(j.items)))
		if err := m.submit(j); err != nil {
			return nil, err
		}
		if err := wait(ctx, m, j, already, n, o.progress); err != nil {
			return nil, err
		}
	} else if o.progress != nil {
		o.progress(n, n)
	}

	parallel(len(j.items), func(k int) {
		it := j.items[k]
		i := it.idx
		if err := j.errs[i]; err != nil {
			r.Errors[i] = &InputError{Index: i, Tokens: len(it.tokens), Err: err}
			return
		}
		var v []float32
		if perToken {
			dims := m.info.Dim
			if o.dimensions > 0 {
				dims = o.dimensions
			}
			v = make([]float32, 0, len(j.tokOut[i])*dims)
			for _, tv := range j.tokOut[i] {
				tv, err := finish(tv, o)
				if err != nil {
					r.Errors[i] = &InputError{Index: i, Tokens: len(it.tokens), Err: err}
					return
				}
				v = append(v, tv...)
			}
		} else {
			var err error
			if v, err = finish(j.out[i], o); err != nil {
				r.Errors[i] = &InputError{Index: i, Tokens: len(it.tokens), Err: err}
				return
			}
			if ids == nil {
				e.cache.put(cacheKey{m.id, key, texts[i]}, v)
			}
		}
		r.Vectors[i] = v
	})
	for _, c := range copies {
		if r.Errors[c[1]] != nil {
			r.Errors[c[0]] = &InputError{Index: c[0], Tokens: r.Tokens[c[0]], Err: errors.Unwrap(r.Errors[c[1]])}
		} else if v := r.Vectors[c[1]]; v != nil {
			r.Vectors[c[0]] = append([]float32(nil), v...)
		}
	}
	return r, nil
}

// wait blocks until j is done, reporting progress on the way, or until
// ctx is canceled, in which case j's untaken items are withdrawn.
func wait(ctx context.Context, m *model, j *job, already, total int, progress func(done, total int)) error {
	last := -1
	report := func() {
		if progress == nil {
			return
		}
		if d := already + int(j.finished.Load()); d > last {
			last = d
			progress(d, total)
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
			m.withdraw(j)
			return ctx.Err()
		}
	}
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
	return v, nil
}

func cacheOptions(o callOptions, perToken bool) string {
	return fmt.Sprintf("%v/%v/%d/%v/%v", o.pooling, o.normalize, o.dimensions, o.truncate, perToken)
}
