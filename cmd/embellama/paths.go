package main

import "github.com/embellama/embellama/internal/outfile"

// checkOutputPath refuses a path that holds anything but a regular file
// (a missing path is fine). A file renamed over the path would replace a
// device (/dev/null, for root), a FIFO or a socket; opening one blocks or
// never ends; and a symbolic link would be followed to wherever it
// points, or replaced instead of its target: links are refused, not
// resolved, so what is written is always the path named.
func checkOutputPath(path string) error { return outfile.Check(path) }
