// Package outfile writes an output file without harming what is at its
// path: it writes only over a regular file or a new path (never through
// a symbolic link, into a device, a FIFO or a socket), never over one of
// the command's inputs, and through a temporary file beside the path
// that is renamed over it only once everything was written, so a failed
// or interrupted run leaves the old file as it was.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

var (
	// ErrNotRegularFile: the path holds something other than a regular
	// file, which the rename would replace (a device, as root).
	ErrNotRegularFile = errors.New("not a regular file")
	// ErrIsInput: the path is one of the inputs (the same file, whatever
	// its name).
	ErrIsInput = errors.New("the output is an input")
)

// Check refuses, with [ErrNotRegularFile], a path that holds anything
// but a regular file, and, with [ErrIsInput], a path that is the same
// file as one of inputs. A missing path passes; so does a missing input.
func Check(path string, inputs ...string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	}
	if err := regular(path, fi); err != nil {
		return err
	}
	for _, in := range inputs {
		if ifi, err := os.Stat(in); err == nil && os.SameFile(ifi, fi) {
			return fmt.Errorf("%w: %s is %s", ErrIsInput, path, in)
		}
	}
	return nil
}

// regular returns an [ErrNotRegularFile] that names what fi is, or nil.
func regular(path string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "special file"
	switch {
	case m&fs.ModeSymlink != 0:
		kind = "symbolic link"
	case m.IsDir():
		kind = "directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	case m&fs.ModeDevice != 0:
		kind = "device"
	}
	return fmt.Errorf("%w: %s is a %s; only a new path or a regular file is written, and nothing else is replaced", ErrNotRegularFile, path, kind)
}

// File is an output being written: a temporary file beside its path.
type File struct {
	*os.File
	path      string
	committed bool
}

// Create checks path as [Check] does and creates an empty temporary file
// beside it, named .<base>.<random>.part, with mode 0644 less the umask
// (the mode the output keeps once renamed). Write to it, then [File.Commit]
// or [File.Abort].
func Create(path string, inputs ...string) (*File, error) {
	if err := Check(path, inputs...); err != nil {
		return nil, err
	}
	name, err := CreatePart(path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// CreatePart creates an empty temporary file beside path, named
// .<base>.<random>.part, with mode 0644 less the umask, and returns its
// name, for writers that open it themselves (llama.cpp's quantizer).
func CreatePart(path string) (string, error) {
	for range 100 {
		name := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d.part", filepath.Base(path), rand.Uint32()))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, f.Close()
	}
	return "", fmt.Errorf("no free temporary name beside %s", path)
}

// Replace renames the temporary file part over path, after checking path
// again: something may have been put there meanwhile.
func Replace(part, path string) error {
	if fi, err := os.Lstat(path); err == nil {
		if err := regular(path, fi); err != nil {
			return err
		}
	}
	return os.Rename(part, path)
}

// Commit closes the file and renames it over its path.
func (f *File) Commit() error {
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := Replace(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	f.committed = true
	return nil
}

// Abort closes and removes the temporary file: the path keeps what it
// held. It may be called after Commit, and then does nothing.
func (f *File) Abort() {
	if f.committed {
		return
	}
	f.File.Close()
	os.Remove(f.Name())
}
