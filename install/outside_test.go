package install_test

import (
	"encoding/json"
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

// TestInstallOutsideCheckout builds testdata/firststart, a program of
// another module (go.mod with a replace of this checkout, in a temporary
// folder outside it), and runs it with an empty HOME, no EMBELLAMA_*
// variable and no library anywhere: embed.Open fails with advice naming
// install.Library (not the embellama command, which is not beside it),
// the program installs the pinned library into the user library folder
// with install.Library, through npm and its registry as a user's machine
// would, and prints the vector of llama.cpp's reference. A second run
// finds the library and installs nothing.
func TestInstallOutsideCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the pinned package with npm")
	}
	root := testenv.RepoRoot(t)
	model := testenv.Model(t, "bert-mean.gguf")
	want := testenv.ReferenceVector(t, "bert-mean", "hello world")
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "the go command, which builds the program: %v", err)
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		testenv.Missing(t, "npm, which install.Library downloads with: %v", err)
	}
	pin, err := platform.PinFor(runtime.GOOS, runtime.GOARCH, platform.CPU)
	if err != nil {
		t.Skipf("no CPU library pinned here: %v", err)
	}

	mod := t.TempDir()
	require.Empty(t, platform.CheckoutRoot(mod), "the module is outside the checkout")
	src, err := os.ReadFile(filepath.Join("testdata", "firststart", "main.go"))
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	gomod := "module example.com/firststart\n\ngo 1.26.0\n\nrequire github.com/embellama/embellama v0.0.0\n\n" +
		"replace github.com/embellama/embellama => " + root + "\n"
	for name, b := range map[string][]byte{"go.mod": []byte(gomod), "go.sum": sum, "main.go": src} {
		require.NoError(t, os.WriteFile(filepath.Join(mod, name), b, 0o644))
	}
	exe := filepath.Join(t.TempDir(), "firststart")
	build := exec.Command(goTool, "build", "-o", exe, ".")
	build.Dir = mod
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	home := t.TempDir()
	cwd := t.TempDir()
	run := func() (stdout, stderr string) {
		cmd := exec.Command(exe, model, "hello world")
		cmd.Dir = cwd
		cmd.Env = []string{"HOME=" + home, "PATH=" + filepath.Dir(npm) + ":/usr/bin:/bin"}
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		require.NoError(t, cmd.Run(), "stderr:\n%s", e.String())
		t.Logf("stderr:\n%s", e.String())
		return o.String(), e.String()
	}
	vector := func(stdout string) []float32 {
		var v []float32
		require.NoError(t, json.Unmarshal([]byte(stdout), &v), stdout)
		require.NotEmpty(t, v)
		t.Logf("stdout: a vector of %d dimensions: %v ...", len(v), v[:min(4, len(v))])
		return v
	}

	stdout, stderr := run()
	assert.Contains(t, stderr, "first start: embed: native library unusable: platform: llama library not found")
	assert.Contains(t, stderr, "install it from the program with install.Library (package github.com/embellama/embellama/install)")
	assert.NotContains(t, stderr, "go install", "a Go program's user has no use for the command's source")
	assert.NotContains(t, stderr, "lib install", "no embellama command is beside the program")
	assert.Contains(t, stderr, "downloading with npm pack")
	assert.Contains(t, stderr, "verified")
	lib := filepath.Join(home, ".cache", "embellama", "lib", pin.Dir())
	assert.Contains(t, stderr, "installed "+lib)
	assert.FileExists(t, filepath.Join(lib, ".installed"))
	assert.FileExists(t, filepath.Join(home, ".cache", "embellama", "npm", pin.Packages[0].Tarball()), "the download cache")
	testenv.AssertNear(t, want, vector(stdout), "hello world, first start")

	stdout, stderr = run()
	assert.NotContains(t, stderr, "first start", "the second start finds the library")
	testenv.AssertNear(t, want, vector(stdout), "hello world, second start")
}
