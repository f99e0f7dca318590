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
		{"context too small", embed.Config{ContextSize: 4}, "ContextSize"},
		{"batch too large", embed.Config{BatchSize: 1 << 21}, "BatchSize"},
		{"batch below context", embed.Config{ContextSize: 1024, BatchSize: 512}, "BatchSize"},
		{"more sequences than batch tokens", embed.Config{BatchSize: 64, MaxSequences: 128}, "MaxSequences"},
		{"ubatch above batch", embed.Config{BatchSize: 512, UBatchSize: 1024}, "UBatchSize"},
		{"too many sequences", embed.Config{MaxSequences: 257}, "MaxSequences"},
		{"negative threads", embed.Config{Threads: -2}, "Threads"},
		{"too many contexts", embed.Config{Contexts: 65}, "Contexts"},
		{"negative GPU layers", embed.Config{GPULayers: -1}, "GPULayers"},
		{"unknown pooling", embed.Config{Pooling: embed.Pooling(7)}, "Pooling"},
		{"p-norm of 0", embed.Config{Normalize: embed.NormalizeP(0)}, "Normalize"},
		{"unknown truncation", embed.Config{Truncate: embed.Truncation(5)}, "Truncate"},
		{"negative cache", embed.Config{CacheSize: -1}, "CacheSize"},
		{"negative memory limit", embed.Config{MemoryLimit: -1}, "MemoryLimit"},
		{"negative queue", embed.Config{MaxQueue: -1}, "MaxQueue"},
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
	err := (&embed.Config{Threads: -1, Contexts: -1}).Validate()
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
		"EMBELLAMA_LIB": "/opt/lib", "EMBELLAMA_BACKEND": "vulkan", "EMBELLAMA_MODEL": "/m.gguf",
		"EMBELLAMA_MODEL_NAME": "m", "EMBELLAMA_CTX": "1024", "EMBELLAMA_BATCH": "2048", "EMBELLAMA_UBATCH": "512", "EMBELLAMA_BATCH_TARGET": "128",
		"EMBELLAMA_MAX_SEQUENCES": "32", "EMBELLAMA_THREADS": "4", "EMBELLAMA_CONTEXTS": "2",
		"EMBELLAMA_FLASH_ATTENTION": "off",
		"EMBELLAMA_GPU_LAYERS":      "10", "EMBELLAMA_NO_GPU": "true", "EMBELLAMA_MAIN_GPU": "1", "EMBELLAMA_MAP_MODEL": "true",
		"EMBELLAMA_POOLING": "cls", "EMBELLAMA_NORMALIZE": "p3", "EMBELLAMA_TRUNCATE": "start",
		"EMBELLAMA_CACHE_SIZE": "1000", "EMBELLAMA_MEMORY_LIMIT": "2000", "EMBELLAMA_MAX_QUEUE": "50",
		"EMBELLAMA_PROMPT_QUERY": "query: ", "EMBELLAMA_PROMPT_DOCUMENT": "passage: ", "EMBELLAMA_DEFAULT_PROMPT": "query",
	}
	require.Len(t, env, len(embed.EnvVars()), "every variable is tested")
	var c embed.Config
	require.NoError(t, c.ApplyEnv(func(k string) string { return env[k] }))
	assert.Equal(t, embed.Config{
		Library: "/opt/lib", Backend: platform.Vulkan, ModelPath: "/m.gguf", ModelName: "m", ContextSize: 1024,
		BatchSize: 2048, UBatchSize: 512, BatchTarget: 128, MaxSequences: 32, Threads: 4, Contexts: 2, FlashAttention: embed.FlashAttentionOff, GPULayers: 10, NoGPU: true, MapModel: true,
		MainGPU: 1, Pooling: embed.PoolingCLS, Normalize: embed.NormalizeP(3), Truncate: embed.TruncateStart,
		CacheSize: 1000, MemoryLimit: 2000, MaxQueue: 50,
		Prompts: map[string]string{"query": "query: ", "document": "passage: "}, DefaultPrompt: "query",
	}, c)
	require.NoError(t, c.Validate())

	keep := embed.Config{Threads: 3}
	require.NoError(t, keep.ApplyEnv(func(string) string { return "" }))
	assert.Equal(t, embed.Config{Threads: 3}, keep, "unset variables change nothing")

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

// TestSettingsTable checks the one table of settable fields: it names
// every settable Config field once, each variable and flag once, and
// handing out copies, it cannot be changed from outside.
func TestSettingsTable(t *testing.T) {
	typ := reflect.TypeFor[embed.Config]()
	notSettable := map[string]bool{"Logger": true, "OnBatch": true}
	fields, envs, flags := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range embed.Settings() {
		// Prompts.query is the "query" key of the Prompts map.
		name, _, _ := strings.Cut(s.Field, ".")
		_, ok := typ.FieldByName(name)
		assert.True(t, ok, "%s is a Config field", s.Field)
		assert.False(t, fields[s.Field], "%s once", s.Field)
		assert.False(t, envs[s.Env], "%s once", s.Env)
		assert.NotEmpty(t, s.Doc)
		fields[s.Field], fields[name], envs[s.Env] = true, true, true
		if s.Flag != "" {
			assert.False(t, flags[s.Flag], "-%s once", s.Flag)
			flags[s.Flag] = true
		}
	}
	for i := range typ.NumField() {
		if f := typ.Field(i).Name; !notSettable[f] {
			assert.True(t, fields[f], "Config.%s has a setting", f)
		}
	}
	s := embed.Settings()
	s[0].Env = "CHANGED"
	assert.NotEqual(t, "CHANGED", embed.Settings()[0].Env, "Settings returns a copy")
	v := embed.EnvVars()
	v[0].Name = "CHANGED"
	assert.NotEqual(t, "CHANGED", embed.EnvVars()[0].Name, "EnvVars returns a copy")

	var c embed.Config
	for _, s := range embed.Settings() {
		if s.Field == "ContextSize" {
			require.NoError(t, s.Set(&c, " 77 "))
			require.Error(t, s.Set(&c, "many"))
		}
	}
	assert.Equal(t, 77, c.ContextSize)
}
