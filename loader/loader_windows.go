package loader

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// openLibrary loads the DLL with its own directory on the search path, so
// that ggml.dll and friends next to llama.dll are found. When Windows
// cannot load it, the import tables say whether a DLL it needs is
// missing (see missingImports), such as the Visual C++ runtime.
func openLibrary(path string) (uintptr, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	h, err := windows.LoadLibraryEx(abs, 0,
		windows.LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR|windows.LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
	if err != nil {
		return 0, explainLoadError(abs, err)
	}
	return uintptr(h), nil
}

// explainLoadError returns a [*MissingDependencyError] when abs imports
// DLLs that none of the folders LoadLibraryEx searched holds (its own,
// the executable's, System32), else err.
func explainLoadError(abs string, err error) error {
	dirs := []string{filepath.Dir(abs)}
	if exe, xerr := os.Executable(); xerr == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	if sys, serr := windows.GetSystemDirectory(); serr == nil {
		dirs = append(dirs, sys)
	}
	missing, machine, merr := missingImports(abs, dirs)
	if merr != nil || len(missing) == 0 {
		return err
	}
	return &MissingDependencyError{Library: abs, Missing: missing, Searched: dirs, Arch: vcArch(machine), Err: err}
}

func lookup(h uintptr, name string) (uintptr, error) {
	return windows.GetProcAddress(windows.Handle(h), name)
}

func closeLibrary(h uintptr) error {
	return windows.FreeLibrary(windows.Handle(h))
}
