package platform

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFindCLI: the embellama command beside a Go program is the one in
// the program's directory, by its path, else the one on PATH, by name.
func TestFindCLI(t *testing.T) {
	withCLI := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(withCLI, "embellama"), []byte("x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(withCLI, "embellama.exe"), []byte("x"), 0o755))
	dirNamed := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dirNamed, "embellama"), 0o755))
	onPath := func(string) (string, error) { return "/usr/local/bin/embellama", nil }
	notOnPath := func(string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name   string
		exeDir string
		goos   string
		look   func(string) (string, error)
		want   string
	}{
		{"beside the program", withCLI, "linux", onPath, filepath.Join(withCLI, "embellama")},
		{"beside, windows", withCLI, "windows", notOnPath, filepath.Join(withCLI, "embellama.exe")},
		{"on PATH", t.TempDir(), "linux", onPath, "embellama"},
		{"a folder of that name is no command", dirNamed, "linux", notOnPath, ""},
		{"nowhere", t.TempDir(), "linux", notOnPath, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, findCLI(tt.exeDir, tt.goos, tt.look))
		})
	}
}

// TestCLIBesideTestBinary: a test binary is a Go program, not the
// embellama command (whose own binary TestLibraryFoundFromAnywhere runs).
func TestCLIBesideTestBinary(t *testing.T) {
	cli, _ := cliBeside(t.TempDir(), "linux")
	assert.False(t, cli)
}
