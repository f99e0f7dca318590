package nativebuild

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ErrToolProbe is matched by the error of [Build] when a compiler does
// not answer a probe (whether it takes the flags that keep AMX out, its
// --version) before the build's context ends or probeTimeout passes: a
// tool that hangs stops the build before anything is fetched, and a
// probe that was cut short is not taken for a compiler's "no". The error
// wraps the context's error (context.Canceled or
// context.DeadlineExceeded).
var ErrToolProbe = errors.New("nativebuild: tool did not answer")

// probeTimeout bounds each probe: a compiler answers one in
// milliseconds, a first run from a cold disk in seconds.
var probeTimeout = 30 * time.Second

// probe runs name with args and an empty standard input, for at most
// probeTimeout, and returns its standard output. The error is the tool's
// own failure (an exit status), or [ErrToolProbe] when ctx ended or the
// time ran out first.
func probe(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader("")
	// A child the tool left running may hold its output open: stop
	// waiting for it a second after the tool is killed.
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return out, fmt.Errorf("%w: %s %s: %w", ErrToolProbe, name, strings.Join(args, " "), ctx.Err())
	}
	return out, err
}

// compilerVersion returns the first line of cxx --version, or cxx when
// it prints none (a failing --version is no reason to stop a build).
func compilerVersion(ctx context.Context, cxx string) (string, error) {
	out, err := probe(ctx, cxx, "--version")
	if errors.Is(err, ErrToolProbe) {
		return "", err
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if first == "" {
		first = cxx
	}
	return first, nil
}
