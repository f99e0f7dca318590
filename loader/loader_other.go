//go:build !(darwin || linux || freebsd || netbsd || windows)

package loader

func openLibrary(string) (uintptr, error)     { return 0, ErrUnsupported }
func lookup(uintptr, string) (uintptr, error) { return 0, ErrUnsupported }
func closeLibrary(uintptr) error              { return ErrUnsupported }
