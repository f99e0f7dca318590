package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// EnvLibDir names the environment variable that points at a directory
// holding the native libraries. It is consulted when no explicit path is
// given.
const EnvLibDir = "EMBELLAMA_LIB_DIR"

// ErrLibraryNotFound is matched by the error [Find] returns when no
// candidate directory holds a llama library.
var ErrLibraryNotFound = errors.New("platform: llama library not found")

// Search describes where to look for the native libraries. Every input is a
// field, so discovery depends on nothing but its argument; [DefaultSearch]
// fills the fields from the running process.
type Search struct {
	// Path is an explicit library file or directory. When set, it is the
	// only place searched.
	Path string
	// EnvDir is the value of [EnvLibDir]. When set (and Path is not), it is
	// the only place searched.
	EnvDir string
	// ExeDir is the directory of the running executable.
	ExeDir string
	// Cwd is the working directory.
	Cwd string
	// GOOS and GOARCH select file names and the lib/ subdirectory.
	GOOS, GOARCH string
	// Backend selects the lib/ subdirectory; the zero value means CPU.
	Backend Backend
}

// Candidate is one place [Find] looks, and why.
type Candidate struct {
	// Dir is a directory, or a file when the caller named one explicitly.
	Dir string
	// Source says where the candidate came from: "explicit path",
	// EnvLibDir, "executable directory" or "working directory".
	Source string
}

// LibDirName returns the name of the directory that `make lib` installs the
// libraries for goos, goarch and backend into, such as "linux-amd64-cpu".
func LibDirName(goos, goarch string, b Backend) string {
	if b.IsZero() {
		b = CPU
	}
	return goos + "-" + goarch + "-" + b.String()
}

// Candidates returns the places to look for the library, most specific
// first. An explicit path or the environment variable, when given, replace
// the default places rather than add to them: a user who names a library
// must not silently get another one.
func (s Search) Candidates() []Candidate {
	sub := filepath.Join("lib", LibDirName(s.GOOS, s.GOARCH, s.Backend))
	both := func(dir, source string) []Candidate {
		return []Candidate{
			{Dir: dir, Source: source},
			{Dir: filepath.Join(dir, LibDirName(s.GOOS, s.GOARCH, s.Backend)), Source: source},
			{Dir: filepath.Join(dir, sub), Source: source},
		}
	}
	switch {
	case s.Path != "":
		return both(s.Path, "explicit path")
	case s.EnvDir != "":
		return both(s.EnvDir, EnvLibDir)
	}
	var c []Candidate
	if s.ExeDir != "" {
		c = append(c,
			Candidate{Dir: s.ExeDir, Source: "executable directory"},
			Candidate{Dir: filepath.Join(s.ExeDir, sub), Source: "executable directory"})
	}
	if s.Cwd != "" {
		c = append(c, Candidate{Dir: filepath.Join(s.Cwd, sub), Source: "working directory"})
	}
	return c
}

// DefaultSearch returns a Search for the running process: the executable's
// directory, the working directory and [EnvLibDir], for the given explicit
// path (which may be empty) and backend.
func DefaultSearch(path string, b Backend, goos, goarch string) Search {
	s := Search{Path: path, EnvDir: os.Getenv(EnvLibDir), GOOS: goos, GOARCH: goarch, Backend: b}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		s.ExeDir = filepath.Dir(exe)
	}
	s.Cwd, _ = os.Getwd()
	return s
}

// Found is the result of a successful [Find].
type Found struct {
	// Dir holds the library and its sibling ggml libraries.
	Dir string
	// Llama is the path of the llama library file.
	Llama string
	// Source is the [Candidate.Source] that matched.
	Source string
}

// NotFoundError lists every path [Find] tried. It matches
// [ErrLibraryNotFound] with [errors.Is].
type NotFoundError struct {
	Tried []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%v; tried: %s (install it with `make lib`, or set %s)",
		ErrLibraryNotFound, strings.Join(e.Tried, ", "), EnvLibDir)
}

// Is reports whether target is [ErrLibraryNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrLibraryNotFound }

// Find returns the first candidate of s that holds a llama library for
// s.GOOS. A candidate that is a file is taken as the library itself.
func Find(s Search) (Found, error) {
	var tried []string
	for _, c := range s.Candidates() {
		tried = append(tried, c.Dir)
		fi, err := os.Stat(c.Dir)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			return Found{Dir: filepath.Dir(c.Dir), Llama: c.Dir, Source: c.Source}, nil
		}
		if name := llamaIn(c.Dir, s.GOOS); name != "" {
			return Found{Dir: c.Dir, Llama: filepath.Join(c.Dir, name), Source: c.Source}, nil
		}
	}
	return Found{}, &NotFoundError{Tried: tried}
}

// llamaIn returns the name of the llama library in dir, or "".
func llamaIn(dir, goos string) string { return firstMatch(dir, goos, IsLlamaLibrary) }

// firstMatch returns the name of the first file in dir that match accepts,
// or "". When several match, the lexically first is taken, so the choice
// is stable.
func firstMatch(dir, goos string, match func(goos, name string) bool) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && match(goos, e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return names[0]
}

var llamaPatterns = map[string]*regexp.Regexp{
	"linux":   regexp.MustCompile(`^libllama(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.so(\.\d+)*$`),
	"freebsd": regexp.MustCompile(`^libllama(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.so(\.\d+)*$`),
	"darwin":  regexp.MustCompile(`^libllama(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?(\.\d+)*\.dylib$`),
	"windows": regexp.MustCompile(`^(lib)?llama(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.dll$`),
}

var ggmlPatterns = map[string]*regexp.Regexp{
	"linux":   regexp.MustCompile(`^libggml(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.so(\.\d+)*$`),
	"freebsd": regexp.MustCompile(`^libggml(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.so(\.\d+)*$`),
	"darwin":  regexp.MustCompile(`^libggml(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?(\.\d+)*\.dylib$`),
	"windows": regexp.MustCompile(`^(lib)?ggml(\.[a-z][a-z0-9_]*)?(\.v\d+(\.\d+)*)?\.dll$`),
}

// IsGgmlLibrary reports whether name is the main ggml library (the one
// with the backend registry) for goos, such as libggml.v0.5.0.so or
// ggml.dll; libggml-base and the per-CPU libggml-cpu-* variants are not.
func IsGgmlLibrary(goos, name string) bool {
	re, ok := ggmlPatterns[goos]
	return ok && re.MatchString(name)
}

// GgmlIn returns the path of the main ggml library in dir, or "" if there
// is none.
func GgmlIn(dir, goos string) string {
	if name := firstMatch(dir, goos, IsGgmlLibrary); name != "" {
		return filepath.Join(dir, name)
	}
	return ""
}

// IsLlamaLibrary reports whether name is a llama library file for goos. The
// prebuilt packages add a version and sometimes a backend to the name
// (libllama.v0.5.0.so, libllama.cuda.v0.5.0.so), and upstream builds add a
// SONAME suffix (libllama.so.0); all match, while siblings such as
// libllama-common.so and libggml.v0.5.0.so do not.
func IsLlamaLibrary(goos, name string) bool {
	re, ok := llamaPatterns[goos]
	return ok && re.MatchString(name)
}
