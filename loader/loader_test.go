package loader_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/loader"
)

// buildFixture compiles testdata/fixture.c into a shared library in a
// temporary directory with the C compiler `go env CC` names. CI has gcc, so
// under CI=true a missing compiler fails the test instead of skipping it.
func buildFixture(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the C fixture is built on Unix hosts only")
	}
	out, err := exec.Command("go", "env", "CC").Output()
	cc := strings.TrimSpace(string(out))
	if err != nil || cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(cc); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("C compiler %q not found: %v", cc, err)
		}
		t.Skipf("C compiler %q not found", cc)
	}
	ext := ".so"
	if runtime.GOOS == "darwin" {
		ext = ".dylib"
	}
	lib := filepath.Join(t.TempDir(), "libfixture"+ext)
	cmd := exec.Command(cc, "-shared", "-fPIC", "-o", lib, filepath.Join("testdata", "fixture.c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building fixture: %v\n%s", err, b)
	}
	return lib
}

type fixturePair struct {
	A int32
	B int64
	C float32
}

func TestBind(t *testing.T) {
	lib, err := loader.Open(buildFixture(t))
	require.NoError(t, err)
	defer lib.Close()

	var (
		add   func(a, b int32) int32
		scale func(x, k float64) float64
		name  func() string
		sum   func(p fixturePair) int64
	)
	err = lib.Bind([]loader.Binding{
		{Fn: &add, Name: "fixture_add"},
		{Fn: &scale, Name: "fixture_scale"},
		{Fn: &name, Name: "fixture_name"},
		{Fn: &sum, Name: "fixture_pair_sum"},
	})
	require.NoError(t, err)
	assert.Equal(t, int32(5), add(2, 3))
	assert.Equal(t, int32(-7), add(-10, 3))
	assert.InDelta(t, 7.5, scale(2.5, 3), 1e-12)
	assert.Equal(t, "fixture", name())
	assert.Equal(t, int64(1+2+3), sum(fixturePair{A: 1, B: 2, C: 3.9}))
}

func TestBindReportsEveryMissingSymbol(t *testing.T) {
	lib, err := loader.Open(buildFixture(t))
	require.NoError(t, err)
	defer lib.Close()

	var add, nope1, nope2 func(a, b int32) int32
	err = lib.Bind([]loader.Binding{
		{Fn: &nope1, Name: "fixture_missing_one"},
		{Fn: &add, Name: "fixture_add"},
		{Fn: &nope2, Name: "fixture_missing_two"},
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, loader.ErrMissingSymbol)
	var missing *loader.MissingSymbolsError
	require.ErrorAs(t, err, &missing)
	assert.Equal(t, []string{"fixture_missing_one", "fixture_missing_two"}, missing.Names)
	assert.Contains(t, err.Error(), "fixture_missing_one")
	assert.Contains(t, err.Error(), "fixture_missing_two")
	assert.Nil(t, add, "no variable is bound when any symbol is missing")

	var missingCheck *loader.MissingSymbolsError
	require.ErrorAs(t, lib.Check([]loader.Binding{{Fn: &nope1, Name: "fixture_missing_one"}, {Fn: &add, Name: "fixture_add"}}), &missingCheck)
	assert.Equal(t, []string{"fixture_missing_one"}, missingCheck.Names)
	require.NoError(t, lib.Check([]loader.Binding{{Fn: &add, Name: "fixture_add"}}))
	assert.Nil(t, add, "Check binds nothing")
}

func TestBindBadSignatureIsAnError(t *testing.T) {
	lib, err := loader.Open(buildFixture(t))
	require.NoError(t, err)
	defer lib.Close()

	notAFunc := 0
	var twoResults func() (int32, int32)
	tests := []struct {
		name string
		fn   any
	}{
		{"not a function pointer", &notAFunc},
		{"two results", &twoResults},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() {
				err = lib.Bind([]loader.Binding{{Fn: tt.fn, Name: "fixture_add"}})
			})
			assert.ErrorIs(t, err, loader.ErrBadBinding)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "libgarbage.so")
	require.NoError(t, os.WriteFile(garbage, []byte("not an ELF file"), 0o644))

	tests := []struct {
		name string
		path string
		want error
	}{
		{"absent", filepath.Join(dir, "libnothere.so"), loader.ErrNotFound},
		{"directory", dir, loader.ErrNotLoadable},
		{"not a library", garbage, loader.ErrNotLoadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := loader.Open(tt.path)
			assert.Nil(t, lib)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.path)
		})
	}
}

func TestClose(t *testing.T) {
	lib, err := loader.Open(buildFixture(t))
	require.NoError(t, err)
	_, err = lib.Sym("fixture_add")
	require.NoError(t, err)

	require.NoError(t, lib.Close())
	require.NoError(t, lib.Close(), "Close is idempotent")

	_, err = lib.Sym("fixture_add")
	assert.True(t, errors.Is(err, loader.ErrClosed), "got %v", err)
	var add func(a, b int32) int32
	assert.ErrorIs(t, lib.Bind([]loader.Binding{{Fn: &add, Name: "fixture_add"}}), loader.ErrClosed)
}
