package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/internal/nativebuild"
	"github.com/embellama/embellama/platform"
)

// libBuildFlags are the flags of `lib build`.
type libBuildFlags struct {
	libDir, cache, model string
	jobs, rounds         int
	rebuild              bool
}

// measuredKey is the manifest note in which lib build records how much
// faster the native library measured than the prebuilt one; info shows it.
const measuredKey = "measured"

// libBuild compiles the pinned source for this CPU into the library
// folder as the native library, checks that it loads, and measures it
// against the prebuilt CPU library in alternating rounds.
func libBuild(ctx context.Context, stdout, stderr io.Writer, f libBuildFlags) error {
	pin, err := platform.NativePin(runtime.GOOS, runtime.GOARCH)
	if err != nil {
		return err
	}
	if v, err := libinstall.Verify(libinstall.Options{Pin: pin, LibDir: f.libDir}); err == nil && !f.rebuild {
		fmt.Fprintf(stderr, "lib build: %s holds a build of %s with every file intact; nothing to do (-rebuild builds it again: after a CPU or compiler change)\n", v.Dir, pin.Specs())
		return nil
	}
	res, err := nativebuild.Build(ctx, nativebuild.Options{Pin: pin, LibDir: f.libDir, CacheDir: f.cache, Jobs: f.jobs, Progress: stderr})
	if err != nil {
		return err
	}
	// Loading checks the version and the symbols, as for any library.
	e, err := embed.NewEngine(embed.EngineConfig{Library: res.Dir, Backend: platform.Native})
	if err != nil {
		return fmt.Errorf("the built library in %s does not load: %w", res.Dir, err)
	}
	fmt.Fprintf(stderr, "lib build: %s loads (llama.cpp %s)\n", res.Dir, e.Library().Version())
	e.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: built with %s in %s, %d files\n", res.Dir, res.Compiler, res.Elapsed.Round(time.Second), len(res.Files))
	if f.rounds == 0 {
		return nil
	}
	note, ratio, err := measureNative(ctx, stderr, exe, res.Dir, f)
	if err != nil {
		fmt.Fprintf(stderr, "lib build: not measured: %s\n", errorText(err))
		return nil
	}
	if err := libinstall.AddNote(res.Dir, measuredKey, note); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s\n", res.Dir, note)
	if ratio < 1 {
		// The search prefers native when it is installed: say so when
		// that costs speed (on AMX CPUs the prebuilt library's quantized
		// path uses the AMX kernels a native build must leave out).
		fmt.Fprintf(stderr, "lib build: warning: the native library measured slower than the prebuilt one (%.2fx) and the search prefers it: pass -backend cpu, or remove %s\n", ratio, res.Dir)
	}
	return nil
}

// measureNative runs `bench -vs-lib` of the native library against the
// prebuilt CPU library and returns the manifest note and the ratio.
func measureNative(ctx context.Context, stderr io.Writer, exe, native string, f libBuildFlags) (string, float64, error) {
	prebuilt, err := platform.Find(platform.DefaultSearch("", platform.CPU, runtime.GOOS, runtime.GOARCH))
	if err != nil {
		return "", 0, fmt.Errorf("no prebuilt library to compare with (embellama lib install installs it): %w", err)
	}
	model := f.model
	if model == "" {
		if model, err = defaultModel(); err != nil {
			return "", 0, fmt.Errorf("no embedding model to measure with (give -model): %w", err)
		}
	}
	fmt.Fprintf(stderr, "lib build: measuring against %s with %s, %d alternating rounds\n", prebuilt.Dir, filepath.Base(model), f.rounds)
	cmd := exec.CommandContext(ctx, exe, "bench", "-model", model, "-lib", native, "-backend", "native",
		"-vs-lib", prebuilt.Dir, "-rounds", fmt.Sprint(f.rounds), "-n", "200", "-corpus", "short")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("bench: %w", err)
	}
	ratio, err := parseRatio(out.String())
	if err != nil {
		return "", 0, err
	}
	return measuredNote(ratio, f.rounds, model, prebuilt.Dir, time.Now()), ratio, nil
}

// measuredNote is the manifest line of a measurement.
func measuredNote(ratio float64, rounds int, model, prebuilt string, at time.Time) string {
	return fmt.Sprintf("%.2fx the texts/s of %s (median of %d alternating rounds, %s, 200 short texts, %s)",
		ratio, prebuilt, rounds, filepath.Base(model), at.UTC().Format("2006-01-02"))
}

// nativeNote returns what lib build measured for the native library in
// dir, or "".
func nativeNote(dir string) string {
	for _, n := range libinstall.Notes(dir) {
		if rest, ok := strings.CutPrefix(n, measuredKey+" "); ok {
			return rest
		}
	}
	return ""
}
