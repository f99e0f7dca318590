package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// Engine embeds texts with the models it has loaded. It is safe for
// concurrent use: calls to the same model share decode batches.
type Engine struct {
	cfg      EngineConfig
	lib      *llama.Library
	cache    *cache
	backend  platform.Backend
	fallback string

	mu     sync.RWMutex
	closed bool
	models map[string]*loaded

	observers observers
}

// New loads the native library (once per process) and, when
// cfg.ModelPath is set, that model under cfg.ModelName. Errors match
// [ErrInvalidConfig], [ErrLibrary] (with the cause from packages platform,
// loader or llama) or the errors of [Engine.LoadModel].
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e, err := NewEngine(cfg.EngineConfig)
	if err != nil {
		return nil, err
	}
	if cfg.ModelPath != "" {
		name := cfg.ModelName
		if name == "" {
			name = DefaultModelName
		}
		if err := e.LoadModel(ctx, name, cfg.ModelConfig); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// NewEngine loads the native library (once per process) and returns an
// engine with no model loaded ([Engine.LoadModel] loads them). Errors
// match [ErrInvalidConfig] or [ErrLibrary] (with the cause from packages
// platform, loader or llama).
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if err := errors.Join(cfg.validate()...); err != nil {
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
	e := &Engine{cfg: cfg, lib: lib, cache: newCache(cfg.CacheSize), models: map[string]*loaded{}, backend: cfg.Backend}
	if cfg.Backend.GPU() && !lib.HasGPU() {
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
	return e, nil
}

// findLibrary locates the library for cfg.Backend; with no backend set,
// it takes the first of platform.Preferred whose library is installed (an
// explicit Library is taken as a CPU library unless Backend says more).
func findLibrary(cfg *EngineConfig) (platform.Found, error) {
	search := func(b platform.Backend) (platform.Found, error) {
		return platform.Find(platform.DefaultSearch(cfg.Library, b, runtime.GOOS, runtime.GOARCH))
	}
	if !cfg.Backend.IsZero() {
		return search(cfg.Backend)
	}
	if cfg.Library == "" {
		s := platform.DefaultSearch("", platform.Backend{}, runtime.GOOS, runtime.GOARCH)
		if found, b, err := platform.FindFirst(s, platform.Preferred(platform.ProbeHardware(runtime.GOOS, runtime.GOARCH))); err == nil {
			cfg.Backend = b
			return found, nil
		}
	}
	cfg.Backend = platform.CPU
	return search(platform.CPU)
}

// Open is New with only a model path: the model is loaded as "default"
// and every other setting is its default.
func Open(ctx context.Context, modelPath string) (*Engine, error) {
	return New(ctx, Config{ModelConfig: ModelConfig{ModelPath: modelPath}})
}

// LoadModel loads the GGUF file cfg.ModelPath under name. The file is
// validated by a pure-Go GGUF reader, and cfg planned against what it
// says (a setting the model cannot serve is a [*ConfigError]), before
// llama.cpp reads it. A [Config] gives its model's settings with
// [Config.ModelConfig].
//
// Errors match [ErrModelNotFound], [ErrModelLoad] (with a gguf format
// error for a malformed file, or [ErrNotRegularFile]), [ErrNotEmbeddingModel], [ErrMemoryLimit],
// [ErrModelExists], [ErrInvalidConfig] or [ErrClosed].
func (e *Engine) LoadModel(ctx context.Context, name string, cfg ModelConfig) error {
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
	cfg.OnBatch = e.observers.wrap(cfg.OnBatch)
	m, err := loadModel(ctx, e.lib, name, cfg)
	if err != nil {
		return err
	}
	m.cache = e.cache
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

// lookup returns the named model; "" names the only loaded model, or the
// one named DefaultModelName. Each call looks its model up once, here
// (through its [Model] handle), and runs on what it found.
func (e *Engine) lookup(name string) (*loaded, error) {
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
