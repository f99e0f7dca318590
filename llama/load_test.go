package llama

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/loader"
)

// stubLibrary builds a stand-in library (see testenv.StubLibrary). Load
// rejects a wrong one before binding anything, so the real library other
// tests load is never disturbed.
func stubLibrary(t *testing.T, version string, exports []string) string {
	return testenv.StubLibrary(t, version, exports)
}

func allSymbols() []string {
	var names []string
	for _, b := range append(llamaTable(), ggmlTable()...) {
		names = append(names, b.Name)
	}
	return names
}

func TestLoadRejectsWrongVersion(t *testing.T) {
	for _, v := range []string{"0.4.9", "0.5.1", "0.50.0", "b5000", ""} {
		t.Run(v, func(t *testing.T) {
			lib, err := Load(stubLibrary(t, v, allSymbols()))
			assert.Nil(t, lib)
			require.ErrorIs(t, err, ErrVersion)
			assert.Contains(t, err.Error(), PinnedVersion)
		})
	}
}

func TestLoadReportsEveryMissingSymbol(t *testing.T) {
	all := allSymbols()
	// Export every other symbol: Load must name each of the rest.
	var present, absent []string
	for i, name := range all {
		if i%2 == 0 {
			present = append(present, name)
		} else {
			absent = append(absent, name)
		}
	}
	var err error
	require.NotPanics(t, func() {
		_, err = Load(stubLibrary(t, PinnedVersion+"-dev", present))
	})
	require.ErrorIs(t, err, loader.ErrMissingSymbol)
	for _, name := range absent {
		assert.Contains(t, err.Error(), name)
	}
	for _, name := range present {
		assert.NotContains(t, err.Error(), " "+name+",")
	}
}

func TestLoadErrorsForBadPaths(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "libllama.so"))
	assert.ErrorIs(t, err, loader.ErrNotFound)
	_, err = Load(dir)
	assert.ErrorIs(t, err, loader.ErrNotLoadable)
}

func TestVersionMatches(t *testing.T) {
	tests := []struct {
		got  string
		want bool
	}{
		{"0.5.0", true},
		{"0.5.0-dev", true},
		{"0.5.0+abc", true},
		{"0.5.01", false},
		{"0.5", false},
		{"v0.5.0", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, versionMatches(tt.got, "0.5.0"), tt.got)
	}
}

func TestPinnedVersionMatchesRepository(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "LLAMA_CPP_VERSION"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "\nLLAMA_CPP_LIBRARY_VERSION="+PinnedVersion+"\n")
}
