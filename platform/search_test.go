package platform_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/platform"
)

func touch(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, nil, 0o644))
}

func TestFind(t *testing.T) {
	const sub = "lib/linux-amd64-cpu"
	tests := []struct {
		name   string
		files  []string // created under the temp root
		search func(root string) platform.Search
		want   string // library path relative to root, "" for not found
		source string
	}{
		{
			name:  "working directory lib",
			files: []string{"cwd/" + sub + "/libllama.v0.5.0.so", "cwd/" + sub + "/libggml-base.so"},
			search: func(r string) platform.Search {
				return platform.Search{Cwd: r + "/cwd", ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "cwd/" + sub + "/libllama.v0.5.0.so", source: "working directory",
		},
		{
			name:  "executable directory wins over working directory",
			files: []string{"bin/libllama.so", "cwd/" + sub + "/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{Cwd: r + "/cwd", ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "bin/libllama.so", source: "executable directory",
		},
		{
			name:  "lib next to the executable",
			files: []string{"bin/" + sub + "/libllama.so.0"},
			search: func(r string) platform.Search {
				return platform.Search{ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "bin/" + sub + "/libllama.so.0", source: "executable directory",
		},
		{
			name:  "env dir replaces the defaults",
			files: []string{"env/libllama.so", "bin/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{EnvDir: r + "/env", ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "env/libllama.so", source: platform.EnvLibDir,
		},
		{
			name:  "env dir with the installed layout below it",
			files: []string{"env/linux-amd64-vulkan/libllama.v0.5.0.so"},
			search: func(r string) platform.Search {
				return platform.Search{EnvDir: r + "/env", GOOS: "linux", GOARCH: "amd64", Backend: platform.Vulkan}
			},
			want: "env/linux-amd64-vulkan/libllama.v0.5.0.so", source: platform.EnvLibDir,
		},
		{
			name:  "explicit file",
			files: []string{"x/custom-name.so", "env/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{Path: r + "/x/custom-name.so", EnvDir: r + "/env", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "x/custom-name.so", source: "explicit path",
		},
		{
			name:  "explicit path that is absent does not fall back",
			files: []string{"env/libllama.so", "bin/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{Path: r + "/nope", EnvDir: r + "/env", ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
		},
		{
			name:  "siblings are not the llama library",
			files: []string{"cwd/" + sub + "/libllama-common.so", "cwd/" + sub + "/libggml.so"},
			search: func(r string) platform.Search {
				return platform.Search{Cwd: r + "/cwd", GOOS: "linux", GOARCH: "amd64"}
			},
		},
		{
			name:  "darwin names",
			files: []string{"cwd/lib/darwin-arm64-metal/libllama.v0.5.0.dylib", "cwd/lib/darwin-arm64-metal/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{Cwd: r + "/cwd", GOOS: "darwin", GOARCH: "arm64", Backend: platform.Metal}
			},
			want: "cwd/lib/darwin-arm64-metal/libllama.v0.5.0.dylib", source: "working directory",
		},
		{
			name:  "windows names",
			files: []string{"bin/llama.dll", "bin/ggml.dll"},
			search: func(r string) platform.Search {
				return platform.Search{ExeDir: r + "/bin", GOOS: "windows", GOARCH: "amd64"}
			},
			want: "bin/llama.dll", source: "executable directory",
		},
		{
			name: "nothing anywhere",
			search: func(r string) platform.Search {
				return platform.Search{Cwd: r + "/cwd", ExeDir: r + "/bin", GOOS: "linux", GOARCH: "amd64"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				touch(t, filepath.Join(root, f))
			}
			s := tt.search(root)
			got, err := platform.Find(s)
			if tt.want == "" {
				require.ErrorIs(t, err, platform.ErrLibraryNotFound)
				var nf *platform.NotFoundError
				require.ErrorAs(t, err, &nf)
				var dirs []string
				for _, c := range s.Candidates() {
					dirs = append(dirs, c.Dir)
					assert.Contains(t, err.Error(), c.Dir, "the error lists every path tried")
				}
				assert.Equal(t, dirs, nf.Tried)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(root, tt.want), got.Llama)
			assert.Equal(t, filepath.Dir(got.Llama), got.Dir)
			assert.Equal(t, tt.source, got.Source)
		})
	}
}

func TestCandidatesOrder(t *testing.T) {
	s := platform.Search{ExeDir: "/opt/app", Cwd: "/home/u/p", GOOS: "linux", GOARCH: "arm64", Backend: platform.CUDA}
	var dirs []string
	for _, c := range s.Candidates() {
		dirs = append(dirs, c.Dir)
	}
	assert.Equal(t, []string{
		"/opt/app",
		filepath.FromSlash("/opt/app/lib/linux-arm64-cuda"),
		filepath.FromSlash("/home/u/p/lib/linux-arm64-cuda"),
	}, dirs)
}

func TestIsLlamaLibrary(t *testing.T) {
	tests := []struct {
		goos, name string
		want       bool
	}{
		{"linux", "libllama.so", true},
		{"linux", "libllama.v0.5.0.so", true},
		{"linux", "libllama.so.0.5.0", true},
		{"linux", "libllama.cuda.v0.5.0.so", true},
		{"linux", "libllama.vulkan.v0.5.0.so", true},
		{"linux", "libggml.cuda.v0.5.0.so", false},
		{"linux", "libllama-common.so", false},
		{"linux", "libllama.dylib", false},
		{"linux", "libggml.v0.5.0.so", false},
		{"darwin", "libllama.dylib", true},
		{"darwin", "libllama.0.dylib", true},
		{"windows", "llama.dll", true},
		{"windows", "libllama.dll", true},
		{"windows", "llama-common.dll", false},
		{"plan9", "libllama.so", false},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, platform.IsLlamaLibrary(tt.goos, tt.name))
		})
	}
}

func TestIsGgmlLibrary(t *testing.T) {
	tests := []struct {
		goos, name string
		want       bool
	}{
		{"linux", "libggml.v0.5.0.so", true},
		{"linux", "libggml.cuda.v0.5.0.so", true},
		{"linux", "libggml.so", true},
		{"linux", "libggml-base.so", false},
		{"linux", "libggml-cpu-haswell.so", false},
		{"linux", "libllama.so", false},
		{"darwin", "libggml.dylib", true},
		{"windows", "ggml.dll", true},
		{"windows", "ggml-base.dll", false},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, platform.IsGgmlLibrary(tt.goos, tt.name))
		})
	}
}

func TestGgmlIn(t *testing.T) {
	dir := t.TempDir()
	assert.Empty(t, platform.GgmlIn(dir, "linux"))
	touch(t, filepath.Join(dir, "libggml-base.so"))
	touch(t, filepath.Join(dir, "libggml.v0.5.0.so"))
	assert.Equal(t, filepath.Join(dir, "libggml.v0.5.0.so"), platform.GgmlIn(dir, "linux"))
}
