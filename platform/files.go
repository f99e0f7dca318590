package platform

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Files is every file of an installed library directory that the loader
// needs, as one discovery result: the llama library, the main ggml library
// (the backend registry), ggml-base, and the backend modules that
// ggml_backend_load_all_from_path loads from the same directory (the CPU
// variants and the GPU backends). Paths are absolute when Dir is.
type Files struct {
	// Dir is the directory the files are in.
	Dir string
	// Llama is the llama library.
	Llama string
	// Ggml is the main ggml library, or "" (an upstream build may link it
	// into Llama's dependencies under another name).
	Ggml string
	// Base is ggml-base, or "".
	Base string
	// CPU lists the CPU backend modules: one per instruction-set variant
	// (libggml-cpu-haswell.so, ggml-cpu-x64.dll) or a single ggml-cpu.
	CPU []string
	// Modules maps the name of every other backend module (such as "cuda",
	// "vulkan", "metal", "blas") to its file.
	Modules map[string]string
}

// Module returns the file of the backend module name ("cuda", "cpu"...)
// or "". For "cpu" it returns the first CPU variant.
func (f Files) Module(name string) string {
	name = strings.ToLower(name)
	if name == "cpu" {
		if len(f.CPU) > 0 {
			return f.CPU[0]
		}
		return ""
	}
	return f.Modules[name]
}

// All returns every file of f, the llama library first.
func (f Files) All() []string {
	var all []string
	for _, p := range []string{f.Llama, f.Ggml, f.Base} {
		if p != "" {
			all = append(all, p)
		}
	}
	all = append(all, f.CPU...)
	names := make([]string, 0, len(f.Modules))
	for n := range f.Modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		all = append(all, f.Modules[n])
	}
	return all
}

// ScanNames classifies the file names of one directory for goos. llama is
// the name of the llama library when the caller knows it (an explicit
// path with a name of its own); "" picks it by name.
func ScanNames(dir, goos string, names []string, llama string) Files {
	sort.Strings(names)
	f := Files{Dir: dir, Modules: map[string]string{}}
	join := func(n string) string { return filepath.Join(dir, n) }
	if llama != "" {
		f.Llama = join(llama)
	}
	for _, n := range names {
		switch {
		case IsLlamaLibrary(goos, n):
			if f.Llama == "" {
				f.Llama = join(n)
			}
		case IsGgmlLibrary(goos, n):
			if f.Ggml == "" {
				f.Ggml = join(n)
			}
		default:
			mod, ok := moduleName(goos, n)
			switch {
			case !ok:
			case mod == "base":
				f.Base = join(n)
			case mod == "cpu" || strings.HasPrefix(mod, "cpu-"):
				f.CPU = append(f.CPU, join(n))
			default:
				if _, dup := f.Modules[mod]; !dup {
					f.Modules[mod] = join(n)
				}
			}
		}
	}
	return f
}

// Scan is [ScanNames] on the files of dir; it returns Files with an empty
// Llama when dir cannot be read or holds no llama library.
func Scan(dir, goos string) Files {
	return ScanNames(dir, goos, fileNames(dir), "")
}

// ScanFile is [Scan] of the directory of the llama library file, which
// may have a name of its own.
func ScanFile(file, goos string) Files {
	dir := filepath.Dir(file)
	return ScanNames(dir, goos, fileNames(dir), filepath.Base(file))
}

// fileNames lists the regular files (or links to them) in dir.
func fileNames(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// Module files are named libggml-NAME.so on Linux and macOS (ggml loads
// backend modules with the .so suffix there, even on macOS) and
// ggml-NAME.dll on Windows.
var modulePatterns = map[string]*regexp.Regexp{
	"linux":   regexp.MustCompile(`^libggml-([a-z][a-z0-9_.-]*?)\.so(\.\d+)*$`),
	"freebsd": regexp.MustCompile(`^libggml-([a-z][a-z0-9_.-]*?)\.so(\.\d+)*$`),
	"darwin":  regexp.MustCompile(`^libggml-([a-z][a-z0-9_.-]*?)\.(so|dylib)$`),
	"windows": regexp.MustCompile(`^(?:lib)?ggml-([a-z][a-z0-9_.-]*?)\.dll$`),
}

// moduleName returns the backend name of a ggml module file (such as
// "cuda", "cpu-haswell", "base"), or false when name is none.
func moduleName(goos, name string) (string, bool) {
	re, ok := modulePatterns[goos]
	if !ok {
		return "", false
	}
	m := re.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
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
// with the backend registry) for goos, such as libggml.v0.5.0.so,
// libggml.metal.v0.4.0.dylib or ggml.v0.4.0.dll; ggml-base and the
// backend modules are not.
func IsGgmlLibrary(goos, name string) bool {
	re, ok := ggmlPatterns[goos]
	return ok && re.MatchString(name)
}

// IsLlamaLibrary reports whether name is a llama library file for goos. The
// prebuilt packages add a version and sometimes a backend to the name
// (libllama.v0.5.0.so, libllama.cuda.v0.5.0.so, llama.vulkan.v0.4.0.dll),
// and upstream builds add a SONAME suffix (libllama.so.0); all match, while
// siblings such as libllama-common.so and libggml.v0.5.0.so do not.
func IsLlamaLibrary(goos, name string) bool {
	re, ok := llamaPatterns[goos]
	return ok && re.MatchString(name)
}

// IsSharedLibrary reports whether name is a shared library or backend
// module of any supported system (.so, .so.N, .dylib, .dll): what an
// installer keeps from a package.
func IsSharedLibrary(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.") ||
		strings.HasSuffix(name, ".dylib") || strings.HasSuffix(name, ".dll")
}
