package embed

import (
	"errors"
	"fmt"
	"log/slog"
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
	Prompts        map[string]string
	DefaultPrompt  string

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
		Prompts: c.Prompts, DefaultPrompt: c.DefaultPrompt,
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
