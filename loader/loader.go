package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/ebitengine/purego"
)

// Sentinel errors. Each names a different remedy, so callers can tell them
// apart with [errors.Is].
var (
	// ErrNotFound: the library file does not exist. Install the library or
	// point the search path at it.
	ErrNotFound = errors.New("loader: library not found")
	// ErrNotLoadable: the file exists but the OS loader refused it (a
	// directory, the wrong architecture, a missing dependency, a corrupt
	// file).
	ErrNotLoadable = errors.New("loader: library cannot be loaded")
	// ErrMissingSymbol: the library lacks a function we need, usually
	// because it is a different version than the one pinned.
	ErrMissingSymbol = errors.New("loader: missing symbol")
	// ErrBadBinding: a Go function type that cannot be bound to a C
	// function (a programming error in the binding table).
	ErrBadBinding = errors.New("loader: invalid binding")
	// ErrMissingDependency: the library imports a library the OS loader
	// cannot find, such as the Microsoft Visual C++ runtime on Windows;
	// the error, a [*MissingDependencyError], names it and what installs
	// it. It also matches ErrNotLoadable.
	ErrMissingDependency = errors.New("loader: missing dependency")
	// ErrClosed: the library was closed.
	ErrClosed = errors.New("loader: library closed")
	// ErrUnsupported: this operating system has no dynamic loader support.
	ErrUnsupported = errors.New("loader: unsupported platform")
)

// Library is an open shared library. Its methods are safe for concurrent
// use. Functions bound from it must not be called after [Library.Close].
type Library struct {
	path string

	mu     sync.RWMutex
	handle uintptr
}

// Open loads the shared library at path. The path should be absolute or
// relative to the working directory: bare names are not searched for.
// Libraries the file depends on are resolved by the OS loader (on Linux the
// pinned libraries carry RUNPATH $ORIGIN, so their siblings are found).
func Open(path string) (*Library, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrNotLoadable, path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s: is a directory", ErrNotLoadable, path)
	}
	h, err := openLibrary(path)
	var md *MissingDependencyError
	if errors.As(err, &md) {
		return nil, md // names the library and matches ErrNotLoadable
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotLoadable, path, err)
	}
	return &Library{path: path, handle: h}, nil
}

// Path returns the path the library was opened from.
func (l *Library) Path() string { return l.path }

// Sym returns the address of the exported symbol name.
func (l *Library) Sym(name string) (uintptr, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.handle == 0 {
		return 0, fmt.Errorf("loader: symbol %q in %s: %w", name, l.path, ErrClosed)
	}
	addr, err := lookup(l.handle, name)
	if err != nil || addr == 0 {
		return 0, fmt.Errorf("loader: symbol %q in %s: %w", name, l.path, ErrMissingSymbol)
	}
	return addr, nil
}

// Close unloads the library. It is idempotent. Functions bound from the
// library must not be called afterwards.
func (l *Library) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handle == 0 {
		return nil
	}
	h := l.handle
	l.handle = 0
	return closeLibrary(h)
}

// Binding pairs a pointer to a Go function variable with the name of the C
// function it should call.
type Binding struct {
	// Fn is a pointer to a function variable, as for purego.RegisterFunc.
	Fn any
	// Name is the exported C symbol.
	Name string
}

// MissingSymbolsError lists every symbol of a binding table that the
// library does not export. It matches [ErrMissingSymbol] with [errors.Is].
type MissingSymbolsError struct {
	Library string
	Names   []string
}

func (e *MissingSymbolsError) Error() string {
	return fmt.Sprintf("loader: %s lacks %d symbol(s): %s", e.Library, len(e.Names), strings.Join(e.Names, ", "))
}

// Is reports whether target is [ErrMissingSymbol].
func (e *MissingSymbolsError) Is(target error) bool { return target == ErrMissingSymbol }

// Check reports, without binding anything, whether the library exports
// every symbol of table; if not, the error is a [*MissingSymbolsError]
// naming all of them.
func (l *Library) Check(table []Binding) error {
	_, err := l.addrs(table)
	return err
}

// Bind looks up every symbol of table and, only if all are present, sets
// each function variable to call it. When symbols are missing, no variable
// is changed and the error is a [*MissingSymbolsError] naming all of them.
func (l *Library) Bind(table []Binding) error {
	addrs, err := l.addrs(table)
	if err != nil {
		return err
	}
	var bad []error
	for i, b := range table {
		if err := register(b.Fn, addrs[i]); err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", b.Name, err))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %w", ErrBadBinding, errors.Join(bad...))
	}
	return nil
}

func (l *Library) addrs(table []Binding) ([]uintptr, error) {
	addrs := make([]uintptr, len(table))
	var missing []string
	for i, b := range table {
		addr, err := l.Sym(b.Name)
		if errors.Is(err, ErrClosed) {
			return nil, err
		}
		if err != nil {
			missing = append(missing, b.Name)
			continue
		}
		addrs[i] = addr
	}
	if len(missing) > 0 {
		return nil, &MissingSymbolsError{Library: l.path, Names: missing}
	}
	return addrs, nil
}

// register wraps purego.RegisterFunc, which panics on a function type it
// cannot call, and turns the panic into an error.
func register(fn any, addr uintptr) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	purego.RegisterFunc(fn, addr)
	return nil
}
