package embed

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/embellama/embellama/internal/prompts"
	"github.com/embellama/embellama/platform"
)

// Setting is one setting of [Config]: the one table from which
// [Config.ApplyEnv] reads the environment, cmd/embellama registers its
// flags and writes their help, and docs/configuration.md's table is
// generated (by a test that fails when the two differ).
type Setting struct {
	// Field is the Config field, or "Prompts.<name>" for one prompt.
	Field string
	// Env is the environment variable [Config.ApplyEnv] reads, or ""
	// when the setting has none.
	Env string
	// Flag is the flag of cmd/embellama's engine commands (without the
	// dash), or "" when the CLI has none.
	Flag string
	// Doc says what the value is, in one line (the flag's help). A word
	// in backquotes names the flag's argument.
	Doc string
	// Default says what the zero value means.
	Default string
	// Rules says which values are accepted, and what else to know.
	Rules string

	set func(c *Config, s string) error
}

// errCodeOnly is what [Setting.Set] returns for a setting made in code
// only (a logger, a callback).
var errCodeOnly = errors.New("set in code only, not from text")

// Set sets the field of c from its text form, as the environment and the
// flags give it. A value that does not parse is an error naming why.
func (s Setting) Set(c *Config, value string) error {
	if s.set == nil {
		return errCodeOnly
	}
	if !strings.HasPrefix(s.Field, "Prompts") { // a prompt's trailing space is part of it
		value = strings.TrimSpace(value)
	}
	return s.set(c, value)
}

// Settable reports whether [Setting.Set] can set the field from text.
func (s Setting) Settable() bool { return s.set != nil }

func promptField(name string) func(*Config, string) error {
	return func(c *Config, s string) error { c.SetPrompt(name, s); return nil }
}

// promptOverride sets one prompt from "name=text".
func promptOverride(c *Config, s string) error {
	name, text, err := prompts.ParseOverride(s)
	if err != nil {
		return errors.New("not name=text")
	}
	c.SetPrompt(name, text)
	return nil
}

// field sets the field p points at to what parse makes of the text;
// what names the kind of text it wants, for the error.
func field[T any](parse func(string) (T, error), what string, p func(*Config) *T) func(*Config, string) error {
	return func(c *Config, s string) error {
		v, err := parse(s)
		if err != nil {
			return errors.New("not " + what)
		}
		*p(c) = v
		return nil
	}
}

func intField(p func(*Config) *int) func(*Config, string) error {
	return field(strconv.Atoi, "an integer", p)
}

func int64Field(p func(*Config) *int64) func(*Config, string) error {
	return field(func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }, "an integer", p)
}

func boolField(p func(*Config) *bool) func(*Config, string) error {
	return field(strconv.ParseBool, "a boolean", p)
}

func stringField(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, s string) error { *p(c) = s; return nil }
}

type textField interface{ UnmarshalText([]byte) error }

func textOf(p func(*Config) textField) func(*Config, string) error {
	return func(c *Config, s string) error { return p(c).UnmarshalText([]byte(s)) }
}

// tokenRange is the rule of the token-count settings.
var tokenRange = fmt.Sprintf("8 to %d", maxTokens)

// settings is the table, in the order of the Config fields.
var settings = []Setting{
	// Library has no variable of its own: the search reads $EMBELLAMA_LIB_DIR
	// (then its older name $EMBELLAMA_LIB) when Library is "".
	{Field: "Library", Flag: "lib", Doc: "llama library `file` or directory",
		Default: "searched: " + platform.DescribeSearch(),
		Rules:   "a library file, or a directory holding one",
		set:     stringField(func(c *Config) *string { return &c.Library })},
	{Field: "Backend", Env: "EMBELLAMA_BACKEND", Flag: "backend", Doc: "which installed library to use: cpu, native (built for this CPU by `embellama lib build`), cuda, metal or vulkan",
		Default: "automatic: the first installed of CUDA (NVIDIA driver present), Metal (Apple silicon), Vulkan (a GPU render node), native and CPU; a GPU library whose device is missing runs on the CPU, with a warning",
		Rules:   "`cpu`, `native`, `cuda`, `metal`, `vulkan`",
		set:     textOf(func(c *Config) textField { return &c.Backend })},
	{Field: "Logger", Doc: "receives llama.cpp's log lines",
		Default: "discarded (CLI: errors only; -v all)", Rules: "any `*slog.Logger`"},
	{Field: "CacheSize", Env: "EMBELLAMA_CACHE_SIZE", Doc: "size of the LRU cache of vectors in `bytes`, shared by all models",
		Default: "0 (no cache)", Rules: "not negative",
		set: int64Field(func(c *Config) *int64 { return &c.CacheSize })},
	{Field: "MemoryLimit", Env: "EMBELLAMA_MEMORY_LIMIT", Doc: "refuse models whose estimated footprint is above this many `bytes`",
		Default: "no limit", Rules: "not negative; engine-wide in Config (EngineConfig), a model's own in ModelConfig",
		set: int64Field(func(c *Config) *int64 { return &c.EngineConfig.MemoryLimit })},
	{Field: "OnBatch", Doc: "a func called after every decode (metrics)", Default: "none", Rules: "keep it fast"},
	{Field: "ModelPath", Env: "EMBELLAMA_MODEL", Flag: "model", Doc: "GGUF model `file` loaded at start",
		Default: "none: load models with Engine.LoadModel", Rules: "a GGUF file; validated before llama.cpp reads it",
		set: stringField(func(c *Config) *string { return &c.ModelPath })},
	{Field: "ContextSize", Env: "EMBELLAMA_CTX", Flag: "ctx", Doc: "longest text in `tokens`, special tokens included",
		Default: fmt.Sprintf("the model's trained context, at most %d", DefaultContextSize),
		Rules:   tokenRange + "; at most the trained context of a model with learned absolute positions (BERT)",
		set:     intField(func(c *Config) *int { return &c.ContextSize })},
	{Field: "BatchSize", Env: "EMBELLAMA_BATCH", Flag: "batch", Doc: "token budget of one decode, in `tokens`",
		Default: fmt.Sprintf("max(ContextSize, %d), rounded up to a multiple of 64", DefaultBatchSize),
		Rules:   tokenRange + ", at least ContextSize",
		set:     intField(func(c *Config) *int { return &c.BatchSize })},
	{Field: "BatchTarget", Env: "EMBELLAMA_BATCH_TARGET", Flag: "batch-target", Doc: "`tokens` packed into one decode before starting another",
		Default: fmt.Sprintf("%d with one context, %d with more", DefaultBatchTarget, DefaultBatchTarget/2),
		Rules:   fmt.Sprintf("1 to %d; capped by BatchSize", maxTokens),
		set:     intField(func(c *Config) *int { return &c.BatchTarget })},
	{Field: "UBatchSize", Env: "EMBELLAMA_UBATCH", Doc: "physical batch of causal models, in tokens",
		Default: fmt.Sprintf("BatchSize; for causal models the most tokens whose logits take %d MiB (a multiple of 64, at least 64), at most BatchSize", logitsBudget>>20),
		Rules:   tokenRange + ", at most BatchSize (refused at load above it, on every model); used by causal models only",
		set:     intField(func(c *Config) *int { return &c.UBatchSize })},
	{Field: "MaxSequences", Env: "EMBELLAMA_MAX_SEQUENCES", Doc: "most texts in one decode",
		Default: fmt.Sprintf("the largest divisor of UBatchSize up to min(%d, BatchTarget); with Deterministic on, one less than the largest divisor of UBatchSize up to UBatchSize/16 (a sequence id for the filler), or 1 when the batch cannot be laid out", DefaultMaxSequences),
		Rules:   fmt.Sprintf("1 to %d, at most BatchSize, must divide UBatchSize (llama.cpp aborts otherwise when it prepares mean pooling)", DefaultMaxSequences),
		set:     intField(func(c *Config) *int { return &c.MaxSequences })},
	{Field: "Threads", Env: "EMBELLAMA_THREADS", Flag: "threads", Doc: "CPU `threads`, shared by the contexts",
		Default: "physical cores", Rules: "1 to 1024; a batch evaluated alone gets all of them, batches side by side split them",
		set: intField(func(c *Config) *int { return &c.Threads })},
	{Field: "FlashAttention", Env: "EMBELLAMA_FLASH_ATTENTION", Flag: "flash-attn", Doc: "attention kernel: auto, on or off",
		Default: "auto: off on the CPU for heads not a multiple of 16 values wide (ggml's kernel is scalar there) and for rerankers and classifiers with Deterministic off (packed back to back, F16 keys and values move their scores), otherwise llama.cpp's choice",
		Rules:   "`auto`, `on`, `off`",
		set:     textOf(func(c *Config) textField { return &c.FlashAttention })},
	{Field: "Deterministic", Env: "EMBELLAMA_DETERMINISTIC", Flag: "deterministic",
		Doc:     "lay texts out so that a vector (a pair's score) is bit-identical whatever shares the call: auto, on or off",
		Default: "auto: on for encoder rerankers and classifiers on the CPU, off for embedding models (on cost about 1.2× the time on short texts, BENCHMARKS.md)",
		Rules:   "`auto`, `on`, `off` (also true, false); on needs MaxSequences 0 or 1 (1: each text alone)",
		set:     textOf(func(c *Config) textField { return &c.Deterministic })},
	{Field: "Contexts", Env: "EMBELLAMA_CONTEXTS", Flag: "contexts", Doc: "llama contexts per model, evaluating batches side by side",
		Default: "2 on the CPU with at least 2 threads, otherwise 1", Rules: "1 to 64",
		set: intField(func(c *Config) *int { return &c.Contexts })},
	{Field: "GPULayers", Env: "EMBELLAMA_GPU_LAYERS", Doc: "layers to offload to the GPU",
		Default: "0: all layers", Rules: "not negative; ignored with NoGPU or the CPU library",
		set: intField(func(c *Config) *int { return &c.GPULayers })},
	{Field: "NoGPU", Env: "EMBELLAMA_NO_GPU", Doc: "true to keep every layer on the CPU",
		Default: "false", Rules: "boolean",
		set: boolField(func(c *Config) *bool { return &c.NoGPU })},
	{Field: "MainGPU", Env: "EMBELLAMA_MAIN_GPU", Doc: "GPU index used when the model is not split",
		Default: "0", Rules: "0 to 64",
		set: intField(func(c *Config) *int { return &c.MainGPU })},
	{Field: "Pooling", Env: "EMBELLAMA_POOLING", Flag: "pooling", Doc: "pooling: mean, cls or last",
		Default: "the model's declared pooling", Rules: "`mean`, `cls`, `last`; required for models that declare none",
		set: textOf(func(c *Config) textField { return &c.Pooling })},
	{Field: "Normalize", Env: "EMBELLAMA_NORMALIZE", Flag: "normalize", Doc: "normalization: l2, none, maxabs, or p<N> such as p1 or p3",
		Default: "l2", Rules: "`l2`, `none`, `maxabs`, `p<N>` with 1 ≤ N ≤ 64",
		set: textOf(func(c *Config) textField { return &c.Normalize })},
	{Field: "Truncate", Env: "EMBELLAMA_TRUNCATE", Flag: "truncate", Doc: "texts longer than the context: error, end (keep the beginning) or start (keep the end)",
		Default: "error: refused with ErrTooLong", Rules: "`error`, `end`, `start`",
		set: textOf(func(c *Config) textField { return &c.Truncate })},
	{Field: "Prompts", Flag: "prompt", Doc: "set the model's prompt `name=text` (repeatable; such as query=\"query: \"); an empty text removes it",
		Default: "the model's own: GGUF `embellama.prompt.<name>` keys, else the built-in family table", Rules: "a name is letters, digits, `-`, `_`",
		set: promptOverride},
	{Field: "Prompts.query", Env: "EMBELLAMA_PROMPT_QUERY", Doc: "prompt put in front of queries",
		Default: "as Prompts", Rules: "taken untrimmed: a trailing space is part of the prompt",
		set: promptField(PromptQuery)},
	{Field: "Prompts.document", Env: "EMBELLAMA_PROMPT_DOCUMENT", Doc: "prompt put in front of documents",
		Default: "as Prompts", Rules: "taken untrimmed",
		set: promptField(PromptDocument)},
	{Field: "DefaultPrompt", Env: "EMBELLAMA_DEFAULT_PROMPT", Flag: "default-prompt", Doc: "prompt `name` applied when a call names none",
		Default: "none", Rules: "a prompt of the model (`WithPrompt(\"\")` applies none)",
		set: stringField(func(c *Config) *string { return &c.DefaultPrompt })},
	{Field: "MaxQueue", Env: "EMBELLAMA_MAX_QUEUE", Flag: "max-queue", Doc: "most `texts` waiting per model (ErrOverloaded, HTTP 429, above)",
		Default: "0: no bound (serve bounds what waits by -max-pending and -max-inputs)", Rules: "not negative",
		set: intField(func(c *Config) *int { return &c.MaxQueue })},
	{Field: "MapModel", Env: "EMBELLAMA_MAP_MODEL", Doc: "true to memory-map the model file instead of reading it into memory",
		Default: fmt.Sprintf("false: files up to %d GiB (MapThreshold) are read into memory, larger ones mapped", MapThreshold>>30),
		Rules:   "a mapped file must not change while loaded",
		set:     boolField(func(c *Config) *bool { return &c.MapModel })},
	{Field: "ModelName", Env: "EMBELLAMA_MODEL_NAME", Doc: "name of the model loaded from ModelPath",
		Default: DefaultModelName, Rules: "no leading or trailing space; `serve` loads -model under it",
		set: stringField(func(c *Config) *string { return &c.ModelName })},
}

// Settings returns the table of settings (a copy: changing it changes
// nothing).
func Settings() []Setting { return append([]Setting(nil), settings...) }

// ApplyEnv sets the fields of the settings that have an environment
// variable ([Setting.Env]) from the environment, as getenv (os.Getenv,
// usually) reports it. Unset or empty variables leave their field alone.
// A value that does not parse is a [*ConfigError].
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
