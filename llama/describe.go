package llama

import "fmt"

// String describes the library for people: its path and release, such as
// "/opt/lib/libllama.so (llama.cpp 0.5.0)". Without it, printing a
// *Library would show its internal handles.
func (l *Library) String() string {
	if l == nil {
		return "no llama library"
	}
	return fmt.Sprintf("%s (llama.cpp %s)", l.path, l.version)
}
