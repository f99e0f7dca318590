package platform

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPins(t *testing.T) {
	require.NoError(t, parsePins(pinsText).err)
	sha := regexp.MustCompile(`^[0-9a-f]{64}$`)
	srcVersions := map[string]bool{}
	for _, s := range Sources() {
		assert.Regexp(t, sha, s.SHA256)
		assert.Equal(t, "v"+s.LlamaVersion, s.Tag)
		srcVersions[s.LlamaVersion] = true
	}
	seen := map[string]bool{}
	for _, p := range Pins() {
		assert.False(t, seen[p.Dir()], "%s pinned once", p.Dir())
		seen[p.Dir()] = true
		assert.True(t, srcVersions[p.LlamaVersion], "%s: the source of llama.cpp %s is pinned too (for the layout test)", p.Dir(), p.LlamaVersion)
		for _, pkg := range p.Packages {
			assert.Regexp(t, sha, pkg.SHA256, pkg.Name)
			assert.True(t, strings.HasPrefix(pkg.Name, "@node-llama-cpp/"), pkg.Name)
		}
	}
	for _, dir := range []string{"linux-amd64-cpu", "linux-arm64-cpu", "darwin-arm64-metal", "darwin-amd64-cpu", "windows-amd64-cpu", "windows-arm64-cpu"} {
		assert.True(t, seen[dir], "%s is pinned: make dist builds it", dir)
	}

	cuda, err := PinFor("linux", "amd64", CUDA)
	require.NoError(t, err)
	require.Len(t, cuda.Packages, 2, "CUDA comes with its fallback package")
	assert.Equal(t, "node-llama-cpp-linux-x64-cuda-ext-3.22.1.tgz", cuda.Packages[1].Tarball())
	assert.Equal(t, "@node-llama-cpp/linux-x64-cuda-ext@3.22.1", cuda.Packages[1].Spec())
	_, err = PinFor("darwin", "amd64", Metal)
	assert.ErrorIs(t, err, ErrNotPinned)
	assert.Contains(t, err.Error(), "darwin/arm64/metal", "the error says what is pinned")
	cpu, err := PinFor("windows", "arm64", Backend{})
	require.NoError(t, err)
	assert.Equal(t, "windows-arm64-cpu", cpu.Dir())

	assert.Equal(t, []string{"0.5.0"}, LlamaVersions("linux", "amd64"))
	assert.Equal(t, []string{"0.4.0"}, LlamaVersions("windows", "amd64"))
	assert.Empty(t, LlamaVersions("plan9", "amd64"))
}

// TestPinsMatchVersionFile: LLAMA_CPP_VERSION (the Makefile's and the
// native build's pin) names the release the Linux packages are pinned at.
func TestPinsMatchVersionFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "LLAMA_CPP_VERSION"))
	require.NoError(t, err)
	v := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, val, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			v[k] = val
		}
	}
	p, err := PinFor("linux", "amd64", CPU)
	require.NoError(t, err)
	assert.Equal(t, v["NODE_LLAMA_CPP_VERSION"], p.Packages[0].Version)
	assert.Equal(t, v["LLAMA_CPP_LIBRARY_VERSION"], p.LlamaVersion)
	var found bool
	for _, s := range Sources() {
		if s.Version == v["NODE_LLAMA_CPP_VERSION"] {
			found = true
			assert.Equal(t, v["LLAMA_CPP_TAG"], s.Tag)
			assert.Equal(t, v["LLAMA_CPP_COMMIT"], s.Commit)
		}
	}
	assert.True(t, found, "the source of LLAMA_CPP_VERSION is pinned")
}

func TestParsePinsRejects(t *testing.T) {
	for _, text := range []string{
		"lib linux amd64 tpu @node-llama-cpp/x 1 0.5.0 ab",
		"lib linux amd64 cpu @node-llama-cpp/x 1 0.5.0",
		"source node-llama-cpp 1 0.5.0 v0.5.0 abc",
		"lib linux amd64 cpu @a 1 0.5.0 ab\nlib linux amd64 cpu @b 1 0.4.0 ab",
	} {
		assert.Error(t, parsePins(text).err, text)
	}
}

func TestPinSpecs(t *testing.T) {
	tests := []struct {
		name string
		pkgs []Package
		want string
	}{
		{"none", nil, ""},
		{"one", []Package{{Name: "@a/x", Version: "1.0"}}, "@a/x@1.0"},
		{"two", []Package{{Name: "@a/x", Version: "1.0"}, {Name: "y", Version: "2"}}, "@a/x@1.0 + y@2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Pin{Packages: tt.pkgs}.Specs())
		})
	}
}
