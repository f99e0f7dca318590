package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestTroubleshootingCLIMessages checks that the CLI messages
// docs/troubleshooting.md quotes are the ones the CLI prints (the
// library's are checked by embed's TestTroubleshootingMessages).
func TestTroubleshootingCLIMessages(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "troubleshooting.md"))
	require.NoError(t, err)
	doc := string(b)
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	stderrOf := func(stdin string, args ...string) string {
		_, _, stderr := runCLI(t, stdin, append([]string{"embed", "-lib", lib}, args...)...)
		return stderr
	}
	docs := filepath.Join(t.TempDir(), "docs.jsonl")
	require.NoError(t, os.WriteFile(docs, []byte(`{"body":"x"}`+"\n"+`{"text":"\ud800"}`+"\n"), 0o644))
	stories := testenv.Model(t, "stories260K.gguf")
	empty := t.TempDir() // no models here, nor in its cache
	t.Setenv(envModels, empty)
	t.Setenv("EMBELLAMA_MODEL", "")
	t.Setenv("HOME", empty)
	t.Setenv("XDG_CACHE_HOME", empty)
	cases := []struct{ quoted, got string }{
		{"(set -pooling mean, cls or last to embed with it anyway)", stderrOf("", "-model", stories, "x")},
		{"input too long: 2002 tokens, limit 512 (use -truncate end", stderrOf(strings.Repeat("hello ", 2000)+"\n", "-model", model)},
		{"embellama embed: no model given, and none found in", stderrOf("", "x")},
		{"embellama embed: line 2: empty input", stderrOf("a\n\nb\n", "-model", model)},
		{"npy has no row for them, so nothing was written", stderrOf("a\n\nb\n", "-model", model, "-format", "npy", "-o", filepath.Join(t.TempDir(), "x.npy"))},
		{`embellama embed: line 1: no string field "text"`, stderrOf("", "-model", model, "-file", docs)},
		{"holds the lone surrogate", stderrOf("", "-model", model, "-file", docs)},
	}
	for _, c := range cases {
		assert.Contains(t, doc, c.quoted, "the doc quotes %q", c.quoted)
		assert.Contains(t, c.got, c.quoted, "the CLI says %q", c.quoted)
	}
}
