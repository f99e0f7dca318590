package outfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/outfile"
)

// TestCreate checks the cases a writer meets: a new path, a regular file
// (replaced only on Commit), an input (refused), a directory and a link
// (refused), and an Abort that leaves the path as it was.
func TestCreate(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.txt")
	require.NoError(t, os.WriteFile(old, []byte("old"), 0o644))
	link := filepath.Join(dir, "link.txt")
	require.NoError(t, os.Symlink(old, link))

	tests := []struct {
		name   string
		path   string
		inputs []string
		want   error
	}{
		{"new path", filepath.Join(dir, "new.txt"), nil, nil},
		{"regular file", old, nil, nil},
		{"the input", old, []string{filepath.Join(dir, ".", "old.txt")}, outfile.ErrIsInput},
		{"a missing input", old, []string{filepath.Join(dir, "none")}, nil},
		{"directory", dir, nil, outfile.ErrNotRegularFile},
		{"symbolic link", link, nil, outfile.ErrNotRegularFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := outfile.Create(tt.path, tt.inputs...)
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			_, err = f.WriteString("aborted")
			require.NoError(t, err)
			f.Abort()
			_, statErr := os.Stat(f.Name())
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "Abort removes the temporary file")

			f, err = outfile.Create(tt.path, tt.inputs...)
			require.NoError(t, err)
			_, err = f.WriteString("new")
			require.NoError(t, err)
			require.NoError(t, f.Commit())
			f.Abort() // a no-op after Commit
			got, err := os.ReadFile(tt.path)
			require.NoError(t, err)
			assert.Equal(t, "new", string(got))
		})
	}
	got, err := os.ReadFile(old)
	require.NoError(t, err)
	assert.Equal(t, "new", string(got), "only Commit replaced it")
}
