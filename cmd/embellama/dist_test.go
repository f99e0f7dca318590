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
)

// TestDist builds the release archive of this platform's CPU library,
// unpacks it into an empty directory and embeds with it from there: the
// binary must find its libraries beside itself.
func TestDist(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("dist is tested on Linux")
	}
	testenv.Library(t)
	model := testenv.Model(t, "bert-mean.gguf")
	root := testenv.RepoRoot(t)
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "scripts", "dist.sh"), runtime.GOOS+"/"+runtime.GOARCH+"/cpu")
	cmd.Env = append(os.Environ(), "DIST_DIR="+out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	archives, _ := filepath.Glob(filepath.Join(out, "embellama-*-"+runtime.GOOS+"-"+runtime.GOARCH+"-cpu.tar.gz"))
	require.Len(t, archives, 1)
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Contains(t, string(sums), filepath.Base(archives[0]))

	clean := t.TempDir()
	b, err = exec.Command("tar", "-xzf", archives[0], "-C", clean).CombinedOutput()
	require.NoError(t, err, "%s", b)
	dirs, _ := filepath.Glob(filepath.Join(clean, "embellama-*"))
	require.Len(t, dirs, 1)
	for _, want := range []string{"embellama", "LICENSE.node-llama-cpp", "README.md"} {
		assert.FileExists(t, filepath.Join(dirs[0], want))
	}
	run := exec.Command(filepath.Join(dirs[0], "embellama"), "embed", "-model", model, "hello world")
	run.Dir = clean
	run.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + clean} // no EMBELLAMA_* from the test's environment
	b, err = run.Output()
	require.NoError(t, err)
	v := vectors(t, string(b))
	require.Len(t, v, 1)
	assert.Len(t, v[0], 128)
	// The archive ships every CPU variant: ggml picks the best for this CPU,
	// which may not be the one the test process runs.
	testenv.AssertNear(t, testenv.ReferenceVector(t, "bert-mean", "hello world"), v[0], "hello world from the archive")
	assert.False(t, strings.Contains(string(b), "error"))
}
