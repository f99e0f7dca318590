package embed_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, (&embed.Config{}).Validate(), "the zero Config is valid")
	tests := []struct {
		name  string
		cfg   embed.Config
		field string
	}{
		{"context too small", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 4}}, "ContextSize"},
		{"batch too large", embed.Config{ModelConfig: embed.ModelConfig{BatchSize: 1 << 21}}, "BatchSize"},
		{"batch below context", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 1024, BatchSize: 512}}, "BatchSize"},
		{"more sequences than batch tokens", embed.Config{ModelConfig: embed.ModelConfig{BatchSize: 64, MaxSequences: 128}}, "MaxSequences"},
		{"ubatch above batch", embed.Config{ModelConfig: embed.ModelConfig{BatchSize: 512, UBatchSize: 1024}}, "UBatchSize"},
		{"too many sequences", embed.Config{ModelConfig: embed.ModelConfig{MaxSequences: 257}}, "MaxSequences"},
		{"negative threads", embed.Config{ModelConfig: embed.ModelConfig{Threads: -2}}, "Threads"},
		{"too many contexts", embed.Config{ModelConfig: embed.ModelConfig{Contexts: 65}}, "Contexts"},
		{"negative GPU layers", embed.Config{ModelConfig: embed.ModelConfig{GPULayers: -1}}, "GPULayers"},
		{"unknown pooling", embed.Config{ModelConfig: embed.ModelConfig{Pooling: embed.Pooling(7)}}, "Pooling"},
		{"p-norm of 0", embed.Config{ModelConfig: embed.ModelConfig{Normalize: embed.NormalizeP(0)}}, "Normalize"},
		{"unknown truncation", embed.Config{ModelConfig: embed.ModelConfig{Truncate: embed.Truncation(5)}}, "Truncate"},
		{"negative cache", embed.Config{EngineConfig: embed.EngineConfig{CacheSize: -1}}, "CacheSize"},
		{"negative memory limit", embed.Config{EngineConfig: embed.EngineConfig{MemoryLimit: -1}}, "MemoryLimit"},
		{"negative queue", embed.Config{ModelConfig: embed.ModelConfig{MaxQueue: -1}}, "MaxQueue"},
		{"padded name", embed.Config{ModelName: " m"}, "ModelName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			require.ErrorIs(t, err, embed.ErrInvalidConfig)
			var ce *embed.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Contains(t, err.Error(), tt.field)
		})
	}
	err := (&embed.Config{ModelConfig: embed.ModelConfig{Threads: -1, Contexts: -1}}).Validate()
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *embed.ConfigError
		if errors.As(e, &ce) {
			n++
		}
	}
	assert.Equal(t, 2, n, "every bad field is reported")
}

func TestConfigApplyEnv(t *testing.T) {
	env := map[string]string{
		"EMBELLAMA_BACKEND": "vulkan", "EMBELLAMA_MODEL": "/m.gguf",
		"EMBELLAMA_MODEL_NAME": "m", "EMBELLAMA_CTX": "1024", "EMBELLAMA_BATCH": "2048", "EMBELLAMA_UBATCH": "512", "EMBELLAMA_BATCH_TARGET": "128",
		"EMBELLAMA_MAX_SEQUENCES": "32", "EMBELLAMA_THREADS": "4", "EMBELLAMA_CONTEXTS": "2",
		"EMBELLAMA_FLASH_ATTENTION": "off", "EMBELLAMA_DETERMINISTIC": "off",
		"EMBELLAMA_GPU_LAYERS": "10", "EMBELLAMA_NO_GPU": "true", "EMBELLAMA_MAIN_GPU": "1", "EMBELLAMA_MAP_MODEL": "true",
		"EMBELLAMA_POOLING": "cls", "EMBELLAMA_NORMALIZE": "p3", "EMBELLAMA_TRUNCATE": "start",
		"EMBELLAMA_CACHE_SIZE": "1000", "EMBELLAMA_MEMORY_LIMIT": "2000", "EMBELLAMA_MAX_QUEUE": "50",
		"EMBELLAMA_PROMPT_QUERY": "query: ", "EMBELLAMA_PROMPT_DOCUMENT": "passage: ", "EMBELLAMA_DEFAULT_PROMPT": "query",
	}
	vars := 0
	for _, s := range embed.Settings() {
		if s.Env != "" {
			vars++
		}
	}
	require.Len(t, env, vars, "every variable is tested")
	var c embed.Config
	require.NoError(t, c.ApplyEnv(func(k string) string { return env[k] }))
	assert.Equal(t, embed.Config{
		EngineConfig: embed.EngineConfig{Backend: platform.Vulkan, CacheSize: 1000, MemoryLimit: 2000},
		ModelConfig: embed.ModelConfig{ModelPath: "/m.gguf", ContextSize: 1024, BatchSize: 2048, UBatchSize: 512,
			BatchTarget: 128, MaxSequences: 32, Threads: 4, Contexts: 2, FlashAttention: embed.FlashAttentionOff,
			Deterministic: embed.DeterminismOff, GPULayers: 10, NoGPU: true, MapModel: true, MainGPU: 1, Pooling: embed.PoolingCLS,
			Normalize: embed.NormalizeP(3), Truncate: embed.TruncateStart, MaxQueue: 50,
			Prompts: map[string]string{"query": "query: ", "document": "passage: "}, DefaultPrompt: "query"},
		ModelName: "m",
	}, c)
	require.NoError(t, c.Validate())

	keep := embed.Config{ModelConfig: embed.ModelConfig{Threads: 3}}
	require.NoError(t, keep.ApplyEnv(func(string) string { return "" }))
	assert.Equal(t, embed.Config{ModelConfig: embed.ModelConfig{Threads: 3}}, keep, "unset variables change nothing")

	bad := map[string]string{"EMBELLAMA_CTX": "big", "EMBELLAMA_POOLING": "max", "EMBELLAMA_NO_GPU": "maybe", "EMBELLAMA_FLASH_ATTENTION": "fast"}
	err := (&embed.Config{}).ApplyEnv(func(k string) string { return bad[k] })
	require.ErrorIs(t, err, embed.ErrInvalidConfig)
	for _, k := range []string{"EMBELLAMA_CTX", "EMBELLAMA_POOLING", "EMBELLAMA_NO_GPU", "EMBELLAMA_FLASH_ATTENTION"} {
		assert.Contains(t, err.Error(), k)
	}
}

func TestKindsText(t *testing.T) {
	for _, p := range []embed.Pooling{embed.PoolingDefault, embed.PoolingMean, embed.PoolingCLS, embed.PoolingLast} {
		got, err := embed.ParsePooling(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	for _, n := range []embed.Normalization{embed.NormalizeL2, embed.NormalizeNone, embed.NormalizeMaxAbs, embed.NormalizeP(1), embed.NormalizeP(5)} {
		got, err := embed.ParseNormalization(n.String())
		require.NoError(t, err)
		assert.Equal(t, n, got)
	}
	assert.Equal(t, embed.NormalizeL2, embed.NormalizeP(2))
	for _, tr := range []embed.Truncation{embed.TruncateNone, embed.TruncateEnd, embed.TruncateStart} {
		got, err := embed.ParseTruncation(tr.String())
		require.NoError(t, err)
		assert.Equal(t, tr, got)
	}
	for _, s := range []string{"sum", "p0", "p-1", "px"} {
		_, err := embed.ParseNormalization(s)
		assert.ErrorIs(t, err, embed.ErrInvalidOption, s)
	}
	_, err := embed.ParseTruncation("middle")
	assert.ErrorIs(t, err, embed.ErrInvalidOption)
}

// TestAutoOnOffText checks the text forms of the auto/on/off settings
// and of a value out of range, and that UnmarshalText leaves its value
// alone on text that does not parse, for each setting type.
func TestAutoOnOffText(t *testing.T) {
	words := map[string]int{"": 0, "auto": 0, " AUTO ": 0, "on": 1, "true": 1, "1": 1, "On": 1, "off": 2, "false": 2, "0": 2, "OFF": 2}
	t.Run("flash attention", func(t *testing.T) {
		values := []embed.FlashAttention{embed.FlashAttentionAuto, embed.FlashAttentionOn, embed.FlashAttentionOff}
		for w, i := range words {
			got, err := embed.ParseFlashAttention(w)
			require.NoError(t, err, w)
			assert.Equal(t, values[i], got, w)
		}
		for _, v := range values {
			var got embed.FlashAttention
			require.NoError(t, got.UnmarshalText([]byte(v.String())))
			assert.Equal(t, v, got)
		}
		_, err := embed.ParseFlashAttention("sometimes")
		assert.ErrorIs(t, err, embed.ErrInvalidOption)
		assert.Equal(t, "flash-attention(7)", embed.FlashAttention(7).String())
	})
	t.Run("determinism", func(t *testing.T) {
		values := []embed.Determinism{embed.DeterminismAuto, embed.DeterminismOn, embed.DeterminismOff}
		for w, i := range words {
			got, err := embed.ParseDeterminism(w)
			require.NoError(t, err, w)
			assert.Equal(t, values[i], got, w)
		}
		for _, v := range values {
			var got embed.Determinism
			require.NoError(t, got.UnmarshalText([]byte(v.String())))
			assert.Equal(t, v, got)
		}
		_, err := embed.ParseDeterminism("sometimes")
		assert.ErrorIs(t, err, embed.ErrInvalidOption)
		assert.Equal(t, "determinism(-1)", embed.Determinism(-1).String())
	})
	t.Run("out of range names", func(t *testing.T) {
		assert.Equal(t, "truncation(9)", embed.Truncation(9).String())
		assert.Equal(t, "pooling(42)", embed.Pooling(42).String())
	})
	t.Run("UnmarshalText keeps the value on an error", func(t *testing.T) {
		f, d, tr, p, n := embed.FlashAttentionOff, embed.DeterminismOn, embed.TruncateEnd, embed.PoolingCLS, embed.NormalizeMaxAbs
		for name, u := range map[string]interface{ UnmarshalText([]byte) error }{"flash attention": &f, "determinism": &d, "truncation": &tr, "pooling": &p, "normalization": &n} {
			assert.ErrorIs(t, u.UnmarshalText([]byte("bogus")), embed.ErrInvalidOption, name)
		}
		assert.Equal(t, embed.FlashAttentionOff, f)
		assert.Equal(t, embed.DeterminismOn, d)
		assert.Equal(t, embed.TruncateEnd, tr)
		assert.Equal(t, embed.PoolingCLS, p)
		assert.Equal(t, embed.NormalizeMaxAbs, n)
	})
}

// TestSettingsTable checks the one table of settings: it has a row for
// every field of Config (of its EngineConfig and ModelConfig too), each
// once, each variable and flag once, with its help, default and rules;
// a row without a variable or a flag is one set in code only; and,
// handing out copies, the table cannot be changed from outside.
func TestSettingsTable(t *testing.T) {
	rows, envs, flags := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range embed.Settings() {
		assert.False(t, rows[s.Field], "%s once", s.Field)
		rows[s.Field] = true
		if name, _, ok := strings.Cut(s.Field, "."); ok {
			assert.True(t, rows[name], "%s comes after its field's own row", s.Field)
		}
		assert.NotEmpty(t, s.Doc, s.Field)
		assert.NotEmpty(t, s.Default, s.Field)
		assert.NotEmpty(t, s.Rules, s.Field)
		assert.Equal(t, s.Env != "" || s.Flag != "", s.Settable(), "%s: settable from text exactly when it has a variable or a flag", s.Field)
		if s.Env != "" {
			assert.False(t, envs[s.Env], "%s once", s.Env)
			assert.True(t, strings.HasPrefix(s.Env, "EMBELLAMA_"), s.Env)
			envs[s.Env] = true
		}
		if s.Flag != "" {
			assert.False(t, flags[s.Flag], "-%s once", s.Flag)
			flags[s.Flag] = true
		}
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[embed.Config]()) {
		if !f.Anonymous {
			assert.True(t, rows[f.Name], "Config field %s has a row", f.Name)
		}
	}
	assert.Len(t, rows, len(embed.Settings()))
	s := embed.Settings()
	s[0].Env = "CHANGED"
	assert.NotEqual(t, "CHANGED", embed.Settings()[0].Env, "Settings returns a copy")
	for _, s := range embed.Settings() {
		if !s.Settable() {
			assert.Error(t, s.Set(&embed.Config{}, "x"), s.Field)
		}
	}

	var c embed.Config
	for _, s := range embed.Settings() {
		if s.Field == "ContextSize" {
			require.NoError(t, s.Set(&c, " 77 "))
			require.Error(t, s.Set(&c, "many"))
		}
	}
	assert.Equal(t, 77, c.ContextSize)
}
