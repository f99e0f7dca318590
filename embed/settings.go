package embed

import (
	"errors"
	"strconv"
	"strings"
)

// Setting is one settable [Config] field: the one table of fields from
// which [Config.ApplyEnv] reads the environment, cmd/embellama registers
// its flags, and docs/configuration.md is checked (by a test).
type Setting struct {
	// Field is the Config field.
	Field string
	// Env is the environment variable [Config.ApplyEnv] reads.
	Env string
	// Flag is the flag of cmd/embellama's engine commands (without the
	// dash), or "" when the CLI has none.
	Flag string
	// Doc says what the value is, in one line (the flag's help).
	Doc string

	set func(c *Config, s string) error
}

// Set sets the field of c from its text form, as the environment and the
// flags give it. A value that does not parse is an error naming why.
func (s Setting) Set(c *Config, value string) error {
	if !strings.HasPrefix(s.Field, "Prompts.") { // a prompt's trailing space is part of it
		value = strings.TrimSpace(value)
	}
	return s.set(c, value)
}

func promptField(name string) func(*Config, string) error {
	return func(c *Config, s string) error { c.SetPrompt(name, s); return nil }
}

func intField(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("not an integer")
		}
		*p(c) = n
		return nil
	}
}

func int64Field(p func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		*p(c) = n
		return nil
	}
}

func stringField(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, s string) error { *p(c) = s; return nil }
}

type textField interface{ UnmarshalText([]byte) error }

func textOf(p func(*Config) textField) func(*Config, string) error {
	return func(c *Config, s string) error { return p(c).UnmarshalText([]byte(s)) }
}

// settings is the table, in the order of the Config fields.
var settings = []Setting{
	{"Library", "EMBELLAMA_LIB", "lib", "llama library file or directory", stringField(func(c *Config) *string { return &c.Library })},
	{"Backend", "EMBELLAMA_BACKEND", "backend", "cpu, cuda, metal or vulkan", textOf(func(c *Config) textField { return &c.Backend })},
	{"ModelPath", "EMBELLAMA_MODEL", "model", "GGUF model loaded at start", stringField(func(c *Config) *string { return &c.ModelPath })},
	{"ModelName", "EMBELLAMA_MODEL_NAME", "", "name of that model", stringField(func(c *Config) *string { return &c.ModelName })},
	{"ContextSize", "EMBELLAMA_CTX", "ctx", "longest text in tokens", intField(func(c *Config) *int { return &c.ContextSize })},
	{"BatchSize", "EMBELLAMA_BATCH", "batch", "token budget of one decode", intField(func(c *Config) *int { return &c.BatchSize })},
	{"UBatchSize", "EMBELLAMA_UBATCH", "", "physical batch for causal models", intField(func(c *Config) *int { return &c.UBatchSize })},
	{"BatchTarget", "EMBELLAMA_BATCH_TARGET", "batch-target", "tokens packed into one decode", intField(func(c *Config) *int { return &c.BatchTarget })},
	{"MaxSequences", "EMBELLAMA_MAX_SEQUENCES", "", "most texts in one decode", intField(func(c *Config) *int { return &c.MaxSequences })},
	{"Threads", "EMBELLAMA_THREADS", "threads", "CPU threads", intField(func(c *Config) *int { return &c.Threads })},
	{"FlashAttention", "EMBELLAMA_FLASH_ATTENTION", "flash-attn", "auto, on or off", textOf(func(c *Config) textField { return &c.FlashAttention })},
	{"Contexts", "EMBELLAMA_CONTEXTS", "contexts", "llama contexts per model", intField(func(c *Config) *int { return &c.Contexts })},
	{"GPULayers", "EMBELLAMA_GPU_LAYERS", "", "layers to offload (0: all)", intField(func(c *Config) *int { return &c.GPULayers })},
	{"NoGPU", "EMBELLAMA_NO_GPU", "", "true to keep everything on the CPU", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not a boolean")
		}
		c.NoGPU = b
		return nil
	}},
	{"MapModel", "EMBELLAMA_MAP_MODEL", "", "true to memory-map the model file instead of reading it into memory", func(c *Config, s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not a boolean")
		}
		c.MapModel = b
		return nil
	}},
	{"MainGPU", "EMBELLAMA_MAIN_GPU", "", "GPU index", intField(func(c *Config) *int { return &c.MainGPU })},
	{"Pooling", "EMBELLAMA_POOLING", "pooling", "mean, cls, last (or empty: the model's)", textOf(func(c *Config) textField { return &c.Pooling })},
	{"Normalize", "EMBELLAMA_NORMALIZE", "normalize", "l2, none, maxabs, or p<N> such as p1 or p3", textOf(func(c *Config) textField { return &c.Normalize })},
	{"Truncate", "EMBELLAMA_TRUNCATE", "truncate", "error, end or start", textOf(func(c *Config) textField { return &c.Truncate })},
	{Field: "Prompts.query", Env: "EMBELLAMA_PROMPT_QUERY", Doc: "prompt put in front of queries", set: promptField("query")},
	{Field: "Prompts.document", Env: "EMBELLAMA_PROMPT_DOCUMENT", Doc: "prompt put in front of documents", set: promptField("document")},
	{"DefaultPrompt", "EMBELLAMA_DEFAULT_PROMPT", "", "prompt name applied when a call names none", stringField(func(c *Config) *string { return &c.DefaultPrompt })},
	{"CacheSize", "EMBELLAMA_CACHE_SIZE", "", "vector cache size in bytes", int64Field(func(c *Config) *int64 { return &c.CacheSize })},
	{"MemoryLimit", "EMBELLAMA_MEMORY_LIMIT", "", "refuse models estimated above this many bytes", int64Field(func(c *Config) *int64 { return &c.MemoryLimit })},
	{"MaxQueue", "EMBELLAMA_MAX_QUEUE", "", "most texts waiting per model", intField(func(c *Config) *int { return &c.MaxQueue })},
}

// Settings returns the table of settable fields (a copy: changing it
// changes nothing).
func Settings() []Setting { return append([]Setting(nil), settings...) }

// EnvVar is an environment variable [Config.ApplyEnv] reads.
type EnvVar struct{ Name, Field, Doc string }

// EnvVars lists the environment variables [Config.ApplyEnv] reads, with
// the field each sets (a new slice on each call).
func EnvVars() []EnvVar {
	out := make([]EnvVar, 0, len(settings))
	for _, s := range settings {
		if s.Env != "" {
			out = append(out, EnvVar{Name: s.Env, Field: s.Field, Doc: s.Doc})
		}
	}
	return out
}

// ApplyEnv sets the fields named in [EnvVars] from the environment, as
// getenv (os.Getenv, usually) reports it. Unset or empty variables leave
// their field alone. A value that does not parse is a [*ConfigError].
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	for _, s := range settings {
		if s.Env == "" {
			continue
		}
		v := getenv(s.Env)
		if strings.TrimSpace(v) == "" {
			continue
		}
		if err := s.Set(c, v); err != nil {
			errs = append(errs, &ConfigError{Field: s.Field, Value: v, Reason: s.Env + ": " + err.Error()})
		}
	}
	return errors.Join(errs...)
}
