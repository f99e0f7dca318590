package embed

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/embellama/embellama/platform"
)

// EngineConfig holds the settings of an [Engine] as a whole: the library,
// the logger, the vector cache, and the defaults of every model's
// MemoryLimit and OnBatch. [Config] embeds it.
type EngineConfig struct {
	// Library is the llama library file, or a directory holding it.
	// Default: searched as package platform describes ($EMBELLAMA_LIB_DIR,
	// the executable's directory, ./lib/<goos>-<goarch>-<backend>).
	Library string
	// Backend selects which installed library to search for. Default: the
	// first of CUDA (NVIDIA driver present), Metal (Apple silicon), Vulkan
	// (a GPU render node present) and CPU whose library is installed; CPU
	// when Library names one. A GPU library whose device is missing runs
	// on the CPU and logs why (see Engine.Fallback).
	Backend platform.Backend
	// Logger receives llama.cpp's log lines. Default: discarded.
	Logger *slog.Logger
	// CacheSize is the size in bytes of the LRU cache of vectors, shared by
	// all models. Default: 0, no cache.
	CacheSize int64
	// MemoryLimit is the MemoryLimit of models loaded without one.
	MemoryLimit int64
	// OnBatch is the OnBatch of models loaded without one.
	OnBatch func(BatchInfo)
}

func (c EngineConfig) validate() []error {
	var errs []error
	if c.CacheSize < 0 {
		errs = append(errs, &ConfigError{Field: "CacheSize", Value: c.CacheSize, Reason: "must not be negative"})
	}
	if c.MemoryLimit < 0 {
		errs = append(errs, &ConfigError{Field: "MemoryLimit", Value: c.MemoryLimit, Reason: "must not be negative"})
	}
	return errs
}

// ModelConfig holds the settings of one model, for [Engine.LoadModel].
// The zero value of each field means the default documented on it; the
// model's file decides some (see [ModelInfo] for what was chosen).
type ModelConfig struct {
	// ModelPath is the GGUF file.
	ModelPath string

	// ContextSize is the longest text, in tokens with special tokens, that
	// the model accepts. Default: the model's trained context, capped at
	// DefaultContextSize. It never shrinks as batches get wider. Models
	// with learned absolute positions (BERT) cannot exceed their trained
	// context: a larger value is a *ConfigError.
	ContextSize int
	// BatchSize is the token budget of one decode: texts are packed into a
	// batch until it is full. Default: max(ContextSize, DefaultBatchSize),
	// rounded up to a multiple of 64.
	// It must be at least ContextSize.
	BatchSize int
	// BatchTarget is how many tokens the engine packs into one decode
	// before starting another. All the sequences of a decode attend
	// through one mask, so attention grows with the square of the batch:
	// past a few hundred tokens, packing more costs more than it saves. A
	// text longer than the target gets a decode of its own (up to
	// BatchSize). Default: DefaultBatchTarget with one context, half of it
	// with more (they evaluate batches side by side); at most BatchSize.
	BatchTarget int
	// UBatchSize is llama.cpp's physical batch size for causal (decoder)
	// models, and the most tokens the engine gives one llama_decode call;
	// encoder models always use BatchSize, as they cannot split a
	// sequence. Default: the most tokens whose logits take 256 MiB
	// (llama.cpp keeps a vocabulary-sized row per token of a call, even
	// when embedding), a multiple of 64, at most BatchSize. It must be at
	// most BatchSize, set or planned, on every model: a larger value is a
	// *ConfigError at load.
	UBatchSize int
	// MaxSequences is the most texts in one decode. It must divide
	// UBatchSize (llama.cpp aborts otherwise when it prepares mean
	// pooling) and cannot exceed BatchSize. Default: the largest divisor
	// of UBatchSize up to BatchTarget (only one long text makes a batch
	// fuller than that) and 256 (llama.cpp's limit). llama.cpp keeps an
	// output row of vocabulary size per sequence in every context, so it
	// costs memory. With Deterministic on it leaves one sequence id of
	// the divisor for the layout's filler (31 of a 512-token batch), or is
	// 1 when set so or when the batch cannot be laid out.
	MaxSequences int
	// Threads is the number of CPU threads the model's decodes use, shared
	// by its contexts: a batch evaluated alone gets all of them (a single
	// text is answered as fast as the cores allow), batches evaluated side
	// by side split them. Default: the number of physical cores.
	Threads int
	// FlashAttention selects the attention kernel. Default: auto, which
	// turns it off on the CPU for models whose heads are not a multiple
	// of 16 values wide, where ggml's kernel is slow, and for rerankers
	// and classifiers with Deterministic off, whose packed logits stray
	// with the kernel's F16 keys and values, and otherwise lets llama.cpp
	// decide.
	FlashAttention FlashAttention
	// Deterministic makes a text's vector, and a query-document pair's
	// score, bit-identical whatever else is in the call or in concurrent
	// calls, whatever the call's size, Contexts and Threads, on a given
	// library and CPU variant: texts are laid out in the batch so that
	// ggml computes each the same way (see [Determinism]), or evaluated
	// alone with MaxSequences 1. Default (auto): on for encoder rerankers
	// and classifiers on the CPU, off for embedding models, whose short texts it
	// costs about 1.2 times the time (BENCHMARKS.md).
	// DeterminismOn needs MaxSequences 0 or 1.
	Deterministic Determinism
	// Contexts is the number of llama contexts, each with its own
	// goroutine, that evaluate a model's batches side by side. On the CPU,
	// two decodes with half the threads each outrun one with all of them
	// (ggml's threads wait for each other after every operation; see
	// RATIONALE.md). Each context costs its compute and output buffers.
	// Default: 2 on the CPU with at least 2 threads, otherwise 1.
	Contexts int
	// GPULayers is how many layers to offload to a GPU backend. Default
	// (0): all of them. Ignored with NoGPU or the CPU library.
	GPULayers int
	// NoGPU keeps every layer on the CPU even when a GPU backend is loaded.
	NoGPU bool
	// MainGPU is the GPU used when the model is not split. Default: 0.
	MainGPU int

	// Pooling overrides the model's pooling. Default: the model's own; a
	// model that declares none must be given one.
	Pooling Pooling
	// Normalize is how vectors are normalized. Default: L2.
	Normalize Normalization
	// Truncate is what happens to texts longer than ContextSize. Default:
	// they are refused with ErrTooLong.
	Truncate Truncation
	// Prompts sets named prompts (prefixes put in front of a text, such
	// as "query" and "document"), replacing the model's own of the same
	// name (built-in family table, GGUF); an empty text removes one.
	// Default: the model's own (see ModelInfo.Prompts).
	Prompts map[string]string
	// DefaultPrompt names the prompt applied when a call names none.
	// Default: none.
	DefaultPrompt string

	// MemoryLimit refuses to load a model whose estimated memory footprint
	// (weights, context buffers) exceeds it, in bytes. Default: the
	// engine's (EngineConfig.MemoryLimit), else no limit.
	MemoryLimit int64
	// MaxQueue bounds the texts waiting to be embedded; a call that would
	// exceed it fails at once with ErrOverloaded. Default: no bound.
	MaxQueue int
	// OnBatch, when set, is called by the goroutine that evaluated each
	// batch (keep it fast): for metrics such as batch fill. Default: the
	// engine's.
	OnBatch func(BatchInfo)
	// MapModel memory-maps the model file instead of reading it into
	// memory. Default: files up to MapThreshold are read, so that a file
	// replaced or truncated on disk while loaded can neither crash the
	// process (SIGBUS) nor change its vectors; larger files are mapped,
	// and must then be left alone while loaded.
	MapModel bool
}

// Validate checks every field on its own (the planner checks them again
// against the model's file when it is loaded) and returns the errors of
// all bad fields, each a [*ConfigError], joined.
func (c *ModelConfig) Validate() error { return errors.Join(c.validate()...) }

func (c *ModelConfig) validate() []error {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &ConfigError{Field: field, Value: v, Reason: reason})
	}
	for name := range c.Prompts {
		if !validPromptName(name) {
			bad("Prompts", name, "a prompt name is letters, digits, '-' and '_'")
		}
	}
	if c.DefaultPrompt != "" && !validPromptName(c.DefaultPrompt) {
		bad("DefaultPrompt", c.DefaultPrompt, "a prompt name is letters, digits, '-' and '_'")
	}
	rangeCheck := func(field string, v, lo, hi int) {
		if v != 0 && (v < lo || v > hi) {
			bad(field, v, fmt.Sprintf("want 0 (default) or %d to %d", lo, hi))
		}
	}
	rangeCheck("ContextSize", c.ContextSize, 8, maxTokens)
	rangeCheck("BatchSize", c.BatchSize, 8, maxTokens)
	rangeCheck("UBatchSize", c.UBatchSize, 8, maxTokens)
	rangeCheck("BatchTarget", c.BatchTarget, 1, maxTokens)
	rangeCheck("MaxSequences", c.MaxSequences, 1, DefaultMaxSequences)
	rangeCheck("Threads", c.Threads, 1, 1024)
	rangeCheck("Contexts", c.Contexts, 1, 64)
	rangeCheck("MainGPU", c.MainGPU, 0, 64)
	if c.GPULayers < 0 {
		bad("GPULayers", c.GPULayers, "want 0 (all) or a positive count")
	}
	if c.ContextSize != 0 && c.BatchSize != 0 && c.BatchSize < c.ContextSize {
		bad("BatchSize", c.BatchSize, fmt.Sprintf("must be at least ContextSize (%d)", c.ContextSize))
	}
	if c.MaxSequences != 0 && c.BatchSize != 0 && c.MaxSequences > c.BatchSize {
		bad("MaxSequences", c.MaxSequences, fmt.Sprintf("must be at most BatchSize (%d)", c.BatchSize))
	}
	if c.UBatchSize != 0 && c.BatchSize != 0 && c.UBatchSize > c.BatchSize {
		bad("UBatchSize", c.UBatchSize, fmt.Sprintf("must be at most BatchSize (%d)", c.BatchSize))
	}
	if !c.Pooling.valid() {
		bad("Pooling", c.Pooling, "unknown pooling")
	}
	if err := c.Normalize.check(); err != nil {
		bad("Normalize", c.Normalize, err.Error())
	}
	if !c.FlashAttention.valid() {
		bad("FlashAttention", c.FlashAttention, "unknown setting")
	}
	if !c.Deterministic.valid() {
		bad("Deterministic", c.Deterministic, "unknown setting")
	}
	if c.Deterministic == DeterminismOn && c.MaxSequences > 1 {
		bad("MaxSequences", c.MaxSequences, "must be 0 or 1 with Deterministic on: the layout sets it, 1 evaluates each text alone")
	}
	if !c.Truncate.valid() {
		bad("Truncate", c.Truncate, "unknown truncation")
	}
	if c.MemoryLimit < 0 {
		bad("MemoryLimit", c.MemoryLimit, "must not be negative")
	}
	if c.MaxQueue < 0 {
		bad("MaxQueue", c.MaxQueue, "must not be negative")
	}
	return errs
}

// maxTokens bounds the token counts of settings: 1M tokens.
const maxTokens = 1 << 20
