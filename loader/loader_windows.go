package loader

import (
	"path/filepath"

	"golang.org/x/sys/windows"
)

// openLibrary loads the DLL with its own directory on the search path, so
// that ggml.dll and friends next to llama.dll are found.
func openLibrary(path string) (uintptr, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, err
	}
	h, err := windows.LoadLibraryEx(abs, 0,
		windows.LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR|windows.LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
	return uintptr(h), err
}

func lookup(h uintptr, name string) (uintptr, error) {
	return windows.GetProcAddress(windows.Handle(h), name)
}

func closeLibrary(h uintptr) error {
	return windows.FreeLibrary(windows.Handle(h))
}
