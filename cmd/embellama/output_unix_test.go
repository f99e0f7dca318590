//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestEmbedOutputSafe checks that embed -o writes only a new path or a
// regular file that is not one of its inputs, and replaces it only once
// everything was written: -o naming the model replaced it with JSON, a
// link was followed, a FIFO was written, and a failed -chunk run left OUT
// empty.
func TestEmbedOutputSafe(t *testing.T) {
	lib := testenv.Library(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.gguf")
	orig, err := os.ReadFile(testenv.Fixture(t, "bert-mean-tiny"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(model, orig, 0o644))
	input := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(input, []byte("a llama\n"), 0o644))
	keep := filepath.Join(dir, "keep.txt")
	require.NoError(t, os.WriteFile(keep, []byte("precious"), 0o644))
	link := filepath.Join(dir, "link.txt")
	require.NoError(t, os.Symlink(keep, link))
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	long := filepath.Join(dir, "long.txt")
	require.NoError(t, os.WriteFile(long, []byte(strings.Repeat("llama ", 700)+"\n"), 0o644))

	base := []string{"embed", "-lib", lib, "-model", model}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the model", []string{"-o", model, "hi"}, "the output is an input"},
		{"the input file", []string{"-file", input, "-o", input}, "the output is an input"},
		{"a link", []string{"-o", link, "hi"}, "symbolic link"},
		{"a FIFO", []string{"-o", fifo, "hi"}, "FIFO"},
		// A line that fails is an error row with -chunk as without it
		// (issue 31), so this run writes its output: not keep.
		{"a chunk run whose only line fails", []string{"-chunk", "4", "-late", "-file", long, "-o", filepath.Join(dir, "chunks.jsonl")}, "too long"},
		{"a chunk run into the model", []string{"-chunk", "4", "-o", model, "hi"}, "the output is an input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append(base, tt.args...)...)
			assert.Equal(t, exitFailure, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
	got, err := os.ReadFile(model)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(orig, got), "the model is intact (%d bytes, was %d)", len(got), len(orig))
	rows, err := os.ReadFile(filepath.Join(dir, "chunks.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(rows), `{"id":0,"error":"line 1: input too long`, "the failed line's error row")
	for path, want := range map[string]string{input: "a llama\n", keep: "precious"} {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, string(got), path)
	}
	fi, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeNamedPipe, "the FIFO is left as it was")

	// A run that succeeds replaces a regular file, 0644 less the umask,
	// and leaves no temporary file.
	code, _, stderr := runCLI(t, "", append(base, "-o", keep, "hi")...)
	require.Equal(t, exitOK, code, stderr)
	got, err = os.ReadFile(keep)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "["), "%q", got)
	umask := syscall.Umask(0)
	syscall.Umask(umask)
	fi, err = os.Stat(keep)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644&^umask), fi.Mode().Perm())
	parts, err := filepath.Glob(filepath.Join(dir, ".*.part"))
	require.NoError(t, err)
	assert.Empty(t, parts)
}
