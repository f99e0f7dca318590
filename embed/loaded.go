package embed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/embellama/embellama/embed/internal/layout"
	"github.com/embellama/embellama/embed/internal/sched"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/pair"
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
	// Deterministic reports that each text is evaluated alone, so that its
	// vector (or a pair's score) is bit-identical whatever shares the call
	// (ModelConfig.Deterministic).
	Deterministic bool
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
	// Kind tells embedding models, rerankers and sequence classifiers
	// apart (see [ModelKind]); Labels are a classifier's (or a labelled
	// reranker's) class labels, in output order.
	Kind   ModelKind
	Labels []string
}

// loaded is a loaded model: its llama.cpp handles, the settings the
// planner chose, and the scheduler that runs its batches. [Model] is the
// public handle that finds one by name.
type loaded struct {
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
	layout  layout.Rule
	cache   *cache // the engine's vector cache (nil: none)
	// specials is the number of special tokens the vocabulary adds
	// around every text (BOS, CLS, SEP, EOS...), counted once at load.
	specials int
	// template is the rerank template cut at the special tokens its own
	// text spells (found once at load), or nil.
	template *pair.Template
}

var modelIDs atomic.Uint64

// loadModel validates the file with the Go GGUF reader, plans its
// settings, loads it in llama.cpp, and starts its scheduler.
func loadModel(ctx context.Context, lib *llama.Library, name string, cfg ModelConfig) (*loaded, error) {
	f, err := readHeader(cfg.ModelPath)
	if err != nil {
		return nil, err
	}
	cpu := cfg.NoGPU || !lib.HasGPU()
	p, err := planModel(f, cfg, host{cpu: cpu, cores: platform.PhysicalCores(), cpus: runtime.NumCPU()})
	if err != nil {
		return nil, err
	}
	if p.ret.bad != nil {
		return nil, p.ret.bad
	}
	for _, c := range p.clamped {
		slog.Warn("embed: setting lowered", "model", name, "reason", c)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &loaded{id: modelIDs.Add(1), name: name, cfg: p.cfg, info: p.info, pooling: p.pooling, ret: p.ret, layout: p.layout}
	l.info.Name = name
	mp, err := llama.DefaultModelParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	switch {
	case l.cfg.NoGPU:
		mp.NGPULayers = 0
	case l.cfg.GPULayers > 0:
		mp.NGPULayers = int32(l.cfg.GPULayers)
	}
	mp.MainGPU = int32(l.cfg.MainGPU)
	if !cfg.MapModel && l.info.FileSize <= MapThreshold {
		mp.LoadMode = llama.LoadModeNone
	}
	lm, err := llama.LoadModel(cfg.ModelPath, mp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	l.lmodel, l.vocab = lm, lm.Vocab()
	l.ret.readClasses(lm.ClassOutputs, lm.ClassLabel)
	l.ret.describe(&l.info)
	l.encode = lm.HasEncoder() && !lm.HasDecoder()
	if d := lm.NEmbdOut(); d > 0 {
		l.info.Dim = d
	}
	l.info.AddBOS, l.info.AddEOS, l.info.AddSEP = l.vocab.AddBOS(), l.vocab.AddEOS(), l.vocab.AddSEP()
	if l.specials, err = l.countSpecials(); err != nil {
		lm.Close()
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	if err := l.findTemplateSpecials(); err != nil {
		lm.Close()
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	if err := l.start(); err != nil {
		lm.Close()
		return nil, err
	}
	return l, nil
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
func (l *loaded) start() error {
	evs := make([]sched.Evaluator, 0, l.cfg.Contexts)
	fail := func(err error) error {
		for _, ev := range evs {
			ev.Close()
		}
		return err
	}
	for i := range l.cfg.Contexts {
		ev, err := newEvaluator(l)
		if err != nil {
			return fail(err)
		}
		evs = append(evs, ev)
		if i == 0 {
			if _, err := ev.context(kindOf(l.pooling, false)); err != nil {
				return fail(err)
			}
		}
	}
	s, err := sched.New(sched.Config{BatchTarget: l.cfg.BatchTarget, MaxSequences: l.cfg.MaxSequences,
		Layout: l.layout, Threads: l.cfg.Threads, MaxQueue: l.cfg.MaxQueue, OnBatch: l.observe}, evs)
	if err != nil {
		return fail(fmt.Errorf("%w: %w", ErrInvalidConfig, err))
	}
	l.sched = s
	return nil
}

// observe reports an evaluated batch to ModelConfig.OnBatch.
func (l *loaded) observe(b sched.Batch) {
	if l.cfg.OnBatch != nil {
		l.cfg.OnBatch(BatchInfo{Model: l.name, Sequences: b.Sequences, Tokens: b.Tokens, Budget: l.cfg.BatchSize,
			Context: b.Worker, Threads: b.Threads, Duration: b.Duration, Decode: b.Decode, Err: b.Err})
	}
}

// stats reports the model's queue and batch counters.
func (l *loaded) stats() Stats {
	q, b, s, t := l.sched.Stats()
	return Stats{Queued: q, Batches: b, Sequences: s, Tokens: t}
}

// close stops the workers after their current batch, fails every queued
// call with ErrModelUnloaded, and frees the model.
func (l *loaded) close() {
	l.sched.Close()
	l.lmodel.Close()
}
