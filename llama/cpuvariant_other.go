//go:build !linux

package llama

// CPUVariant returns "" where the loaded modules cannot be listed.
func (l *Library) CPUVariant() string { return "" }
