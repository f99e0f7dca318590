// Package testenv finds the native library and the models for tests, the
// same way users find them, and decides what happens when one is missing:
// the test is skipped on a developer's machine but fails when CI=true, so
// CI can never pass by skipping. It is the one package of test helpers,
// for the root module and for the modules beside it (contrib/*,
// examples/*), and imports nothing above package platform: a helper that
// needs an engine takes a function that makes one ([Open]).
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/platform"
)

// EnvModels names the environment variable that points at the models
// directory; the default is ../shared/models beside the repository.
const EnvModels = "EMBELLAMA_MODELS"

// CI reports whether the tests run under CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips t, or fails it under CI=true, because what is missing is
// required there.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot returns the root of the repository: the nearest directory
// above the working directory whose go.mod declares the root module (the
// modules beside it, contrib/* and examples/*, have go.mod files too).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if isRootModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: the go.mod of github.com/embellama/embellama is not above the working directory")
		}
		dir = parent
	}
}

func isRootModule(gomod string) bool {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.TrimSpace(rest) == "github.com/embellama/embellama"
		}
	}
	return false
}

// EnvBackend names the environment variable that selects the library the
// tests load (cpu, the default, or vulkan, cuda): a test process can load
// only one, so other backends run in a child process (see RunWithBackend).
const EnvBackend = "EMBELLAMA_TEST_BACKEND"

// Library returns the path of the installed llama library for the backend
// of EnvBackend (CPU by default), found as the engine finds it
// (EMBELLAMA_LIB_DIR, then lib/ under the repository).
func Library(t testing.TB) string {
	b := platform.CPU
	if s := os.Getenv(EnvBackend); s != "" {
		var err error
		if b, err = platform.ParseBackend(s); err != nil {
			t.Fatal(err)
		}
	}
	return LibraryFor(t, b)
}

// LibraryFor is [Library] for another backend.
func LibraryFor(t testing.TB, b platform.Backend) string {
	t.Helper()
	env := os.Getenv(platform.EnvLibDir)
	if b != platform.CPU {
		env = "" // EMBELLAMA_LIB_DIR names the CPU library of the tests
	}
	s := platform.Search{
		EnvDir:  env,
		Cwd:     RepoRoot(t),
		GOOS:    runtime.GOOS,
		GOARCH:  runtime.GOARCH,
		Backend: b,
	}
	found, err := platform.Find(s)
	if err != nil {
		Missing(t, "native library: %v", err)
	}
	return found.Llama
}

// ModelsDir returns the shared models directory.
func ModelsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvModels)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		Missing(t, "models directory %s (set %s): %v", dir, EnvModels, err)
	}
	return dir
}

// Model returns the path of the named model file in [ModelsDir].
func Model(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(ModelsDir(t), name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "model %s: %v", name, err)
	}
	return p
}

// Fixture returns the path of the generated fixture model name (see
// package fixtures), generating it into .cache/fixtures when absent. It
// needs the pinned llama.cpp source for the vocabulary (make headers).
func Fixture(t testing.TB, name string) string {
	t.Helper()
	root := RepoRoot(t)
	path := filepath.Join(root, ".cache", "fixtures", name+".gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	spec, ok := fixtures.Lookup(name)
	if !ok {
		t.Fatalf("testenv: no fixture %q", name)
	}
	src := filepath.Join(root, ".cache", "llama.cpp")
	if _, err := os.Stat(spec.VocabPath(src)); err != nil {
		Missing(t, "vocabulary for fixture %s (run `make headers`): %v", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fixtures.WriteFile(spec, src, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// RunWithBackend runs the test binary again, in a child process, with
// EnvBackend=backend and extra environment, running the tests matching
// run, and returns its combined output. It fails t if the child fails.
func RunWithBackend(t *testing.T, backend, run string, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", run, "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), EnvBackend+"="+backend), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s tests with %s=%s failed: %v\n%s", run, EnvBackend, backend, err, out)
	}
	return string(out)
}

// StubLibrary compiles, with `go env CC`, a shared library named
// libllama.so that exports llama_version returning version, plus an empty
// function for each name in exports: a stand-in for a library of the
// wrong release or one that lacks symbols.
func StubLibrary(t testing.TB, version string, exports []string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("stub libraries are built on Unix hosts")
	}
	cc := CC(t)
	var src strings.Builder
	fmt.Fprintf(&src, "const char *llama_version(void) { return %q; }\n", version)
	for _, name := range exports {
		if name != "llama_version" {
			fmt.Fprintf(&src, "void %s(void) {}\n", name)
		}
	}
	dir := t.TempDir()
	c := filepath.Join(dir, "stub.c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libllama.so")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, c).CombinedOutput(); err != nil {
		t.Fatalf("building the stub library: %v\n%s", err, out)
	}
	return lib
}

// CC returns the C compiler `go env CC` names (cc by default), or skips t
// (fails it under CI=true) when there is none.
func CC(t testing.TB) string {
	t.Helper()
	cc := "cc"
	if out, err := exec.Command("go", "env", "CC").Output(); err == nil && strings.TrimSpace(string(out)) != "" {
		cc = strings.TrimSpace(string(out))
	}
	if _, err := exec.LookPath(cc); err != nil {
		Missing(t, "C compiler %q: %v", cc, err)
	}
	return cc
}

// SetExampleEnv points examples, which find the library and the models as
// a user's program would (EMBELLAMA_LIB_DIR, EMBELLAMA_MODELS), at the
// repository's lib/ and ../shared/models, unless the environment already
// names them. Call it from TestMain in a package directory one level
// below the repository root.
func SetExampleEnv() {
	wd, err := os.Getwd()
	if err != nil {
		return
	}
	root := filepath.Dir(wd)
	if os.Getenv("EMBELLAMA_LIB_DIR") == "" {
		os.Setenv("EMBELLAMA_LIB_DIR", filepath.Join(root, "lib", runtime.GOOS+"-"+runtime.GOARCH+"-cpu"))
	}
	if os.Getenv(EnvModels) == "" {
		os.Setenv(EnvModels, filepath.Join(root, "..", "shared", "models"))
	}
}
