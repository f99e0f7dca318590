package nativebuild_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/internal/nativebuild"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// tinyProject is a CMake project shaped like llama.cpp's library
// targets: a versioned shared llama that links a ggml-base, built into
// bin/ as llama.cpp's CMakeLists puts them. It takes the real options
// (unused variables are only warnings), so the test runs the real CMake
// and compiler through every step of a build in seconds.
var tinyProject = map[string]string{
	"CMakeLists.txt": `cmake_minimum_required(VERSION 3.14)
project(tiny C)
set(CMAKE_LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_library(ggml-base base.c)
set_target_properties(ggml-base PROPERTIES VERSION 0.9.1 SOVERSION 0)
add_library(llama llama.c)
target_link_libraries(llama ggml-base)
set_target_properties(llama PROPERTIES VERSION 0.0.1 SOVERSION 0)
add_executable(never-built never.c)
`,
	"base.c":  "int ggml_base(void) { return 1; }\n",
	"llama.c": "int ggml_base(void);\nint llama_tiny(void) { return ggml_base(); }\n",
	"never.c": "#error the build must compile only the library targets\n",
	"LICENSE": "tiny licence\n",
}

// sourcePackage makes the source package of project as node-llama-cpp
// ships one: a tarball holding package/llama/gitRelease.bundle, a git
// bundle of one commit. It returns the tarball and the commit.
func sourcePackage(t *testing.T, project map[string]string) (tgz []byte, commit string) {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		testenv.Missing(t, "git: %v", err)
	}
	repo := t.TempDir()
	for name, text := range project {
		require.NoError(t, os.WriteFile(filepath.Join(repo, name), []byte(text), 0o644))
	}
	gitRun := func(args ...string) string {
		cmd := exec.Command(git, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	gitRun("init", "--quiet")
	gitRun("add", ".")
	gitRun("commit", "--quiet", "-m", "release")
	commit = gitRun("rev-parse", "HEAD")
	gitRun("bundle", "create", "--quiet", "release.bundle", "HEAD")
	bundle, err := os.ReadFile(filepath.Join(repo, "release.bundle"))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string][]byte{"package/package.json": []byte("{}"), "package/llama/gitRelease.bundle": bundle} {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes(), commit[:7]
}

// fixture is a build of a tiny source package into a temporary library
// folder: the options, with the pin naming the package by its sha256.
func fixture(t *testing.T, project map[string]string) nativebuild.Options {
	t.Helper()
	if _, err := exec.LookPath("cmake"); err != nil {
		testenv.Missing(t, "cmake: %v", err)
	}
	testenv.CC(t)
	tgz, commit := sourcePackage(t, project)
	sum := sha256.Sum256(tgz)
	pkg := platform.Package{Name: "node-llama-cpp", Version: "0.0.0-test", SHA256: hex.EncodeToString(sum[:])}
	fetch := func(_ context.Context, p platform.Package, dir string) error {
		return os.WriteFile(filepath.Join(dir, p.Tarball()), tgz, 0o644)
	}
	return nativebuild.Options{
		Pin:    platform.Pin{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Backend: platform.Native, Packages: []platform.Package{pkg}, LlamaVersion: "0.0.0"},
		Source: platform.Source{Package: pkg, LlamaVersion: "0.0.0", Tag: "v0.0.0", Commit: commit},
		LibDir: t.TempDir(), CacheDir: t.TempDir(), Fetch: fetch, Jobs: 2,
	}
}

func TestBuildTinyProject(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the tiny project's layout is that of a single-config generator")
	}
	opts := fixture(t, tinyProject)
	var progress bytes.Buffer
	opts.Progress = &progress
	res, err := nativebuild.Build(context.Background(), opts)
	require.NoError(t, err, "progress:\n%s", progress.String())

	assert.Equal(t, filepath.Join(opts.LibDir, platform.LibDirName(runtime.GOOS, runtime.GOARCH, platform.Native)), res.Dir)
	compiled := regexp.MustCompile(`(?m)^  \[\s*\d+%\] Building C object`).FindAllString(progress.String(), -1)
	assert.Len(t, compiled, 2, "one progress line per compiled file of the two libraries, none for the executable:\n%s", progress.String())

	files := platform.Scan(res.Dir, runtime.GOOS)
	require.NotEmpty(t, files.Llama, "the library search finds the installed library")
	if runtime.GOOS == "linux" {
		target, err := os.Readlink(filepath.Join(res.Dir, "libllama.so.0"))
		require.NoError(t, err, "the versioned names stay links")
		assert.Equal(t, "libllama.so.0.0.1", target)
		f, err := elf.Open(filepath.Join(res.Dir, target))
		require.NoError(t, err)
		defer f.Close()
		rpath, err := f.DynString(elf.DT_RUNPATH)
		require.NoError(t, err)
		assert.Equal(t, []string{"$ORIGIN"}, rpath, "libllama finds libggml-base beside it once the build folder is gone")
	}
	lic, err := os.ReadFile(filepath.Join(res.Dir, "LICENSE.llama.cpp"))
	require.NoError(t, err)
	assert.Equal(t, tinyProject["LICENSE"], string(lic))

	lo := libinstall.Options{Pin: opts.Pin, LibDir: opts.LibDir}
	v, err := libinstall.Verify(lo)
	require.NoError(t, err, "lib verify checks a built library like an installed one")
	assert.Equal(t, res.Files, v.Files)
	notes := strings.Join(libinstall.Notes(res.Dir), "\n")
	assert.Contains(t, notes, "build compiler "+res.Compiler)
	assert.Contains(t, notes, "-DGGML_NATIVE=ON")

	found, b, err := platform.FindFirst(platform.Search{UserDir: opts.LibDir, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH},
		platform.Preferred(platform.Hardware{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}))
	require.NoError(t, err)
	assert.Equal(t, platform.Native, b, "the automatic search prefers the native build")
	assert.Equal(t, files.Llama, found.Llama)

	require.NoError(t, os.WriteFile(filepath.Join(res.Dir, filepath.Base(files.Llama)), []byte("damaged"), 0o755))
	_, err = libinstall.Verify(lo)
	assert.ErrorIs(t, err, libinstall.ErrModified)
}

func TestBuildRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the tiny project's layout is that of a single-config generator")
	}
	broken := map[string]string{}
	for k, v := range tinyProject {
		broken[k] = v
	}
	broken["llama.c"] = "int llama_tiny(void) { return not_declared; }\n"
	tests := []struct {
		name   string
		change func(*nativebuild.Options)
		want   error
		text   string
	}{
		{"another commit than pinned", func(o *nativebuild.Options) { o.Source.Commit = "0000000" }, nativebuild.ErrSource, "pinned 0000000"},
		{"a tarball that is not the pinned one", func(o *nativebuild.Options) { o.Pin.Packages[0].SHA256 = strings.Repeat("0", 64) }, libinstall.ErrChecksum, ""},
		{"a compile error", func(o *nativebuild.Options) {
			b := fixture(t, broken)
			o.Pin, o.Source, o.Fetch = b.Pin, b.Source, b.Fetch
		}, nativebuild.ErrBuild, "not_declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := fixture(t, tinyProject)
			tt.change(&opts)
			_, err := nativebuild.Build(context.Background(), opts)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.text)
			_, err = os.Stat(filepath.Join(opts.LibDir, opts.Pin.Dir()))
			assert.True(t, errors.Is(err, os.ErrNotExist), "nothing is installed after a failed build")
		})
	}
}

func TestFindToolsNamesEachMissingTool(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	tests := []struct {
		name    string
		env     map[string]string
		missing []string
	}{
		{"nothing installed", nil, []string{"cmake", "a C compiler", "a C++ compiler", "git"}},
		{"CXX names a compiler that is not there", map[string]string{"CXX": "/nonexistent/g++"}, []string{"cmake", "a C compiler", "a C++ compiler (tried $CXX=/nonexistent/g++)", "git"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := nativebuild.FindTools(func(k string) string { return tt.env[k] }, nil)
			require.ErrorIs(t, err, nativebuild.ErrMissingTool)
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tt.missing), "one line per missing tool: %v", err)
			for i, m := range tt.missing {
				assert.Contains(t, lines[i], m)
			}
		})
	}
	t.Run("a fake toolchain on PATH", func(t *testing.T) {
		for _, n := range []string{"cmake", "clang", "clang++", "git"} {
			require.NoError(t, os.WriteFile(filepath.Join(empty, n), []byte("#!/bin/sh\n"), 0o755))
		}
		got, err := nativebuild.FindTools(func(string) string { return "" }, nil)
		require.NoError(t, err)
		assert.Equal(t, nativebuild.Tools{CMake: filepath.Join(empty, "cmake"), CC: filepath.Join(empty, "clang"),
			CXX: filepath.Join(empty, "clang++"), Git: filepath.Join(empty, "git")}, got)
	})
}

func TestBuildChecksToolsBeforeFetching(t *testing.T) {
	fetched := false
	pin, err := platform.NativePin("linux", "amd64")
	require.NoError(t, err)
	_, err = nativebuild.Build(context.Background(), nativebuild.Options{
		Pin: pin, LibDir: t.TempDir(), CacheDir: t.TempDir(),
		Fetch:    func(context.Context, platform.Package, string) error { fetched = true; return nil },
		Getenv:   func(string) string { return "" },
		LookPath: func(n string) (string, error) { return "", exec.ErrNotFound },
	})
	require.ErrorIs(t, err, nativebuild.ErrMissingTool)
	assert.False(t, fetched, "a missing tool is reported before the download")
}
