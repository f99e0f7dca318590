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

// Config configures an [Engine] and the one model [New] loads: the
// fields of [EngineConfig] and of [ModelConfig] (documented there) in one
// struct, the shortcut for a single model. The zero value is valid: every
// zero field means "the default". Build one as a struct literal, apply
// [Config.ApplyEnv] if environment overrides are wanted, and check it with
// [Config.Validate] (New does).
type Config struct {
	// Engine-wide settings, as in EngineConfig.
	Library string
	Backend platform.Backend
	Logger  *slog.Logger

	// ModelPath is a GGUF file that New loads at once, under ModelName.
	// Default: none (load models with Engine.LoadModel).
	ModelPath string
	// ModelName names the model loaded from ModelPath. Default: "default".
	ModelName string

	// Settings of the model loaded from ModelPath, as in ModelConfig.
	ContextSize    int
	BatchSize      int
	BatchTarget    int
	UBatchSize     int
	MaxSequences   int
	Threads        int
	FlashAttention FlashAttention
	Contexts       int
	GPULayers      int
	NoGPU          bool
	MainGPU        int
	Pooling        Pooling
	Normalize      Normalization
	Truncate       Truncation

	// Engine-wide settings, as in EngineConfig (MemoryLimit and OnBatch
	// are also the defaults of every model's own).
	CacheSize   int64
	MemoryLimit int64
	// MaxQueue is the model's, as in ModelConfig.
	MaxQueue int
	OnBatch  func(BatchInfo)
	// MapModel is the model's, as in ModelConfig.
	MapModel bool
}

// EngineConfig returns the engine-wide settings of c.
func (c *Config) EngineConfig() EngineConfig {
	return EngineConfig{Library: c.Library, Backend: c.Backend, Logger: c.Logger,
		CacheSize: c.CacheSize, MemoryLimit: c.MemoryLimit, OnBatch: c.OnBatch}
}

// ModelConfig returns the settings of the model c names (ModelPath).
// MemoryLimit and OnBatch are left zero: a model loaded with them takes
// the engine's.
func (c *Config) ModelConfig() ModelConfig {
	return ModelConfig{
		ModelPath: c.ModelPath, ContextSize: c.ContextSize, BatchSize: c.BatchSize, BatchTarget: c.BatchTarget,
		UBatchSize: c.UBatchSize, MaxSequences: c.MaxSequences, Threads: c.Threads, FlashAttention: c.FlashAttention,
		Contexts: c.Contexts, GPULayers: c.GPULayers, NoGPU: c.NoGPU, MainGPU: c.MainGPU, Pooling: c.Pooling,
		Normalize: c.Normalize, Truncate: c.Truncate, MaxQueue: c.MaxQueue, MapModel: c.MapModel,
	}
}

// MapThreshold is the model file size above which models are
// memory-mapped even when ModelConfig.MapModel is false.
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
	errs := c.EngineConfig().validate()
	if c.ModelName != "" && strings.TrimSpace(c.ModelName) != c.ModelName {
		errs = append(errs, &ConfigError{Field: "ModelName", Value: c.ModelName, Reason: "must not start or end with white space"})
	}
	mc := c.ModelConfig()
	return errors.Join(append(errs, mc.validate()...)...)
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
