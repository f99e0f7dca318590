package platform

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvLibDir names the environment variable that points at the native
// libraries: a directory holding them (or holding lib/<os>-<arch>-<backend>
// or <os>-<arch>-<backend> folders), or a llama library file. When set it
// is the only place searched.
const EnvLibDir = "EMBELLAMA_LIB_DIR"

// EnvLibAlias is an older name of [EnvLibDir], kept as an alias: it is
// read only when EnvLibDir is unset, with the same meaning.
const EnvLibAlias = "EMBELLAMA_LIB"

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
	// EnvDir is the value of [EnvLibDir] (or of [EnvLibAlias], as EnvName
	// says). When set (and Path is not), it is the only place searched.
	EnvDir string
	// EnvName is the variable EnvDir was read from; "" means [EnvLibDir].
	EnvName string
	// ExeDir is the directory of the running executable.
	ExeDir string
	// UserDir is the user's library location, where `embellama lib
	// install` puts libraries outside a checkout (see [UserLibDir]).
	UserDir string
	// Cwd is the working directory.
	Cwd string
	// Checkout is the root of the embellama source checkout the working
	// directory is in, or "": it changes only the hint of the error.
	Checkout string
	// GOOS and GOARCH select file names and the lib/ subdirectory.
	GOOS, GOARCH string
	// Backend selects the lib/ subdirectory; the zero value means CPU.
	Backend Backend
	// CLI is set when the searching program is the embellama command,
	// and CLIPath names an embellama command beside a Go program (in its
	// directory or on PATH), or is "". Like Checkout, they change only
	// the hint of the error: each caller is told what it can run (see
	// [NotFoundError.Hint]).
	CLI     bool
	CLIPath string
}

// Candidate is one place [Find] looks, and why.
type Candidate struct {
	// Dir is a directory, or a file when the caller named one explicitly.
	Dir string
	// Source says where the candidate came from: "explicit path", the
	// environment variable's name, "executable directory", "user library
	// directory" or "working directory".
	Source string
}

// LibDirName returns the name of the directory that `embellama lib
// install` installs the libraries for goos, goarch and backend into, such
// as "linux-amd64-cpu".
func LibDirName(goos, goarch string, b Backend) string {
	if b.IsZero() {
		b = CPU
	}
	return goos + "-" + goarch + "-" + b.String()
}

// UserLibDir returns the user's library location: the lib folder of
// embellama's directory in the user cache (os.UserCacheDir: ~/.cache on
// Linux, ~/Library/Caches on macOS, %LocalAppData% on Windows), holding one
// <os>-<arch>-<backend> folder per installed library.
func UserLibDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("platform: user library directory: %w", err)
	}
	return filepath.Join(c, userLibRel), nil
}

// userLibRel is [UserLibDir] below the user cache directory.
var userLibRel = filepath.Join("embellama", "lib")

// Candidates returns the places to look for the library, most specific
// first, each once. An explicit path or the environment variable, when
// given, replace the default places rather than add to them: a user who
// names a library must not silently get another one. The default places
// are the executable's directory (a release archive), <exe>/../lib/<dir>
// (a checkout's bin/ and an installed prefix), the user library
// directory, and ./lib/<dir>.
func (s Search) Candidates() []Candidate {
	name := LibDirName(s.GOOS, s.GOARCH, s.Backend)
	var c []Candidate
	seen := map[string]bool{}
	add := func(dir, source string) {
		if dir == "" {
			return
		}
		dir = filepath.Clean(dir)
		if !seen[dir] {
			seen[dir] = true
			c = append(c, Candidate{Dir: dir, Source: source})
		}
	}
	below := func(dir, source string) {
		add(dir, source)
		add(filepath.Join(dir, name), source)
		add(filepath.Join(dir, "lib", name), source)
	}
	switch {
	case s.Path != "":
		below(s.Path, "explicit path")
		return c
	case s.EnvDir != "":
		below(s.EnvDir, s.envName())
		return c
	}
	for _, p := range defaultPlaces {
		if root := p.root(s); root != "" {
			add(filepath.Join(root, p.rel(name)), p.source)
		}
	}
	return c
}

// defaultPlaces are the places searched when neither a path nor the
// environment variable names one, in order: the one list that both
// [Search.Candidates] walks and [DescribeSearch] describes.
var defaultPlaces = []struct {
	source string                   // Candidate.Source
	what   string                   // how DescribeSearch names root
	root   func(s Search) string    // "" when unknown
	rel    func(name string) string // below root, for the lib/ folder name
}{
	{"executable directory", "<executable's directory>", func(s Search) string { return s.ExeDir }, func(string) string { return "" }},
	{"executable directory", "<executable's directory>", func(s Search) string { return s.ExeDir }, func(n string) string { return filepath.Join("..", "lib", n) }},
	{"user library directory", "<user cache>/" + filepath.ToSlash(userLibRel), func(s Search) string { return s.UserDir }, func(n string) string { return n }},
	{"working directory", ".", func(s Search) string { return s.Cwd }, func(n string) string { return filepath.Join("lib", n) }},
}

// DescribeSearch says in one line where [DefaultSearch] looks for the
// library when no path is given, in order, as the help of the CLI's -lib
// and the documentation show it.
func DescribeSearch() string {
	places := make([]string, 0, len(defaultPlaces))
	for _, p := range defaultPlaces {
		d := p.what
		if rel := filepath.ToSlash(p.rel("<os>-<arch>-<backend>")); rel != "" {
			d += "/" + rel
		}
		places = append(places, d)
	}
	return "$" + EnvLibDir + " alone when set (a file or a directory, with its <os>-<arch>-<backend>/ and lib/<os>-<arch>-<backend>/; $" +
		EnvLibAlias + ", its older name, when " + EnvLibDir + " is unset), else " +
		strings.Join(places, ", ")
}

func (s Search) envName() string {
	if s.EnvName == "" {
		return EnvLibDir
	}
	return s.EnvName
}

// DefaultSearch returns a Search for the running process: the explicit
// path (which may be empty), [EnvLibDir] (or its alias [EnvLibAlias]), the
// executable's directory, the user library directory and the working
// directory, for the given backend.
func DefaultSearch(path string, b Backend, goos, goarch string) Search {
	s := Search{Path: path, EnvDir: os.Getenv(EnvLibDir), GOOS: goos, GOARCH: goarch, Backend: b}
	if s.EnvDir == "" {
		if v := os.Getenv(EnvLibAlias); v != "" {
			s.EnvDir, s.EnvName = v, EnvLibAlias
		}
	}
	if exe, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(exe); err == nil {
			exe = r
		}
		s.ExeDir = filepath.Dir(exe)
	}
	s.UserDir, _ = UserLibDir()
	s.Cwd, _ = os.Getwd()
	s.Checkout = CheckoutRoot(s.Cwd)
	s.CLI, s.CLIPath = cliBeside(s.ExeDir, goos)
	return s
}

// CheckoutRoot returns the root of the embellama source checkout that dir
// is in (the directory above it whose go.mod declares this module), or "".
func CheckoutRoot(dir string) string {
	for dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(first) == "module github.com/embellama/embellama" {
				return dir
			}
			return "" // another module
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

// Found is the result of a successful [Find].
type Found struct {
	// Files are the library's files; Files.Dir holds them all.
	Files
	// Source is the [Candidate.Source] that matched.
	Source string
}

// Find returns the first candidate of s that holds a llama library for
// s.GOOS, with every file of its directory the loader needs. A candidate
// that is a file is taken as the library itself.
func Find(s Search) (Found, error) {
	nf := &NotFoundError{GOOS: s.GOOS, GOARCH: s.GOARCH, Backend: s.Backend, Checkout: s.Checkout,
		CLI: s.CLI, CLIPath: s.CLIPath}
	if s.Path == "" && s.EnvDir != "" {
		nf.Env = s.envName()
	}
	nf.Explicit = s.Path != ""
	for _, c := range s.Candidates() {
		nf.Tried = append(nf.Tried, c.Dir)
		fi, err := os.Stat(c.Dir)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			return Found{Files: ScanFile(c.Dir, s.GOOS), Source: c.Source}, nil
		}
		if f := Scan(c.Dir, s.GOOS); f.Llama != "" {
			return Found{Files: f, Source: c.Source}, nil
		}
		nf.Existing = append(nf.Existing, c.Dir)
	}
	return Found{}, nf
}

// FindFirst returns the library of the first backend of bs that [Find]
// finds with s (s.Backend is ignored), and that backend: the automatic
// choice, walked over [Preferred]. A [Native] library counts only from
// its own <os>-<arch>-native folder, so that a library beside the
// executable or named by the environment is never taken for one built
// for this CPU. With none found it returns the error of the last
// backend's search.
func FindFirst(s Search, bs []Backend) (Found, Backend, error) {
	var err error
	for _, b := range bs {
		s.Backend = b
		var f Found
		f, err = Find(s)
		if err != nil {
			continue
		}
		if b == Native && filepath.Base(f.Dir) != LibDirName(s.GOOS, s.GOARCH, Native) {
			err = &NotFoundError{GOOS: s.GOOS, GOARCH: s.GOARCH, Backend: b, Tried: []string{f.Dir}}
			continue
		}
		return f, b, nil
	}
	if err == nil {
		err = &NotFoundError{GOOS: s.GOOS, GOARCH: s.GOARCH}
	}
	return Found{}, Backend{}, err
}
