package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// report is what bench writes for one library at rate texts/s.
func report(t *testing.T, rate float64) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("corpus: 300 short texts (seed 1), 64 per request; model m.gguf\n")
	r := benchResult{target: engineTarget{}.name(), texts: int(rate * 2), tokens: int(rate * 60), elapsed: 2 * time.Second}
	require.NoError(t, writeResults(&b, []benchResult{r}, 1))
	return b.String()
}

func TestParseBenchRate(t *testing.T) {
	for _, rate := range []float64{87.5, 162, 1234.5} {
		got, err := parseBenchRate(report(t, rate))
		require.NoError(t, err)
		assert.InDelta(t, rate, got, 0.05)
	}
	for _, bad := range []string{"", "corpus: 3 texts\n", "embellama (library)  -  -\n"} {
		_, err := parseBenchRate(bad)
		assert.ErrorIs(t, err, errNoRate, "%q", bad)
	}
}

// TestLibRoundsAlternate runs a comparison against a fake embellama
// that logs the library of each run and reports a rate per library: the
// runs must alternate, pass the other flags on, and the ratio printed
// must be the median of the rounds' ratios, as parseRatio reads it.
func TestLibRoundsAlternate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake command is a shell script")
	}
	dir := t.TempDir()
	rates := map[string]float64{"/libs/native": 160, "/libs/prebuilt": 80}
	for lib, rate := range rates {
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(lib)+".out"), []byte(report(t, rate)), 0o644))
	}
	script := `#!/bin/sh
echo "$*" >> "` + dir + `/calls"
for a in "$@"; do case "$a" in -lib=*) lib="${a#-lib=}";; esac; done
cat "` + dir + `/$(basename "$lib").out"
`
	exe := filepath.Join(dir, "embellama")
	require.NoError(t, os.WriteFile(exe, []byte(script), 0o755))

	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ef := addEngineFlags(fs, engineUse{prompts: true})
	var b benchFlags
	b.add(fs)
	args := []string{"-lib", "/libs/native", "-model", "m.gguf", "-vs-lib", "/libs/prebuilt", "-rounds", "3", "--n=300", "-v", "-latency", "5"}
	require.NoError(t, parse(fs, args))
	require.NotNil(t, ef)
	lr, err := newLibRounds(fs, args, b.vsLib, b.rounds)
	require.NoError(t, err)
	lr.exe = exe

	var out, errb bytes.Buffer
	require.NoError(t, lr.run(context.Background(), &out, &errb))
	calls, err := os.ReadFile(filepath.Join(dir, "calls"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
	require.Len(t, lines, 6, "two runs per round")
	for i, l := range lines {
		want := []string{"/libs/native", "/libs/prebuilt"}[i%2]
		assert.True(t, strings.HasSuffix(l, "-lib="+want), "run %d alternates: %s", i, l)
		assert.Contains(t, l, "bench -model=m.gguf -n=300 -v -latency=0 -lib=")
		assert.NotContains(t, l, "-rounds")
		assert.NotContains(t, l, "-vs-lib")
	}
	ratio, err := parseRatio(out.String())
	require.NoError(t, err)
	assert.InDelta(t, 2.0, ratio, 0.01, out.String())
}

// TestMeasuredNoteRoundTrip records a measurement in the manifest of a
// placed library, as lib build does, and reads it back as info does; the
// manifest still verifies, and a second measurement replaces the first.
func TestMeasuredNoteRoundTrip(t *testing.T) {
	pin, err := platform.NativePin("linux", "amd64")
	require.NoError(t, err)
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "libllama.so"), []byte("lib"), 0o755))
	opts := libinstall.Options{Pin: pin, LibDir: t.TempDir()}
	res, err := libinstall.Place(opts, src, []string{"libllama.so"}, []string{"build compiler cc 1"})
	require.NoError(t, err)
	assert.Empty(t, nativeNote(res.Dir), "not measured yet")
	for _, ratio := range []float64{1.83, 1.91} {
		note := measuredNote(ratio, 3, "/m/minilm.gguf", "/lib/linux-amd64-cpu", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
		require.NoError(t, libinstall.AddNote(res.Dir, measuredKey, note))
		assert.Equal(t, note, nativeNote(res.Dir))
	}
	_, err = libinstall.Verify(opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"build compiler cc 1", measuredKey + " " + nativeNote(res.Dir)}, libinstall.Notes(res.Dir))
}
