package nativebuild

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrMissingTool is matched by the error of [Build] when a tool it needs
// is not installed: CMake, a C or C++ compiler, or git (which unpacks
// the source bundle). The error names each missing tool on a line of its
// own, with how to install it.
var ErrMissingTool = errors.New("nativebuild: missing tool")

// Tools are the programs a build runs, as found on PATH.
type Tools struct {
	CMake, CC, CXX, Git string
}

// tool is one program a build needs: the environment variable that
// names it (CC, CXX), the names tried on PATH, and the advice given when
// none is found.
type tool struct {
	what   string
	env    string
	names  []string
	advice string
	dst    func(*Tools) *string
}

var tools = []tool{
	{"cmake", "", []string{"cmake"}, "install CMake 3.14 or newer (Debian/Ubuntu: apt-get install cmake; macOS: brew install cmake; Windows: winget install Kitware.CMake)",
		func(t *Tools) *string { return &t.CMake }},
	{"a C compiler", "CC", []string{"gcc", "cc", "clang"}, "install GCC or Clang (Debian/Ubuntu: apt-get install build-essential; macOS: xcode-select --install), or set CC",
		func(t *Tools) *string { return &t.CC }},
	{"a C++ compiler", "CXX", []string{"g++", "c++", "clang++"}, "install g++ or clang++ (Debian/Ubuntu: apt-get install g++; macOS: xcode-select --install), or set CXX",
		func(t *Tools) *string { return &t.CXX }},
	{"git", "", []string{"git"}, "install git, which unpacks the source bundle (Debian/Ubuntu: apt-get install git)",
		func(t *Tools) *string { return &t.Git }},
}

// FindTools finds every tool a build needs with lookPath (exec.LookPath
// when nil) and getenv: CC and CXX, when set, name the compilers; else
// GCC comes first: Clang 14 built no faster a library (1.00x F16,
// 0.99x Q8_0 on the MiniLM shape, docs/performance.md, "Native build
// flags"). The error joins one [ErrMissingTool] line per missing tool.
func FindTools(getenv func(string) string, lookPath func(string) (string, error)) (Tools, error) {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	var t Tools
	var errs []error
	for _, tl := range tools {
		names := tl.names
		if tl.env != "" && getenv(tl.env) != "" {
			names = []string{getenv(tl.env)}
		}
		found := ""
		for _, n := range names {
			if p, err := lookPath(n); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			tried := strings.Join(names, ", ")
			if tl.env != "" && getenv(tl.env) != "" {
				tried = "$" + tl.env + "=" + getenv(tl.env)
			}
			errs = append(errs, fmt.Errorf("%w: %s (tried %s): %s", ErrMissingTool, tl.what, tried, tl.advice))
			continue
		}
		*tl.dst(&t) = found
	}
	return t, errors.Join(errs...)
}
