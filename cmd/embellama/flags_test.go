//go:build unix

package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// runCLIBounded is runCLI for commands that may not return (serve): after
// limit it stops the command with SIGTERM, which serve catches.
func runCLIBounded(t *testing.T, limit time.Duration, stdin string, args ...string) (code int, stderr string) {
	t.Helper()
	var errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(args, strings.NewReader(stdin), &bytes.Buffer{}, &errOut) }()
	select {
	case code = <-done:
	case <-time.After(limit):
		require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
		code = <-done
		t.Errorf("%v still ran after %v", args, limit)
	}
	return code, errOut.String()
}

// TestIgnoredFlagsRefused: a command does not define a flag it would
// ignore, so giving one is a usage error instead of a silent no-op.
// (Before, every command that runs an engine took -dimensions, -prompt,
// -default-prompt and -prompt-name, and rerank and serve ignored some of
// them; rerank ignored -normalize and -top without -sorted too.)
func TestIgnoredFlagsRefused(t *testing.T) {
	lib := testenv.Library(t)
	rr, emb := testenv.Fixture(t, "bert-rerank-tiny"), testenv.Fixture(t, "bert-mean-tiny")
	rerank := []string{"rerank", "-lib", lib, "-model", rr, "-query", "q"}
	serve := []string{"serve", "-lib", lib, "-model", emb, "-addr", "127.0.0.1:0"}
	bench := []string{"bench", "-lib", lib, "-model", emb, "-n", "1", "-latency", "0", "-warmup", "0"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"rerank -dimensions", append(rerank, "-dimensions", "8", "-"), "-dimensions"},
		{"rerank -prompt-name", append(rerank, "-prompt-name", "query", "-"), "-prompt-name"},
		{"rerank -prompt", append(rerank, "-prompt", "query=q: ", "-"), "-prompt"},
		{"rerank -default-prompt", append(rerank, "-default-prompt", "query", "-"), "-default-prompt"},
		{"rerank -normalize", append(rerank, "-normalize", "none", "-"), "-normalize"},
		{"rerank -top without -sorted", append(rerank, "-top", "1", "-"), "-top"},
		{"rerank -top negative", append(rerank, "-sorted", "-top", "-1", "-"), "-top"},
		{"serve -dimensions", append(serve, "-dimensions", "8"), "-dimensions"},
		{"serve -prompt-name", append(serve, "-prompt-name", "query"), "-prompt-name"},
		{"bench -dimensions", append(bench, "-dimensions", "8"), "-dimensions"},
		{"bench -prompt-name", append(bench, "-prompt-name", "query"), "-prompt-name"},
		{"bench -server-model without -vs-server", append(bench, "-server-model", "m"), "-server-model"},
		{"bench -rounds without -vs-server", append(bench, "-rounds", "3"), "-rounds"},
		{"bench -server-scores without -vs-server", append(bench, "-server-scores", "relevance"), "-server-scores"},
		{"bench -client-request without -clients", append(bench, "-client-request", "4"), "-client-request"},
		{"bench -corpus with -file", append(bench, "-corpus", "long", "-file", "/dev/null"), "-corpus"},
		{"info -dimensions", []string{"info", "-lib", lib, "-model", emb, "-dimensions", "8"}, "-dimensions"},
		{"info with an argument", []string{"info", "-lib", lib, emb, "-ctx", "128"}, "unexpected arguments"},
		{"bench with an argument", append(bench, emb), "unexpected arguments"},
		{"info -prompt-name", []string{"info", "-lib", lib, "-model", emb, "-prompt-name", "query"}, "-prompt-name"},
		{"rerank -pooling", append(rerank, "-pooling", "mean", "-"), "-pooling"},
		{"info -normalize", []string{"info", "-lib", lib, "-model", emb, "-normalize", "none"}, "-normalize"},
		{"info -truncate", []string{"info", "-lib", lib, "-model", emb, "-truncate", "end"}, "-truncate"},
		{"info -max-queue", []string{"info", "-lib", lib, "-model", emb, "-max-queue", "5"}, "-max-queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runCLIBounded(t, 20*time.Second, "a document\n", tt.args...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
}

// TestInfoTakesEngineFlags: info shows the model as the flags configure
// it. (Before, it applied -lib, -backend, -model and -pooling only, and
// showed the default context for -ctx 128.)
func TestInfoTakesEngineFlags(t *testing.T) {
	code, out, stderr := runCLI(t, "", "info", "-lib", testenv.Library(t), "-model", testenv.Fixture(t, "bert-mean-tiny"),
		"-ctx", "128", "-threads", "1", "-contexts", "1")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, out, "context       128 tokens")
	assert.Regexp(t, `batch\s+\d+ tokens .* 1 threads over 1 contexts`, out)
}

// TestLibFlagsNotIgnored: lib refuses a target with -all or list (which
// take every pinned library, so -os, -arch and -backend did nothing), and
// -cache outside install (nothing else downloads).
func TestLibFlagsNotIgnored(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"lib", "list", "-dir", dir, "-backend", "cuda"},
		{"lib", "list", "-dir", dir, "-os", "windows"},
		{"lib", "verify", "-dir", dir, "-all", "-arch", "arm64"},
		{"lib", "verify", "-dir", dir, "-cache", dir},
		{"lib", "list", "-dir", dir, "-cache", dir},
	} {
		code, _, stderr := runCLI(t, "", args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
	}
	code, _, stderr := runCLI(t, "", "lib", "list", "-dir", dir)
	assert.Equal(t, exitOK, code, stderr)
}
