package loader

import (
	"debug/pe"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// MissingDependencyError says which DLLs a Windows library imports,
// directly or through a library beside it, that the loader's search path
// does not hold, and, when they belong to the Microsoft Visual C++
// runtime (the pinned Windows libraries import MSVCP140.dll,
// VCRUNTIME140.dll and VCRUNTIME140_1.dll), which Redistributable
// installs them. It matches [ErrMissingDependency] and [ErrNotLoadable].
type MissingDependencyError struct {
	// Library is the library that was opened.
	Library string
	// Missing lists the imported DLL names that no searched folder holds,
	// as the import tables spell them.
	Missing []string
	// Searched lists the folders looked in: the library's own, the
	// executable's and the system folder.
	Searched []string
	// Arch is the Redistributable's architecture for the library's
	// machine: "x64", "arm64" or "x86".
	Arch string
	// Err is the operating system's error.
	Err error
}

func (e *MissingDependencyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s needs %s, found in none of %s", ErrMissingDependency,
		e.Library, strings.Join(e.Missing, ", "), strings.Join(e.Searched, ", "))
	if e.VCRuntime() {
		arch := e.Arch
		if arch == "" {
			arch = "x64"
		}
		fmt.Fprintf(&b, ": install the Microsoft Visual C++ Redistributable 2015-2022 (%s), which brings them, "+
			"from https://aka.ms/vs/17/release/vc_redist.%s.exe or in PowerShell with "+
			"`winget install --id Microsoft.VCRedist.2015+.%s`", arch, arch, arch)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

// VCRuntime reports whether a missing DLL belongs to the Microsoft
// Visual C++ runtime.
func (e *MissingDependencyError) VCRuntime() bool {
	for _, m := range e.Missing {
		if isVCRuntime(m) {
			return true
		}
	}
	return false
}

// Is reports whether target is [ErrMissingDependency] or [ErrNotLoadable].
func (e *MissingDependencyError) Is(target error) bool {
	return target == ErrMissingDependency || target == ErrNotLoadable
}

// Unwrap returns the operating system's error.
func (e *MissingDependencyError) Unwrap() error { return e.Err }

// isVCRuntime reports whether the DLL name is one of the Visual C++
// runtime's (msvcp140*, vcruntime140*, vcomp140 for OpenMP, concrt140).
func isVCRuntime(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"msvcp140", "vcruntime140", "vcomp140", "concrt140"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// isAPISet reports whether the DLL name is an API set (api-ms-win-*,
// ext-ms-*), which Windows resolves without a file of that name.
func isAPISet(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "api-ms-") || strings.HasPrefix(n, "ext-ms-")
}

// missingImports reads the import table of the PE file lib and of every
// DLL it imports from its own folder (dirs[0]), recursively, and returns
// the imported DLL names that none of dirs holds (names compare without
// case, as on Windows; API sets are taken as present), in the order first
// met, with the library's machine. It reads files only: it runs on any
// system, and on Windows after LoadLibrary failed, to say why.
func missingImports(lib string, dirs []string) (missing []string, machine uint16, err error) {
	index := map[string]string{} // lower-case name -> path, the first folder wins
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if k := strings.ToLower(e.Name()); !e.IsDir() && index[k] == "" {
				index[k] = filepath.Join(d, e.Name())
			}
		}
	}
	own := ""
	if len(dirs) > 0 {
		own = filepath.Clean(dirs[0])
	}
	seen := map[string]bool{strings.ToLower(filepath.Base(lib)): true}
	queue := []string{lib}
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		names, m, err := importedDLLs(file)
		if err != nil {
			return nil, 0, err
		}
		if file == lib {
			machine = m
		}
		for _, n := range names {
			k := strings.ToLower(n)
			if seen[k] || isAPISet(n) {
				continue
			}
			seen[k] = true
			switch p := index[k]; {
			case p == "":
				missing = append(missing, n)
			case filepath.Dir(p) == own:
				queue = append(queue, p) // a sibling: its imports count too
			}
		}
	}
	return missing, machine, nil
}

// importedDLLs returns the DLL names of the import table of the PE file
// at path, in table order, each once, and its machine.
func importedDLLs(path string) ([]string, uint16, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("loader: reading the imports of %s: %w", path, err)
	}
	defer f.Close()
	// ImportedLibraries is not implemented by debug/pe; each symbol of
	// ImportedSymbols is "name:dll".
	syms, err := f.ImportedSymbols()
	if err != nil {
		return nil, 0, fmt.Errorf("loader: reading the imports of %s: %w", path, err)
	}
	var names []string
	seen := map[string]bool{}
	for _, s := range syms {
		_, dll, ok := strings.Cut(s, ":")
		if ok && !seen[dll] {
			seen[dll] = true
			names = append(names, dll)
		}
	}
	return names, f.Machine, nil
}

// vcArch returns the Redistributable's architecture name for a PE
// machine.
func vcArch(machine uint16) string {
	switch machine {
	case pe.IMAGE_FILE_MACHINE_ARM64:
		return "arm64"
	case pe.IMAGE_FILE_MACHINE_I386:
		return "x86"
	}
	return "x64"
}
