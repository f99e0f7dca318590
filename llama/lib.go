package llama

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/embellama/embellama/loader"
	"github.com/embellama/embellama/platform"
)

// PinnedVersion is the llama.cpp release these bindings mirror; it must
// match LLAMA_CPP_LIBRARY_VERSION in the repository's LLAMA_CPP_VERSION
// file. [Load] accepts exactly the releases pinned for the running
// platform ([AcceptedVersions]): this one on Linux, the release of the
// newest macOS and Windows packages there (their structs are the same, as
// the layout test checks against both sources).
const PinnedVersion = "0.5.0"

// AcceptedVersions returns the llama.cpp releases [Load] accepts on goos
// and goarch: those pinned for the platform (platform.LlamaVersions), or
// [PinnedVersion] where nothing is pinned.
func AcceptedVersions(goos, goarch string) []string {
	if vs := platform.LlamaVersions(goos, goarch); len(vs) > 0 {
		return vs
	}
	return []string{PinnedVersion}
}

// Library is the loaded native library. There is at most one per process.
type Library struct {
	path    string
	dir     string
	files   platform.Files
	version string
	llama   *loader.Library
	ggml    *loader.Library
	base    *loader.Library

	loadErrors []string
	// missingOptional are the optional functions (classifier.go) the
	// library does not export.
	missingOptional []string
}

var (
	loadMu sync.Mutex
	loaded *Library
)

// Loaded returns the library loaded by [Load], or nil.
func Loaded() *Library {
	loadMu.Lock()
	defer loadMu.Unlock()
	return loaded
}

// Load opens the llama library at path (and the ggml library beside it,
// as [platform.Scan] finds the files of its directory): [LoadFiles] for
// the files of path's directory.
func Load(path string) (*Library, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	return LoadFiles(platform.ScanFile(abs, runtime.GOOS))
}

// LoadFiles opens the llama library files.Llama (and files.Ggml),
// checks that it is the pinned release, binds every function this package
// uses, loads the ggml backends found in the same directory (the best CPU
// variant for this machine, and GPU backends), and initialises llama.cpp.
//
// Load is idempotent for the same path. A second, different library gives
// [ErrAlreadyLoaded], but only after it has been checked, so a wrong
// library is reported as what is wrong with it.
//
// Errors match [loader.ErrNotFound], [loader.ErrNotLoadable],
// [loader.ErrMissingSymbol] (listing every missing function), or
// [ErrVersion].
func LoadFiles(files platform.Files) (*Library, error) {
	abs, err := filepath.Abs(files.Llama)
	if err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	loadMu.Lock()
	defer loadMu.Unlock()
	if loaded != nil && loaded.path == abs {
		return loaded, nil
	}

	lib, err := open(abs, files)
	if err != nil {
		return nil, err
	}
	if loaded != nil {
		lib.close()
		return nil, fmt.Errorf("%w: %s (loaded: %s)", ErrAlreadyLoaded, abs, loaded.path)
	}
	if err := lib.bind(); err != nil {
		lib.close()
		return nil, err
	}
	loaded = lib
	lib.init()
	return lib, nil
}

// open opens the files and checks version and symbols without binding
// anything to the package's function variables.
func open(path string, files platform.Files) (*Library, error) {
	ll, err := loader.Open(path)
	if err != nil {
		return nil, err
	}
	lib := &Library{path: path, dir: filepath.Dir(path), files: files, llama: ll}
	if files.Ggml != "" {
		if lib.ggml, err = loader.Open(files.Ggml); err != nil {
			lib.close()
			return nil, err
		}
	}
	if files.Base != "" {
		if lib.base, err = loader.Open(files.Base); err != nil {
			lib.close()
			return nil, err
		}
	}

	var version func() string
	if err := ll.Bind([]loader.Binding{{Fn: &version, Name: "llama_version"}}); err != nil {
		lib.close()
		if errors.Is(err, loader.ErrMissingSymbol) {
			// Older releases have no llama_version; say what the rest lacks.
			return nil, fmt.Errorf("%w (is it llama.cpp %s?)", lib.check(), PinnedVersion)
		}
		return nil, err
	}
	lib.version = version()
	accepted := AcceptedVersions(runtime.GOOS, runtime.GOARCH)
	if !slices.ContainsFunc(accepted, func(want string) bool { return versionMatches(lib.version, want) }) {
		lib.close()
		return nil, fmt.Errorf("%w: %s is llama.cpp %q, embellama is built for %q on %s/%s",
			ErrVersion, path, lib.version, strings.Join(accepted, `" or "`), runtime.GOOS, runtime.GOARCH)
	}
	if err := lib.check(); err != nil {
		lib.close()
		return nil, err
	}
	return lib, nil
}

// versionMatches reports whether got (such as "0.5.0-dev") is release want.
func versionMatches(got, want string) bool {
	rest, ok := strings.CutPrefix(got, want)
	return ok && (rest == "" || rest[0] == '-' || rest[0] == '+')
}

// tables returns the binding tables with the library each is bound from.
func (l *Library) tables() []struct {
	lib   *loader.Library
	table []loader.Binding
} {
	g := l.ggml
	if g == nil {
		// On Unix, dlsym on libllama also searches its dependency libggml.
		g = l.llama
	}
	base := l.base
	if base == nil {
		base = g
	}
	return []struct {
		lib   *loader.Library
		table []loader.Binding
	}{
		{l.llama, llamaTable()},
		{g, ggmlTable()},
		{base, ggmlBaseTable()},
	}
}

// check reports every symbol missing from either library, in one error.
func (l *Library) check() error {
	var errs []error
	for _, t := range l.tables() {
		if err := t.lib.Check(t.table); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *Library) bind() error {
	for _, t := range l.tables() {
		if err := t.lib.Bind(t.table); err != nil {
			return err
		}
	}
	var err error
	l.missingOptional, err = bindOptional(l.llama, optionalFuncs)
	return err
}

func (l *Library) init() {
	installLogger()
	capture.Lock()
	capture.lines = &l.loadErrors
	capture.Unlock()
	ggmlBackendLoadAllFromPath(l.dir)
	capture.Lock()
	capture.lines = nil
	capture.Unlock()
	llamaBackendInit()
}

// LoadErrors returns the warnings and errors ggml logged while loading
// the backends of the library's directory, such as a GPU backend whose
// driver or runtime is missing ("failed to load libggml-cuda.so: ...").
func (l *Library) LoadErrors() []string { return append([]string(nil), l.loadErrors...) }

// ProbeBackend explains why the ggml backend name (such as "cuda" or
// "vulkan") is not in use: it opens the backend's module from the
// library's directory and returns the loader's error (typically a missing
// driver or runtime library), or nil when the module loads (the backend
// then found no device).
func (l *Library) ProbeBackend(name string) error {
	file := l.files.Module(name)
	if file == "" {
		return fmt.Errorf("llama: no %s backend module in %s", name, l.dir)
	}
	m, err := loader.Open(file)
	if err != nil {
		return err
	}
	m.Close()
	return nil
}

// HasGPU reports whether any loaded ggml device is a GPU (discrete or
// integrated) or an accelerator.
func (l *Library) HasGPU() bool {
	for _, d := range l.Devices() {
		if d.Type == DeviceGPU || d.Type == DeviceIGPU || d.Type == DeviceAccel {
			return true
		}
	}
	return false
}

func (l *Library) close() {
	if l.base != nil {
		l.base.Close()
	}
	if l.ggml != nil {
		l.ggml.Close()
	}
	l.llama.Close()
}

// Path returns the absolute path of the llama library file.
func (l *Library) Path() string { return l.path }

// Files returns the library's files, as discovery found them.
func (l *Library) Files() platform.Files { return l.files }

// Dir returns the directory the ggml backends were loaded from.
func (l *Library) Dir() string { return l.dir }

// Version returns what llama_version() reported, such as "0.5.0-dev".
func (l *Library) Version() string { return l.version }

// SystemInfo returns llama_print_system_info(): the CPU features ggml was
// built with and uses.
func (l *Library) SystemInfo() string { return strings.TrimSpace(llamaPrintSystemInfo()) }

// Symbols returns the name of every C function embellama binds: the
// surface a replacement library must export.
func Symbols() []string {
	var names []string
	for _, b := range slices.Concat(llamaTable(), ggmlTable(), ggmlBaseTable()) {
		names = append(names, b.Name)
	}
	return append(names, "llama_version")
}

// llamaTable lists every llama function this package binds, by area.
func llamaTable() []loader.Binding {
	var t []loader.Binding
	for _, area := range [][]loader.Binding{systemFuncs, modelFuncs, contextFuncs, batchFuncs, vocabFuncs, textFuncs, quantizeFuncs} {
		t = append(t, area...)
	}
	return t
}
