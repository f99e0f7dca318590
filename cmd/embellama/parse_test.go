package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestParseFlagsAnywhere: parse, the one parser of every subcommand,
// takes flags before, between and after the arguments; "--" ends them,
// and "--" given as a flag's value is that value.
func TestParseFlagsAnywhere(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		query string
		v     bool
		rest  []string
	}{
		{"flags first", []string{"-query", "q", "-v", "a", "b"}, "q", true, []string{"a", "b"}},
		{"flags last", []string{"a", "b", "-query", "q", "-v"}, "q", true, []string{"a", "b"}},
		{"flags between", []string{"a", "-v", "b", "-query=q"}, "q", true, []string{"a", "b"}},
		{"dashes end the flags", []string{"a", "--", "-query", "q"}, "", false, []string{"a", "-query", "q"}},
		{"dashes after a bool flag", []string{"-v", "--", "-v"}, "", true, []string{"-v"}},
		{"dashes as a value", []string{"-query", "--", "-v", "a"}, "--", true, []string{"a"}},
		{"a lone dash is an argument", []string{"-", "-v"}, "", true, []string{"-"}},
		{"no arguments", []string{"-v"}, "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("test", "ARGS", io.Discard)
			query := fs.String("query", "", "")
			v := fs.Bool("v", false, "")
			require.NoError(t, parse(fs, tt.args))
			assert.Equal(t, tt.query, *query)
			assert.Equal(t, tt.v, *v)
			assert.Equal(t, tt.rest, append([]string(nil), fs.Args()...))
		})
	}
	fs := newFlagSet("test", "ARGS", io.Discard)
	fs.Bool("v", false, "")
	var ue usageError
	require.ErrorAs(t, parse(fs, []string{"a", "-nosuch"}), &ue, "an unknown flag after an argument is a usage error, not a text")
}

// TestFlagsAfterText runs the commands the issue names with their flags
// after the arguments: "embed TEXT -model M" embeds TEXT with M (it used
// to embed "-model" and the path as two more texts with the default
// model), rerank takes -query after FILE, and a text that starts with -
// follows "--".
func TestFlagsAfterText(t *testing.T) {
	lib := testenv.Library(t)
	t.Setenv("EMBELLAMA_LIB_DIR", lib)
	model, rr := testenv.Fixture(t, "bert-mean-tiny"), testenv.Fixture(t, "bert-rerank-tiny")

	code, before, _ := runCLI(t, "", "embed", "-model", model, "hello world")
	require.Equal(t, 0, code)
	code, after, stderr := runCLI(t, "", "embed", "hello world", "-model", model)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, before, after, "the same one row, with the same model")
	require.Len(t, vectors(t, after), 1)

	code, out, stderr := runCLI(t, "", "embed", "-model", model, "--", "-model")
	require.Equal(t, 0, code, stderr)
	assert.Len(t, vectors(t, out), 1, "after --, -model is a text")

	code, out, stderr = runCLI(t, "doc one\ndoc two\n", "rerank", "-", "-model", rr, "-query", "x")
	require.Equal(t, 0, code, stderr)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2)

	code, _, stderr = runCLI(t, "", "embed", "x", "-nope")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, "embellama embed: flag provided but not defined: -nope (embellama embed -h lists the flags)\n", stderr,
		"a wrong flag is one line, not the error, the usage and the error again")

	code, _, stderr = runCLI(t, "", "embed", "-model", model, "-h")
	require.Equal(t, 0, code)
	assert.Contains(t, stderr, flagsNote, "the usage says how flags and -- are read")
}
