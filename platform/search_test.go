package platform_test

import (
	"os"
	"path/filepath"
	"strings"
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
			name:  "lib beside the executable's directory, as in a checkout",
			files: []string{sub + "/libllama.so.0"},
			search: func(r string) platform.Search {
				return platform.Search{ExeDir: r + "/bin", Cwd: "/elsewhere", GOOS: "linux", GOARCH: "amd64"}
			},
			want: sub + "/libllama.so.0", source: "executable directory",
		},
		{
			name:  "user library directory",
			files: []string{"cache/linux-amd64-cpu/libllama.v0.5.0.so", "cwd/" + sub + "/libllama.v0.5.0.so"},
			search: func(r string) platform.Search {
				return platform.Search{ExeDir: r + "/go/bin", UserDir: r + "/cache", Cwd: r + "/cwd", GOOS: "linux", GOARCH: "amd64"}
			},
			want: "cache/linux-amd64-cpu/libllama.v0.5.0.so", source: "user library directory",
		},
		{
			name:  "alias variable",
			files: []string{"env/libllama.so"},
			search: func(r string) platform.Search {
				return platform.Search{EnvDir: r + "/env", EnvName: platform.EnvLibAlias, GOOS: "linux", GOARCH: "amd64"}
			},
			want: "env/libllama.so", source: platform.EnvLibAlias,
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
	dirs := func(s platform.Search) []string {
		var d []string
		for _, c := range s.Candidates() {
			d = append(d, c.Dir)
		}
		return d
	}
	s := platform.Search{ExeDir: "/opt/app/bin", UserDir: "/home/u/.cache/embellama/lib", Cwd: "/home/u/p",
		GOOS: "linux", GOARCH: "arm64", Backend: platform.CUDA}
	assert.Equal(t, []string{
		filepath.FromSlash("/opt/app/bin"),
		filepath.FromSlash("/opt/app/lib/linux-arm64-cuda"),
		filepath.FromSlash("/home/u/.cache/embellama/lib/linux-arm64-cuda"),
		filepath.FromSlash("/home/u/p/lib/linux-arm64-cuda"),
	}, dirs(s))

	// Run from the checkout root: bin/../lib/... is ./lib/..., listed once.
	s = platform.Search{ExeDir: "/src/embellama/bin", Cwd: "/src/embellama", GOOS: "linux", GOARCH: "amd64"}
	assert.Equal(t, []string{
		filepath.FromSlash("/src/embellama/bin"),
		filepath.FromSlash("/src/embellama/lib/linux-amd64-cpu"),
	}, dirs(s))
}

func TestNotFoundHint(t *testing.T) {
	root := t.TempDir()
	touch(t, filepath.Join(root, "empty", "README"))
	const api = "install.Library (package github.com/embellama/embellama/install)"
	linux := func(s platform.Search) platform.Search { s.GOOS, s.GOARCH = "linux", "amd64"; return s }
	tests := []struct {
		name          string
		search        platform.Search
		want, notWant []string
	}{
		{"Go program", linux(platform.Search{Cwd: root}),
			[]string{"install it from the program with " + api + ", or set " + platform.EnvLibDir},
			[]string{"embellama lib install", "go install", "make lib"}},
		{"Go program, another backend", linux(platform.Search{Cwd: root, Backend: platform.Vulkan}),
			[]string{api + " with Options{Backend: platform.Vulkan}"}, []string{"lib install"}},
		{"Go program with the command beside it", linux(platform.Search{Cwd: root, CLIPath: "/opt/app/embellama", Backend: platform.CUDA}),
			[]string{api + " with Options{Backend: platform.CUDA} (or run `/opt/app/embellama lib install -backend cuda`)"}, []string{"go install"}},
		{"the command", linux(platform.Search{Cwd: root, CLI: true}),
			[]string{"install it with `embellama lib install`, or set " + platform.EnvLibDir}, []string{api, "go install"}},
		{"checkout", linux(platform.Search{Cwd: root, Checkout: root, Backend: platform.Vulkan}),
			[]string{"`make lib BACKEND=vulkan`", "lib install -backend vulkan"}, []string{api}},
		{"variable naming an empty directory", linux(platform.Search{EnvDir: filepath.Join(root, "empty")}),
			[]string{filepath.Join(root, "empty") + " exists but holds no llama library", platform.EnvLibDir + " names that place",
				api + " and Options.LibDir set to $" + platform.EnvLibDir},
			[]string{"lib install"}},
		{"variable, the command", linux(platform.Search{EnvDir: root + "/nope", CLI: true}),
			[]string{"install there with `embellama lib install -dir $" + platform.EnvLibDir + "`"}, []string{api}},
		{"alias", linux(platform.Search{EnvDir: root + "/nope", EnvName: platform.EnvLibAlias, CLIPath: "embellama"}),
			[]string{platform.EnvLibAlias + " names that place", "(or run `embellama lib install -dir $" + platform.EnvLibAlias + "`)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := platform.Find(tt.search)
			require.ErrorIs(t, err, platform.ErrLibraryNotFound)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, err.Error(), w)
			}
			if tt.search.Checkout == "" {
				assert.NotContains(t, err.Error(), "make lib", "outside a checkout there is no Makefile")
			}
		})
	}
}

func TestCheckoutRoot(t *testing.T) {
	root := t.TempDir()
	touch(t, filepath.Join(root, "co", "sub", "x"))
	require.NoError(t, os.WriteFile(filepath.Join(root, "co", "go.mod"), []byte("module github.com/embellama/embellama\n\ngo 1.24\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "other.mod"), nil, 0o644))
	assert.Equal(t, filepath.Join(root, "co"), platform.CheckoutRoot(filepath.Join(root, "co", "sub")))
	assert.Empty(t, platform.CheckoutRoot(root))
	touch(t, filepath.Join(root, "mine", "go.mod"))
	assert.Empty(t, platform.CheckoutRoot(filepath.Join(root, "mine")), "another module is not a checkout")
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

func TestDefaultSearchEnv(t *testing.T) {
	t.Setenv(platform.EnvLibDir, "")
	t.Setenv(platform.EnvLibAlias, "/opt/alias")
	s := platform.DefaultSearch("", platform.CPU, "linux", "amd64")
	assert.Equal(t, "/opt/alias", s.EnvDir)
	assert.Equal(t, platform.EnvLibAlias, s.Candidates()[0].Source)
	assert.NotEmpty(t, s.UserDir)

	t.Setenv(platform.EnvLibDir, "/opt/dir")
	s = platform.DefaultSearch("", platform.CPU, "linux", "amd64")
	assert.Equal(t, "/opt/dir", s.EnvDir, "EMBELLAMA_LIB_DIR wins over its alias")
	assert.Equal(t, platform.EnvLibDir, s.Candidates()[0].Source)
}

// TestDescribeSearch: the description of the default places follows the
// list Candidates walks, in its order, user library folder included.
func TestDescribeSearch(t *testing.T) {
	d := platform.DescribeSearch()
	s := platform.Search{ExeDir: "/e", UserDir: "/u", Cwd: "/c", GOOS: "linux", GOARCH: "amd64"}
	var sources []string
	for _, c := range s.Candidates() {
		sources = append(sources, c.Source)
	}
	assert.Equal(t, []string{"executable directory", "executable directory", "user library directory", "working directory"}, sources)
	last := -1
	for _, place := range []string{"$" + platform.EnvLibDir, "<executable's directory>, ", "<executable's directory>/../lib/<os>-<arch>-<backend>",
		"<user cache>/embellama/lib/<os>-<arch>-<backend>", ", ./lib/<os>-<arch>-<backend>"} {
		i := strings.Index(d[last+1:], place)
		require.GreaterOrEqual(t, i, 0, "%q comes next in %q", place, d)
		last += 1 + i
	}
}

func TestFindFirstPrefersNative(t *testing.T) {
	const native, cpu = "linux-amd64-native", "linux-amd64-cpu"
	order := []platform.Backend{platform.Native, platform.CPU}
	tests := []struct {
		name    string
		files   []string
		order   []platform.Backend
		want    string
		backend platform.Backend
	}{
		{"native and prebuilt: native wins", []string{"cache/" + native + "/libllama.so", "cache/" + cpu + "/libllama.v0.5.0.so"},
			order, "cache/" + native + "/libllama.so", platform.Native},
		{"native in the user folder beats prebuilt in the working directory", []string{"cache/" + native + "/libllama.so", "cwd/lib/" + cpu + "/libllama.so"},
			order, "cache/" + native + "/libllama.so", platform.Native},
		{"prebuilt only", []string{"cache/" + cpu + "/libllama.v0.5.0.so"},
			order, "cache/" + cpu + "/libllama.v0.5.0.so", platform.CPU},
		{"a library beside the executable is no native build", []string{"bin/libllama.so", "cache/" + native + "/libllama.so"},
			order, "bin/libllama.so", platform.CPU},
		{"-backend cpu still chooses the prebuilt", []string{"cache/" + native + "/libllama.so", "cache/" + cpu + "/libllama.so"},
			[]platform.Backend{platform.CPU}, "cache/" + cpu + "/libllama.so", platform.CPU},
		{"nothing", nil, order, "", platform.Backend{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				touch(t, filepath.Join(root, f))
			}
			s := platform.Search{ExeDir: root + "/bin", UserDir: root + "/cache", Cwd: root + "/cwd", GOOS: "linux", GOARCH: "amd64"}
			got, b, err := platform.FindFirst(s, tt.order)
			if tt.want == "" {
				require.ErrorIs(t, err, platform.ErrLibraryNotFound)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(root, tt.want), got.Llama)
			assert.Equal(t, tt.backend, b)
		})
	}
}

func TestNativePin(t *testing.T) {
	p, err := platform.PinFor("linux", "amd64", platform.Native)
	require.NoError(t, err)
	cpu, err := platform.PinFor("linux", "amd64", platform.CPU)
	require.NoError(t, err)
	assert.Equal(t, cpu.LlamaVersion, p.LlamaVersion, "the native build is the source of the prebuilt library")
	require.Len(t, p.Packages, 1)
	src, err := platform.SourceFor(p.LlamaVersion)
	require.NoError(t, err)
	assert.Equal(t, src.Package, p.Packages[0])
	assert.Equal(t, "linux-amd64-native", p.Dir())
	_, err = platform.PinFor("plan9", "amd64", platform.Native)
	assert.ErrorIs(t, err, platform.ErrNotPinned)
}
