package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// TestLibraryFoundFromAnywhere builds the CLI and runs it from another
// directory, as a user does, with the library in each place the search
// covers: <exe>/../lib/<os>-<arch>-cpu (a checkout's bin/), the user
// library directory (where `embellama lib install` puts it outside a
// checkout), EMBELLAMA_LIB_DIR and its alias EMBELLAMA_LIB. With none, the
// error says how to install it with the command itself.
func TestLibraryFoundFromAnywhere(t *testing.T) {
	lib := filepath.Dir(testenv.Library(t))
	model := testenv.Model(t, "bert-mean.gguf")
	root := t.TempDir()
	exe := filepath.Join(root, "co", "bin", "embellama")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := build.CombinedOutput()
	require.NoError(t, err, "%s", b)
	name := platform.LibDirName(runtime.GOOS, runtime.GOARCH, platform.CPU)
	elsewhere := filepath.Join(root, "elsewhere")
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	cache := filepath.Join(root, "cache")

	run := func(t *testing.T, env ...string) (string, error) {
		cmd := exec.Command(exe, "embed", "-model", model, "hello")
		cmd.Dir = elsewhere
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + root, "XDG_CACHE_HOME=" + cache}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	link := func(t *testing.T, dir string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o755))
		require.NoError(t, os.Symlink(lib, dir))
		t.Cleanup(func() { os.Remove(dir) })
	}

	t.Run("nowhere", func(t *testing.T) {
		out, err := run(t)
		require.Error(t, err)
		assert.Contains(t, out, "install it with `embellama lib install`", "the command names its own installer")
		assert.NotContains(t, out, "go install", "the user has the command already")
		assert.NotContains(t, out, "install.Library", "the Go API is for Go programs")
		assert.NotContains(t, out, "make lib", "outside a checkout")
		assert.Equal(t, 1, strings.Count(out, filepath.Join(elsewhere, "lib", name)), "each path once")
	})
	t.Run("exe/../lib", func(t *testing.T) {
		link(t, filepath.Join(root, "co", "lib", name))
		out, err := run(t)
		require.NoError(t, err, out)
		assert.True(t, strings.HasPrefix(withoutModelNote(out), "["), out)
	})
	t.Run("user library directory", func(t *testing.T) {
		link(t, filepath.Join(cache, "embellama", "lib", name))
		out, err := run(t)
		require.NoError(t, err, out)
	})
	t.Run(platform.EnvLibDir, func(t *testing.T) {
		out, err := run(t, platform.EnvLibDir+"="+lib)
		require.NoError(t, err, out)
	})
	t.Run(platform.EnvLibAlias, func(t *testing.T) {
		out, err := run(t, platform.EnvLibAlias+"="+lib)
		require.NoError(t, err, out)
		out, err = run(t, platform.EnvLibAlias+"="+elsewhere)
		require.Error(t, err)
		assert.Contains(t, out, elsewhere+" exists but holds no llama library", "the hint says what was found")
	})
}
