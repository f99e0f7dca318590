package embed

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/embellama/embellama/platform"
)

// Config configures an [Engine] and the models it loads. The zero value is
// valid: every zero field means "the default" documented on it. Build one
// as a struct literal, apply [Config.ApplyEnv] if environment overrides
// are wanted, and check it with [Config.Validate] (New and LoadModel do).
type Config struct {
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

	// ModelPath is a GGUF file that New loads at once, under ModelName.
	// Default: none (load models with Engine.LoadModel).
	ModelPath string
	// ModelName names the model loaded from ModelPath. Default: "default".
	ModelName string

	// ContextSize is the longest text, in tokens with special tokens, that
	// the model accepts. Default: the model's trained context, capped at
	// DefaultContextSize. It never shrinks as batches get wider.
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
	// models; encoder models always use BatchSize, as they cannot split a
	// sequence. Default: BatchSize.
	UBatchSize int
	// MaxSequences is the most texts in one decode. It must divide
	// UBatchSize (llama.cpp aborts otherwise when it prepares mean
	// pooling) and cannot exceed BatchSize. Default: the largest divisor
	// of UBatchSize up to BatchTarget (only one long text makes a batch
	// fuller than that) and 256 (llama.cpp's limit). llama.cpp keeps an
	// output row of vocabulary size per sequence in every context, so it
	// costs memory.
	MaxSequences int
	// Threads is the number of CPU threads the model's decodes use, shared
	// by its contexts: a batch evaluated alone gets all of them (a single
	// text is answered as fast as the cores allow), batches evaluated side
	// by side split them. Default: the number of physical cores.
	Threads int
	// FlashAttention selects the attention kernel. Default: auto, which
	// turns it off on the CPU for models whose heads are not a multiple
	// of 16 values wide, where ggml's kernel is slow, and otherwise lets
	// llama.cpp decide.
	FlashAttention FlashAttention
	// Contexts is the number of llama contexts, each with its own
	// goroutine, that evaluate a model's batches side by side. On the CPU,
	// two decodes with half the threads each outrun one with all of them
	// (ggml's threads wait for each other after every operation): 1.2x the
	// texts per second on 2 cores. Each context costs its compute and
	// output buffers. Default: 2 on the CPU with at least 2 threads,
	// otherwise 1.
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

	// CacheSize is the size in bytes of the LRU cache of vectors, shared by
	// all models. Default: 0, no cache.
	CacheSize int64
	// MemoryLimit refuses to load a model whose estimated memory footprint
	// (weights, context buffers) exceeds it, in bytes. Default: no limit.
	MemoryLimit int64
	// MaxQueue bounds the texts waiting to be embedded per model; a call
	// that would exceed it fails at once with ErrOverloaded. Default: no
	// bound.
	MaxQueue int
	// OnBatch, when set, is called by the goroutine that evaluated each
	// batch (keep it fast): for metrics such as batch fill.
	OnBatch func(BatchInfo)
	// MapModel memory-maps the model file instead of reading it into
	// memory. Default: files up to MapThreshold are read, so that a file
	// replaced or truncated on disk while loaded can neither crash the
	// process (SIGBUS) nor change its vectors; larger files are mapped,
	// and must then be left alone while loaded.
	MapModel bool
}

// MapThreshold is the model file size above which models are
// memory-mapped even when Config.MapModel is false.
const MapThreshold = 2 << 30

// BatchInfo describes one evaluated batch, for Config.OnBatch.
type BatchInfo struct {
	Model string
	// Sequences and Tokens are what the batch held; Budget is its token
	// budget (BatchSize).
	Sequences, Tokens, Budget int
	// Context is which of the model's Contexts evaluated the batch (from
	// 0), and Threads how many CPU threads it had.
	Context, Threads int
	// Duration is the whole batch: filling llama.cpp's batch, decoding,
	// reading the vectors out. Decode is the llama_decode (or
	// llama_encode) call alone.
	Duration, Decode time.Duration
	// Err is the error of the batch as a whole, if it failed.
	Err error
}

// Defaults for zero Config fields.
const (
	DefaultContextSize  = 4096
	DefaultBatchSize    = 512
	DefaultBatchTarget  = 256
	DefaultMaxSequences = 256
	DefaultModelName    = "default"
)

// ConfigError reports an invalid Config field. It matches [ErrInvalidConfig].
type ConfigError struct {
	Field  string
	Value  any
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("embed: invalid config: %s = %v: %s", e.Field, e.Value, e.Reason)
}

// Is reports whether target is [ErrInvalidConfig].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// Validate checks every field and returns the errors of all bad fields,
// each a [*ConfigError], joined.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, &ConfigError{Field: field, Value: v, Reason: reason})
	}
	rangeCheck := func(field string, v, lo, hi int) {
		if v != 0 && (v < lo || v > hi) {
			bad(field, v, fmt.Sprintf("want 0 (default) or %d to %d", lo, hi))
		}
	}
	rangeCheck("ContextSize", c.ContextSize, 8, 1<<20)
	rangeCheck("BatchSize", c.BatchSize, 8, 1<<20)
	rangeCheck("UBatchSize", c.UBatchSize, 8, 1<<20)
	rangeCheck("BatchTarget", c.BatchTarget, 1, 1<<20)
	rangeCheck("MaxSequences", c.MaxSequences, 1, 256)
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
	if !c.Truncate.valid() {
		bad("Truncate", c.Truncate, "unknown truncation")
	}
	if c.CacheSize < 0 {
		bad("CacheSize", c.CacheSize, "must not be negative")
	}
	if c.MemoryLimit < 0 {
		bad("MemoryLimit", c.MemoryLimit, "must not be negative")
	}
	if c.MaxQueue < 0 {
		bad("MaxQueue", c.MaxQueue, "must not be negative")
	}
	if c.ModelName != "" && strings.TrimSpace(c.ModelName) != c.ModelName {
		bad("ModelName", c.ModelName, "must not start or end with white space")
	}
	return errors.Join(errs...)
}

// EnvVars lists the environment variables [Config.ApplyEnv] reads, with
// the field each sets.
var EnvVars = []struct{ Name, Field, Doc string }{
	{"EMBELLAMA_LIB", "Library", "llama library file or directory"},
	{"EMBELLAMA_BACKEND", "Backend", "cpu, cuda, metal or vulkan"},
	{"EMBELLAMA_MODEL", "ModelPath", "GGUF model loaded at start"},
	{"EMBELLAMA_MODEL_NAME", "ModelName", "name of that model"},
	{"EMBELLAMA_CTX", "ContextSize", "longest text in tokens"},
	{"EMBELLAMA_BATCH", "BatchSize", "token budget of one decode"},
	{"EMBELLAMA_UBATCH", "UBatchSize", "physical batch for causal models"},
	{"EMBELLAMA_BATCH_TARGET", "BatchTarget", "tokens packed into one decode"},
	{"EMBELLAMA_MAX_SEQUENCES", "MaxSequences", "most texts in one decode"},
	{"EMBELLAMA_THREADS", "Threads", "CPU threads"},
	{"EMBELLAMA_FLASH_ATTENTION", "FlashAttention", "auto, on or off"},
	{"EMBELLAMA_CONTEXTS", "Contexts", "llama contexts per model"},
	{"EMBELLAMA_GPU_LAYERS", "GPULayers", "layers to offload (0: all)"},
	{"EMBELLAMA_NO_GPU", "NoGPU", "true to keep everything on the CPU"},
	{"EMBELLAMA_MAIN_GPU", "MainGPU", "GPU index"},
	{"EMBELLAMA_POOLING", "Pooling", "mean, cls, last (or empty: the model's)"},
	{"EMBELLAMA_NORMALIZE", "Normalize", "l2, none, maxabs, or p<N> such as p1 or p3"},
	{"EMBELLAMA_TRUNCATE", "Truncate", "error, end or start"},
	{"EMBELLAMA_CACHE_SIZE", "CacheSize", "vector cache size in bytes"},
	{"EMBELLAMA_MEMORY_LIMIT", "MemoryLimit", "refuse models estimated above this many bytes"},
	{"EMBELLAMA_MAX_QUEUE", "MaxQueue", "most texts waiting per model"},
}

// ApplyEnv sets the fields named in [EnvVars] from the environment, as
// getenv (os.Getenv, usually) reports it. Unset or empty variables leave
// their field alone. A value that does not parse is a [*ConfigError].
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	for _, v := range EnvVars {
		s := strings.TrimSpace(getenv(v.Name))
		if s == "" {
			continue
		}
		if err := c.set(v.Field, s); err != nil {
			errs = append(errs, &ConfigError{Field: v.Field, Value: s, Reason: v.Name + ": " + err.Error()})
		}
	}
	return errors.Join(errs...)
}

// set sets the named field from its text form.
func (c *Config) set(field, s string) error {
	atoi := func(dst *int) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("not an integer")
		}
		*dst = n
		return nil
	}
	atoi64 := func(dst *int64) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		*dst = n
		return nil
	}
	switch field {
	case "Library":
		c.Library = s
	case "Backend":
		return c.Backend.UnmarshalText([]byte(s))
	case "ModelPath":
		c.ModelPath = s
	case "ModelName":
		c.ModelName = s
	case "ContextSize":
		return atoi(&c.ContextSize)
	case "BatchSize":
		return atoi(&c.BatchSize)
	case "UBatchSize":
		return atoi(&c.UBatchSize)
	case "BatchTarget":
		return atoi(&c.BatchTarget)
	case "MaxSequences":
		return atoi(&c.MaxSequences)
	case "Threads":
		return atoi(&c.Threads)
	case "FlashAttention":
		return c.FlashAttention.UnmarshalText([]byte(s))
	case "Contexts":
		return atoi(&c.Contexts)
	case "GPULayers":
		return atoi(&c.GPULayers)
	case "NoGPU":
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not a boolean")
		}
		c.NoGPU = b
	case "MainGPU":
		return atoi(&c.MainGPU)
	case "Pooling":
		return c.Pooling.UnmarshalText([]byte(s))
	case "Normalize":
		return c.Normalize.UnmarshalText([]byte(s))
	case "Truncate":
		return c.Truncate.UnmarshalText([]byte(s))
	case "CacheSize":
		return atoi64(&c.CacheSize)
	case "MemoryLimit":
		return atoi64(&c.MemoryLimit)
	case "MaxQueue":
		return atoi(&c.MaxQueue)
	default:
		return fmt.Errorf("unknown field %s", field)
	}
	return nil
}
