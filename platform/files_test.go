package platform_test

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/platform"
)

// packageFiles reads testdata/packages/NAME.txt, the `tar tzf` listing of
// a pinned package, and returns the names of the files in its bins/
// folder (not in sub-folders, which ggml does not scan).
func packageFiles(t *testing.T, pkg platform.Package) []string {
	t.Helper()
	name := strings.TrimSuffix(strings.TrimPrefix(pkg.Tarball(), "node-llama-cpp-"), ".tgz")
	b, err := os.ReadFile(filepath.Join("testdata", "packages", name+".txt"))
	require.NoError(t, err, "every pinned package has its file list in testdata/packages")
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.Split(line, "/")
		if len(parts) == 4 && parts[0] == "package" && parts[1] == "bins" {
			names = append(names, parts[3])
		}
	}
	return names
}

// TestScanPackages classifies the real file lists of every pinned
// package: the names differ between Linux (.so), macOS (.dylib, with .so
// backend modules) and Windows (.dll without the lib prefix).
func TestScanPackages(t *testing.T) {
	tests := []struct {
		dir               string
		llama, ggml, base string
		cpu               int
		modules           []string
	}{
		{"linux-amd64-cpu", "libllama.v0.5.0.so", "libggml.v0.5.0.so", "libggml-base.so", 14, nil},
		{"linux-amd64-vulkan", "libllama.vulkan.v0.5.0.so", "libggml.vulkan.v0.5.0.so", "libggml-base.so", 14, []string{"vulkan"}},
		{"linux-amd64-cuda", "libllama.cuda.v0.5.0.so", "libggml.cuda.v0.5.0.so", "libggml-base.so", 14, []string{"cuda"}},
		{"linux-arm64-cpu", "libllama.v0.5.0.so", "libggml.v0.5.0.so", "libggml-base.so", 8, nil},
		{"darwin-arm64-metal", "libllama.metal.v0.4.0.dylib", "libggml.metal.v0.4.0.dylib", "libggml-base.dylib", 3, []string{"blas", "metal"}},
		{"darwin-amd64-cpu", "libllama.v0.4.0.dylib", "libggml.v0.4.0.dylib", "libggml-base.dylib", 14, []string{"blas"}},
		{"windows-amd64-cpu", "llama.v0.4.0.dll", "ggml.v0.4.0.dll", "ggml-base.dll", 14, nil},
		{"windows-amd64-vulkan", "llama.vulkan.v0.4.0.dll", "ggml.vulkan.v0.4.0.dll", "ggml-base.dll", 14, []string{"vulkan"}},
		{"windows-amd64-cuda", "llama.cuda.v0.4.0.dll", "ggml.cuda.v0.4.0.dll", "ggml-base.dll", 9, []string{"cuda"}},
		{"windows-arm64-cpu", "llama.v0.4.0.dll", "ggml.v0.4.0.dll", "ggml-base.dll", 1, nil},
	}
	byDir := map[string]platform.Pin{}
	for _, p := range platform.Pins() {
		byDir[p.Dir()] = p
	}
	require.Len(t, tests, len(byDir), "one case per pinned platform")
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			pin, ok := byDir[tt.dir]
			require.True(t, ok, "%s is pinned", tt.dir)
			var names []string
			for _, pkg := range pin.Packages {
				names = append(names, packageFiles(t, pkg)...)
			}
			f := platform.ScanNames("/x", pin.GOOS, names, "")
			assert.Equal(t, "/x/"+tt.llama, filepath.ToSlash(f.Llama))
			assert.Equal(t, "/x/"+tt.ggml, filepath.ToSlash(f.Ggml))
			assert.Equal(t, "/x/"+tt.base, filepath.ToSlash(f.Base))
			assert.Len(t, f.CPU, tt.cpu)
			var mods []string
			for m, file := range f.Modules {
				mods = append(mods, m)
				assert.Equal(t, file, f.Module(m))
			}
			sort.Strings(mods)
			assert.Equal(t, tt.modules, mods)
			if tt.cpu > 0 {
				assert.Equal(t, f.CPU[0], f.Module("cpu"))
			}
			// Every shared library the installer keeps is one the loader
			// knows, except llama-common (node-llama-cpp's addon helper).
			known := map[string]bool{}
			for _, p := range f.All() {
				known[path.Base(filepath.ToSlash(p))] = true
			}
			for _, n := range names {
				if platform.IsSharedLibrary(n) && !strings.Contains(n, "llama-common") {
					assert.True(t, known[n], "%s is classified", n)
				}
			}
		})
	}
}

func TestScanDirectory(t *testing.T) {
	dir := t.TempDir()
	f := platform.Scan(dir, "linux")
	assert.Empty(t, f.Llama)
	for _, n := range []string{"libggml-base.so", "libggml.v0.5.0.so", "libllama.v0.5.0.so", "libggml-cpu-haswell.so", "libggml-vulkan.so", "libllama-common.so", "README"} {
		touch(t, filepath.Join(dir, n))
	}
	touch(t, filepath.Join(dir, "fallback", "libggml-cuda.so"))
	f = platform.Scan(dir, "linux")
	assert.Equal(t, filepath.Join(dir, "libllama.v0.5.0.so"), f.Llama)
	assert.Equal(t, filepath.Join(dir, "libggml.v0.5.0.so"), f.Ggml)
	assert.Equal(t, []string{filepath.Join(dir, "libggml-cpu-haswell.so")}, f.CPU)
	assert.Equal(t, map[string]string{"vulkan": filepath.Join(dir, "libggml-vulkan.so")}, f.Modules, "sub-folders are not scanned")
	assert.Empty(t, f.Module("cuda"))
	assert.Len(t, f.All(), 5)

	g := platform.ScanFile(filepath.Join(dir, "README"), "linux")
	assert.Equal(t, filepath.Join(dir, "README"), g.Llama, "a file named by the caller is the llama library")
	assert.Equal(t, f.Ggml, g.Ggml)
}
