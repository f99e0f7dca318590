package embed

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config configures an [Engine] and the one model [New] loads: an
// [EngineConfig] and a [ModelConfig] (each field documented there), the
// shortcut for a single model. The zero value is valid: every zero field
// means "the default". Build one as a struct literal, apply
// [Config.ApplyEnv] if environment overrides are wanted, and check it with
// [Config.Validate] (New does).
//
// Both halves have a MemoryLimit and an OnBatch: the EngineConfig's are
// the defaults of every model's (so the environment and the CLI set
// those), the ModelConfig's the loaded model's own.
type Config struct {
	EngineConfig
	// ModelConfig is the model New loads at once when its ModelPath is
	// set, under ModelName. Default: none (load models with
	// Engine.LoadModel).
	ModelConfig
	// ModelName names the model loaded from ModelPath. Default: "default".
	ModelName string
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
	errs := c.EngineConfig.validate()
	if c.ModelName != "" && strings.TrimSpace(c.ModelName) != c.ModelName {
		errs = append(errs, &ConfigError{Field: "ModelName", Value: c.ModelName, Reason: "must not start or end with white space"})
	}
	return errors.Join(append(errs, c.ModelConfig.validate()...)...)
}
