package nativebuild_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/nativebuild"
	"github.com/embellama/embellama/platform"
)

// hangingCompiler writes a compiler that answers every call at once but
// the one whose first argument is hangOn: that one marks started and
// sleeps far longer than any test. It returns the compiler and the mark.
func hangingCompiler(t *testing.T, hangOn string) (compiler, started string) {
	t.Helper()
	dir := t.TempDir()
	compiler, started = filepath.Join(dir, "cc"), filepath.Join(dir, "started")
	script := "#!/bin/sh\nif [ \"$1\" = \"" + hangOn + "\" ]; then : > '" + started + "'; exec sleep 3600; fi\nexit 0\n"
	require.NoError(t, os.WriteFile(compiler, []byte(script), 0o755))
	return compiler, started
}

// probeOptions are the options of a build whose compilers are cc and
// whose other tools are never run before the probes: nothing is fetched
// unless the probes pass, which fetched records.
func probeOptions(t *testing.T, cc string, fetched *bool) nativebuild.Options {
	t.Helper()
	pin, err := platform.NativePin("linux", "amd64")
	require.NoError(t, err)
	return nativebuild.Options{
		Pin: pin, LibDir: t.TempDir(), CacheDir: t.TempDir(),
		Fetch:    func(context.Context, platform.Package, string) error { *fetched = true; return errors.New("fetched") },
		Getenv:   func(k string) string { return map[string]string{"CC": cc, "CXX": cc}[k] },
		LookPath: func(n string) (string, error) { return n, nil },
	}
}

// TestBuildStopsAHangingCompilerProbe runs a build whose compiler hangs
// in one of its probes, cancels the build's context once the compiler
// runs, and checks that Build returns, with ErrToolProbe wrapping the
// cancellation, before anything is fetched.
func TestBuildStopsAHangingCompilerProbe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake compiler is a shell script")
	}
	tests := []struct {
		name   string
		hangOn string
	}{
		{"the flags that keep AMX out", "-mno-amx-tile"},
		{"--version", "--version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, started := hangingCompiler(t, tt.hangOn)
			fetched := false
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := nativebuild.Build(ctx, probeOptions(t, cc, &fetched))
				done <- err
			}()
			for { // wait until the compiler hangs in the probe (or Build ended early)
				if _, err := os.Stat(started); err == nil {
					break
				}
				select {
				case err := <-done:
					t.Fatalf("Build returned before the compiler hung in %s: %v", tt.hangOn, err)
				default:
					time.Sleep(5 * time.Millisecond)
				}
			}
			cancel()
			err := <-done // a probe without the context would block here until the test times out
			require.ErrorIs(t, err, nativebuild.ErrToolProbe)
			assert.ErrorIs(t, err, context.Canceled)
			assert.False(t, fetched, "nothing is fetched after a probe failed")
		})
	}
}

// TestBuildProbeTimeout checks that a compiler that never answers stops
// a build whose context has no end: the probe's own deadline passes.
func TestBuildProbeTimeout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake compiler is a shell script")
	}
	defer nativebuild.SetProbeTimeout(50 * time.Millisecond)()
	cc, _ := hangingCompiler(t, "--version")
	fetched := false
	_, err := nativebuild.Build(context.Background(), probeOptions(t, cc, &fetched))
	require.ErrorIs(t, err, nativebuild.ErrToolProbe)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, fetched)
}
