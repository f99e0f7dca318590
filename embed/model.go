package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/embellama/embellama/embed/internal/sched"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// ModelInfo describes a loaded model: what its GGUF file says, and how the
// engine runs it.
type ModelInfo struct {
	Name string
	Path string
	// Architecture is general.architecture, such as "bert" or "qwen3".
	Architecture string
	// Dim is the length of the vectors the model returns.
	Dim int
	// ContextSize is the longest text accepted, in tokens.
	ContextSize int
	// TrainedContext is the context length the model was trained with.
	TrainedContext int
	// Pooling is the pooling used when a call does not choose one.
	Pooling Pooling
	// DeclaredPooling is the pooling the GGUF file declares: "mean", "cls",
	// "last", "rank", or "none" when it declares none.
	DeclaredPooling string
	// IsEmbeddingModel reports whether the file declares a sentence
	// pooling, which is how llama.cpp recognizes embedding models.
	IsEmbeddingModel bool
	// Causal reports whether attention is causal (decoder-style models).
	Causal bool
	// FileType is the quantization, such as "F16" or "Q8_0".
	FileType string
	// Parameters is the number of weights.
	Parameters uint64
	// FileSize is the size of the GGUF file in bytes.
	FileSize int64
	// VocabSize is the number of tokens; Tokenizer the tokenizer model.
	VocabSize int
	Tokenizer string
	// AddBOS, AddEOS and AddSEP report the special tokens tokenization
	// adds: BOS (or CLS) in front, EOS or SEP at the end.
	AddBOS, AddEOS, AddSEP bool
	// BatchSize, BatchTarget, MaxSequences, Threads and Contexts are the
	// settings in use.
	BatchSize, BatchTarget, MaxSequences, Threads, Contexts int
	// UBatchSize is the most tokens evaluated in one llama.cpp call:
	// BatchSize for encoders, smaller for decoders with a large
	// vocabulary (see ContextMemory).
	UBatchSize int
	// FlashAttention is the attention kernel the engine asked llama.cpp
	// for: on, off, or auto when llama.cpp decides (Config.FlashAttention).
	FlashAttention FlashAttention
	// HeadSize is the width of one attention head's values.
	HeadSize int
	// EstimatedMemory is the footprint checked against ModelConfig.MemoryLimit:
	// the weights plus ContextMemory per context.
	EstimatedMemory int64
	// ContextMemory bounds the memory of one llama context of the model,
	// in bytes, once it has evaluated its longest batch: KV cache, compute
	// and output buffers (llama.cpp keeps them at that size). The engine
	// holds one context per worker (Contexts) and per kind of call made
	// (pooled, per token); a long input leaves the process at most this
	// much larger per context, never a vocabulary-sized row per token.
	ContextMemory int64
	// Prompts are the named prompts the model applies (see [WithPrompt]),
	// sorted by name, and DefaultPrompt the one applied when a call names
	// none (ModelConfig.DefaultPrompt).
	Prompts       []PromptInfo
	DefaultPrompt string
	// Reranker reports a model with rank pooling, for [Engine.Rerank];
	// Scoring says how its scores are made (see [RerankItem]).
	Reranker bool
	Scoring  string
}

// model is a loaded model: its llama.cpp handles, the settings the
// planner chose, and the scheduler that runs its batches.
type model struct {
	id      uint64
	name    string
	cfg     ModelConfig // every default resolved
	info    ModelInfo
	pooling Pooling
	encode  bool
	lmodel  *llama.Model
	vocab   *llama.Vocab
	sched   *sched.Scheduler
	ret     retrieval // reranking and prompts (retrieval.go)

	// specials is the number of special tokens around every text; see
	// specialCount.
	specialsOnce sync.Once
	specials     int
}

var modelIDs atomic.Uint64

// loadModel validates the file with the Go GGUF reader, plans its
// settings, loads it in llama.cpp, and starts its scheduler.
func loadModel(ctx context.Context, lib *llama.Library, name string, cfg ModelConfig) (*model, error) {
	f, err := readHeader(cfg.ModelPath)
	if err != nil {
		return nil, err
	}
	cpu := cfg.NoGPU || !lib.HasGPU()
	p, err := planModel(f, cfg, host{cpu: cpu, cores: platform.PhysicalCores(), cpus: runtime.NumCPU()})
	if err != nil {
		return nil, err
	}
	for _, c := range p.clamped {
		slog.Warn("embed: setting lowered", "model", name, "reason", c)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &model{id: modelIDs.Add(1), name: name, cfg: p.cfg, info: p.info, pooling: p.pooling, ret: p.ret}
	m.info.Name = name
	mp, err := llama.DefaultModelParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	switch {
	case m.cfg.NoGPU:
		mp.NGPULayers = 0
	case m.cfg.GPULayers > 0:
		mp.NGPULayers = int32(m.cfg.GPULayers)
	}
	mp.MainGPU = int32(m.cfg.MainGPU)
	if !cfg.MapModel && m.info.FileSize <= MapThreshold {
		mp.LoadMode = llama.LoadModeNone
	}
	lm, err := llama.LoadModel(cfg.ModelPath, mp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	m.lmodel, m.vocab = lm, lm.Vocab()
	m.encode = lm.HasEncoder() && !lm.HasDecoder()
	if d := lm.NEmbdOut(); d > 0 {
		m.info.Dim = d
	}
	m.info.AddBOS, m.info.AddEOS, m.info.AddSEP = m.vocab.AddBOS(), m.vocab.AddEOS(), m.vocab.AddSEP()
	if err := m.start(); err != nil {
		lm.Close()
		return nil, err
	}
	return m, nil
}

// readHeader checks the file and reads its GGUF header with the Go
// reader, which checks the whole header before llama.cpp's C parser,
// which aborts the process on some malformed files, sees it.
func readHeader(path string) (*gguf.File, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrModelNotFound, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrModelLoad, path)
	case !fi.Mode().IsRegular():
		// A FIFO would block the open forever; a device or socket is no
		// model file either.
		return nil, fmt.Errorf("%w: %w: %s (%v)", ErrModelLoad, ErrNotRegularFile, path, fi.Mode().Type())
	}
	// The Go reader checks the whole header before llama.cpp's C parser,
	// which aborts the process on some malformed files, sees it.
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrModelLoad, path, err)
	}
	return f, nil
}

// start creates an evaluator per context and the scheduler over them.
// The first llama context is created now, so that a configuration
// llama.cpp cannot serve fails the load rather than the first call.
func (m *model) start() error {
	evs := make([]sched.Evaluator, 0, m.cfg.Contexts)
	fail := func(err error) error {
		for _, ev := range evs {
			ev.Close()
		}
		return err
	}
	for i := range m.cfg.Contexts {
		ev, err := newEvaluator(m)
		if err != nil {
			return fail(err)
		}
		evs = append(evs, ev)
		if i == 0 {
			if _, err := ev.context(kindOf(m.pooling, false)); err != nil {
				return fail(err)
			}
		}
	}
	s, err := sched.New(sched.Config{BatchTarget: m.cfg.BatchTarget, MaxSequences: m.cfg.MaxSequences,
		Threads: m.cfg.Threads, MaxQueue: m.cfg.MaxQueue, OnBatch: m.observe}, evs)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrInvalidConfig, err))
	}
	m.sched = s
	return nil
}

// observe reports an evaluated batch to ModelConfig.OnBatch.
func (m *model) observe(b sched.Batch) {
	if m.cfg.OnBatch != nil {
		m.cfg.OnBatch(BatchInfo{Model: m.name, Sequences: b.Sequences, Tokens: b.Tokens, Budget: m.cfg.BatchSize,
			Context: b.Worker, Threads: b.Threads, Duration: b.Duration, Decode: b.Decode, Err: b.Err})
	}
}

// schedErr maps the scheduler's errors to the package's sentinels.
func schedErr(err error) error {
	switch {
	case errors.Is(err, sched.ErrClosed):
		return ErrModelUnloaded
	case errors.Is(err, sched.ErrFull):
		return fmt.Errorf("%w: %w", ErrOverloaded, err)
	}
	return err
}

// stats reports the model's queue and batch counters.
func (m *model) stats() Stats {
	q, b, s, t := m.sched.Stats()
	return Stats{Queued: q, Batches: b, Sequences: s, Tokens: t}
}

// close stops the workers after their current batch, fails every queued
// call with ErrModelUnloaded, and frees the model.
func (m *model) close() {
	m.sched.Close()
	m.lmodel.Close()
}

// parallel runs f(i) for i in [0, n) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+63)/64)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
