//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestQuantizeRefusesSpecialOutput: quantize replaces OUT by renaming a
// finished file over it, so anything at OUT but a regular file (a FIFO, a
// device such as /dev/null, a symbolic link, a directory) is refused,
// with -f or not, and left as it was. (Before, -f renamed the output over
// a FIFO or a character device: as root against /dev/null, that replaced
// /dev/null with a model file.) The device is made in a temporary
// directory; /dev/null itself is only checked to be a device still.
func TestQuantizeRefusesSpecialOutput(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.gguf")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	target := filepath.Join(dir, "target.gguf")
	require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
	link := filepath.Join(dir, "link.gguf")
	require.NoError(t, os.Symlink(target, link))
	sub := filepath.Join(dir, "sub.gguf")
	require.NoError(t, os.Mkdir(sub, 0o755))
	outs := map[string]string{"FIFO": fifo, "symbolic link": link, "directory": sub}
	dev := filepath.Join(dir, "null.gguf")
	// The numbers of /dev/null (1, 3); only root may make a device, and
	// only root could have replaced one.
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err == nil {
		outs["character device"] = dev
	} else {
		outs["character device"] = os.DevNull // not root: it cannot be replaced
	}
	modes := map[string]os.FileMode{}
	for _, p := range outs {
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		modes[p] = fi.Mode()
	}
	for what, out := range outs {
		for _, force := range []bool{false, true} {
			args := []string{"quantize", "-lib", lib, "-type", "q8_0", model, out}
			if force {
				args = append(args, "-f")
			}
			code, _, stderr := runCLI(t, "", args...)
			assert.Equal(t, exitFailure, code, "%s, -f %v: %s", what, force, stderr)
			assert.Contains(t, stderr, "not a regular file", "%s, -f %v", what, force)
			assert.NotContains(t, stderr, "-f overwrites", "%s: -f would not help", what)
			fi, err := os.Lstat(out)
			require.NoError(t, err)
			assert.Equal(t, modes[out], fi.Mode(), "%s, -f %v: left as it was", what, force)
		}
	}
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b), "the link's target is untouched")
	fi, err := os.Lstat(os.DevNull)
	require.NoError(t, err)
	assert.Equal(t, os.ModeDevice|os.ModeCharDevice, fi.Mode()&(os.ModeDevice|os.ModeCharDevice), "%s is still a character device", os.DevNull)
	left, err := filepath.Glob(filepath.Join(dir, ".*part"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left behind")
}

// TestQuantizeOutputMode: the output is created 0644 less the umask, as
// any file a command writes, not 0600 (the mode of a temporary file).
func TestQuantizeOutputMode(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	old := syscall.Umask(0o027)
	t.Cleanup(func() { syscall.Umask(old) })
	out := filepath.Join(t.TempDir(), "q.gguf")
	code, _, stderr := runCLI(t, "", "quantize", "-lib", lib, "-type", "q8_0", model, out)
	require.Equal(t, exitOK, code, stderr)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "0644 less the umask 027")
	code, _, stderr = runCLI(t, "", "quantize", "-lib", lib, "-type", "f16", "-f", model, out)
	require.Equal(t, exitOK, code, stderr)
	fi, err = os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "an overwritten output too")
}
