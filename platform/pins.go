package platform

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrNotPinned is matched by the error [PinFor] returns for a platform
// and backend with no pinned library package.
var ErrNotPinned = errors.New("platform: no pinned library")

//go:embed pins.txt
var pinsText string

// Package is one pinned npm package: its name, version and the sha256 of
// the tarball `npm pack` writes.
type Package struct {
	// Name is the npm name, such as "@node-llama-cpp/linux-x64".
	Name string
	// Version is the npm version, such as "3.22.1".
	Version string
	// SHA256 is the hex sha256 of the tarball.
	SHA256 string
}

// Spec returns the name@version that npm is given.
func (p Package) Spec() string { return p.Name + "@" + p.Version }

// Tarball returns the file name `npm pack` gives the package, such as
// "node-llama-cpp-linux-x64-3.22.1.tgz".
func (p Package) Tarball() string {
	name := strings.ReplaceAll(strings.TrimPrefix(p.Name, "@"), "/", "-")
	return name + "-" + p.Version + ".tgz"
}

// Pin is the library pinned for one operating system, architecture and
// backend: one or more packages (CUDA adds a fallback package) of one
// llama.cpp release.
type Pin struct {
	GOOS, GOARCH string
	Backend      Backend
	Packages     []Package
	// LlamaVersion is what llama_version() of the library returns, such
	// as "0.5.0".
	LlamaVersion string
}

// Dir returns the name of the directory the pin is installed into, such
// as "linux-amd64-cpu" (see [LibDirName]).
func (p Pin) Dir() string { return LibDirName(p.GOOS, p.GOARCH, p.Backend) }

// Specs returns the pin's packages as one line, such as
// "@node-llama-cpp/linux-x64-cuda@3.22.1 + @node-llama-cpp/linux-x64@3.22.1".
func (p Pin) Specs() string {
	specs := make([]string, len(p.Packages))
	for i, pkg := range p.Packages {
		specs[i] = pkg.Spec()
	}
	return strings.Join(specs, " + ")
}

// Source is a pinned llama.cpp source: the node-llama-cpp package whose
// llama/gitRelease.bundle holds it.
type Source struct {
	Package
	// LlamaVersion, Tag and Commit name the llama.cpp release.
	LlamaVersion, Tag, Commit string
}

type pinTable struct {
	pins    []Pin
	sources []Source
	err     error
}

var pins = sync.OnceValue(func() pinTable { return parsePins(pinsText) })

// parsePins reads the table of pins.txt.
func parsePins(text string) pinTable {
	var t pinTable
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		bad := func(why string) pinTable {
			return pinTable{err: fmt.Errorf("platform: pins.txt line %d: %s: %q", n+1, why, line)}
		}
		switch {
		case f[0] == "lib" && len(f) == 8:
			b, err := ParseBackend(f[3])
			if err != nil {
				return bad(err.Error())
			}
			pkg := Package{Name: f[4], Version: f[5], SHA256: f[7]}
			if i := slices.IndexFunc(t.pins, func(p Pin) bool { return p.GOOS == f[1] && p.GOARCH == f[2] && p.Backend == b }); i >= 0 {
				if t.pins[i].LlamaVersion != f[6] {
					return bad("one platform, two llama.cpp versions")
				}
				t.pins[i].Packages = append(t.pins[i].Packages, pkg)
				continue
			}
			t.pins = append(t.pins, Pin{GOOS: f[1], GOARCH: f[2], Backend: b, Packages: []Package{pkg}, LlamaVersion: f[6]})
		case f[0] == "source" && len(f) == 7:
			t.sources = append(t.sources, Source{Package: Package{Name: f[1], Version: f[2], SHA256: f[6]},
				LlamaVersion: f[3], Tag: f[4], Commit: f[5]})
		default:
			return bad("want `lib GOOS GOARCH BACKEND PACKAGE VERSION LLAMA SHA256` or `source PACKAGE VERSION LLAMA TAG COMMIT SHA256`")
		}
	}
	return t
}

// Pins returns every pinned library, in the order of pins.txt.
func Pins() []Pin {
	t := pins()
	if t.err != nil {
		panic(t.err) // pins.txt is embedded: TestPins keeps it readable
	}
	return slices.Clone(t.pins)
}

// Sources returns the pinned llama.cpp sources, one per llama.cpp release
// that a pinned library was built from.
func Sources() []Source {
	t := pins()
	if t.err != nil {
		panic(t.err)
	}
	return slices.Clone(t.sources)
}

// PinFor returns the pinned library of goos, goarch and backend b (the
// zero backend means CPU). The error matches [ErrNotPinned] and names
// what is pinned.
func PinFor(goos, goarch string, b Backend) (Pin, error) {
	if b.IsZero() {
		b = CPU
	}
	if b == Native {
		return NativePin(goos, goarch)
	}
	var have []string
	for _, p := range Pins() {
		if p.GOOS == goos && p.GOARCH == goarch && p.Backend == b {
			return p, nil
		}
		have = append(have, p.GOOS+"/"+p.GOARCH+"/"+p.Backend.String())
	}
	return Pin{}, fmt.Errorf("%w for %s/%s/%s (pinned: %s)", ErrNotPinned, goos, goarch, b, strings.Join(have, ", "))
}

// LlamaVersions returns the llama.cpp versions pinned for goos and goarch
// (one per release the platform's backends were built from): the only
// versions the bindings accept there.
func LlamaVersions(goos, goarch string) []string {
	var vs []string
	for _, p := range Pins() {
		if p.GOOS == goos && p.GOARCH == goarch && !slices.Contains(vs, p.LlamaVersion) {
			vs = append(vs, p.LlamaVersion)
		}
	}
	return vs
}

// NativePin returns the pin of the [Native] library of goos and goarch:
// the pinned source of the llama.cpp release that the platform's
// prebuilt libraries were built from (the first one, as pins.txt lists
// them), as its one package. `embellama lib build` compiles it; its
// manifest names that package like an installed library's, so the same
// checks hold. The error matches [ErrNotPinned].
func NativePin(goos, goarch string) (Pin, error) {
	vs := LlamaVersions(goos, goarch)
	if len(vs) == 0 {
		return Pin{}, fmt.Errorf("%w for %s/%s: no library is pinned there, so no source either", ErrNotPinned, goos, goarch)
	}
	src, err := SourceFor(vs[0])
	if err != nil {
		return Pin{}, err
	}
	return Pin{GOOS: goos, GOARCH: goarch, Backend: Native, Packages: []Package{src.Package}, LlamaVersion: src.LlamaVersion}, nil
}

// SourceFor returns the pinned source of llama.cpp version v (what
// llama_version() returns, such as "0.5.0"). The error matches
// [ErrNotPinned].
func SourceFor(v string) (Source, error) {
	for _, s := range Sources() {
		if s.LlamaVersion == v {
			return s, nil
		}
	}
	return Source{}, fmt.Errorf("%w: no source pinned for llama.cpp %s", ErrNotPinned, v)
}
