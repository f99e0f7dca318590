package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// errNotRegular marks an output path that holds something other than a
// regular file.
var errNotRegular = errors.New("not a regular file")

// checkOutputPath refuses a path that holds anything but a regular file
// (a missing path is fine). A file renamed over the path would replace a
// device (/dev/null, for root), a FIFO or a socket; opening one blocks or
// never ends; and a symbolic link would be followed to wherever it
// points, or replaced instead of its target: links are refused, not
// resolved, so what is written is always the path named.
func checkOutputPath(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode().IsRegular():
		return nil
	}
	m, kind := fi.Mode(), "special file"
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
	return fmt.Errorf("%s: %w but a %s, which is never replaced or written through", path, errNotRegular, kind)
}
