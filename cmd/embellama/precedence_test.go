package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// settingValues are two valid values of each setting that has both a
// variable and a flag: the variable's, then the flag's.
var settingValues = map[string][2]string{
	"backend": {"vulkan", "cpu"}, "ctx": {"256", "128"}, "batch": {"2048", "4096"}, "batch-target": {"64", "128"},
	"threads": {"2", "3"}, "flash-attn": {"on", "off"}, "contexts": {"2", "3"}, "pooling": {"cls", "mean"},
	"normalize": {"none", "p3"}, "truncate": {"start", "end"}, "default-prompt": {"query", "document"},
	"max-queue": {"5", "6"}, "deterministic": {"on", "off"},
}

// engineConfig is the configuration embed's flags and the environment
// make, through the commands' own functions (addEngineFlags, parse,
// config), without the logger.
func engineConfig(t *testing.T, args ...string) embed.Config {
	t.Helper()
	fs := newFlagSet("embed", "", io.Discard)
	ef := addEngineFlags(fs, engineUse{calls: true, prompts: true})
	require.NoError(t, parse(fs, args))
	cfg, err := ef.config(io.Discard)
	require.NoError(t, err)
	cfg.Logger = nil
	return cfg
}

// TestPrecedence runs every precedence rule the README and
// docs/configuration.md state, with the real functions and commands:
// a setting's flag over its variable over the default; -model over
// $EMBELLAMA_MODEL over the first embedding model of $EMBELLAMA_MODELS
// over embellama pull's directory; -lib over $EMBELLAMA_LIB_DIR over
// $EMBELLAMA_LIB (read only when EMBELLAMA_LIB_DIR is unset).
func TestPrecedence(t *testing.T) {
	model := testenv.Fixture(t, "bert-mean-tiny")
	t.Run("flag over variable over default", func(t *testing.T) {
		for _, s := range embed.Settings() {
			if s.Env == "" || s.Flag == "" || s.Field == "ModelPath" {
				continue
			}
			v, ok := settingValues[s.Flag]
			require.True(t, ok, "-%s: add two values of it to settingValues", s.Flag)
			t.Run(s.Flag, func(t *testing.T) {
				t.Setenv(s.Env, "")
				none := engineConfig(t, "-model", model)
				flagOnly := engineConfig(t, "-model", model, "-"+s.Flag, v[1])
				t.Setenv(s.Env, v[0])
				envOnly := engineConfig(t, "-model", model)
				both := engineConfig(t, "-model", model, "-"+s.Flag, v[1])
				assert.NotEqual(t, none, envOnly, "$%s=%s changes the default", s.Env, v[0])
				assert.Equal(t, flagOnly, both, "-%s wins over $%s", s.Flag, s.Env)
				assert.NotEqual(t, envOnly, both)
			})
		}
	})
	t.Run("model", func(t *testing.T) {
		other := testenv.Fixture(t, "bert-cls-tiny")
		modelsDir, cache := t.TempDir(), t.TempDir()
		pullDirModel := filepath.Join(cache, "embellama", "models", "a.gguf")
		dirModel := filepath.Join(modelsDir, "b.gguf")
		require.NoError(t, os.MkdirAll(filepath.Dir(pullDirModel), 0o755))
		require.NoError(t, os.Symlink(model, pullDirModel))
		require.NoError(t, os.Symlink(other, dirModel))
		t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on unix
		t.Setenv("HOME", cache)           // and on darwin
		t.Setenv(envModels, "")
		t.Setenv("EMBELLAMA_MODEL", "")
		if d, err := pullDir(); err != nil || d != filepath.Dir(pullDirModel) {
			t.Skipf("the user cache directory is not $XDG_CACHE_HOME here (%s, %v)", d, err)
		}
		assert.Equal(t, pullDirModel, engineConfig(t).ModelPath, "nothing set: pull's directory")
		t.Setenv(envModels, modelsDir)
		assert.Equal(t, dirModel, engineConfig(t).ModelPath, "$EMBELLAMA_MODELS over pull's directory")
		t.Setenv("EMBELLAMA_MODEL", other)
		assert.Equal(t, other, engineConfig(t).ModelPath, "$EMBELLAMA_MODEL over $EMBELLAMA_MODELS")
		assert.Equal(t, model, engineConfig(t, "-model", model).ModelPath, "-model over $EMBELLAMA_MODEL")
	})
	t.Run("library", func(t *testing.T) {
		lib := testenv.Library(t)
		missing := filepath.Join(t.TempDir(), "nonexistent")
		tests := []struct {
			name           string
			flag, dir, old string
			ok             bool
		}{
			{"-lib over EMBELLAMA_LIB_DIR", lib, missing, "", true},
			{"-lib over EMBELLAMA_LIB_DIR (a bad -lib fails)", missing, lib, "", false},
			{"EMBELLAMA_LIB_DIR over EMBELLAMA_LIB", "", lib, missing, true},
			{"EMBELLAMA_LIB_DIR over EMBELLAMA_LIB (a bad _DIR fails)", "", missing, lib, false},
			{"EMBELLAMA_LIB when EMBELLAMA_LIB_DIR is unset", "", "", lib, true},
			{"EMBELLAMA_LIB when EMBELLAMA_LIB_DIR is unset (a bad one fails)", "", "", missing, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Setenv(platform.EnvLibDir, tt.dir)
				t.Setenv(platform.EnvLibAlias, tt.old)
				t.Setenv("EMBELLAMA_MODEL", model)
				args := []string{"info"}
				if tt.flag != "" {
					args = append(args, "-lib", tt.flag)
				}
				code, _, stderr := runCLI(t, "", args...)
				if tt.ok {
					assert.Equal(t, exitOK, code, stderr)
				} else {
					assert.Equal(t, exitFailure, code)
					assert.Contains(t, stderr, "nonexistent", "the failure names the path that was chosen")
				}
			})
		}
	})
}
