package embed_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/configuration.md's settings table from embed.Settings")

// Markers around the table of docs/configuration.md that
// settingsTable writes.
const (
	tableBegin = "<!-- settings table: written from embed.Settings by `go test ./embed -run TestConfigurationDoc -update-docs`; do not edit -->\n"
	tableEnd   = "<!-- end of settings table -->\n"
)

// settingsTable renders the settings table as Markdown, one row a
// setting, in the table's order.
func settingsTable(settings []embed.Setting) string {
	code := func(s, prefix string) string {
		if s == "" {
			return "—"
		}
		return "`" + prefix + s + "`"
	}
	cell := func(s string) string {
		// Outside code spans, <os> would be read as an HTML tag.
		parts := strings.Split(strings.ReplaceAll(s, "|", `\|`), "`")
		for i := 0; i < len(parts); i += 2 {
			parts[i] = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(parts[i])
		}
		return strings.Join(parts, "`")
	}
	var b strings.Builder
	b.WriteString("| Config field | Environment variable | CLI flag | What | Default | Rules |\n|---|---|---|---|---|---|\n")
	for _, s := range settings {
		b.WriteString("| " + strings.Join([]string{code(s.Field, ""), code(s.Env, ""), code(s.Flag, "-"),
			cell(strings.ReplaceAll(s.Doc, "`", "")), cell(s.Default), cell(s.Rules)}, " | ") + " |\n")
	}
	return b.String()
}

// TestConfigurationDoc keeps docs/configuration.md in step with the code:
// its settings table is the one settingsTable renders from
// embed.Settings, byte for byte (-update-docs writes it).
func TestConfigurationDoc(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(t), "docs", "configuration.md")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(b)
	before, rest, ok := strings.Cut(doc, tableBegin)
	require.True(t, ok, "the table's first marker")
	table, after, ok := strings.Cut(rest, tableEnd)
	require.True(t, ok, "the table's last marker")
	want := settingsTable(embed.Settings())
	if *updateDocs {
		require.NoError(t, os.WriteFile(path, []byte(before+tableBegin+want+tableEnd+after), 0o644))
		return
	}
	assert.Equal(t, want, table, "docs/configuration.md's settings table (go test ./embed -run TestConfigurationDoc -update-docs rewrites it)")
}

// TestSettingsTableRendering: a row carries each column of its setting,
// so a setting changed in the table changes the document.
func TestSettingsTableRendering(t *testing.T) {
	got := settingsTable([]embed.Setting{{Field: "X", Env: "EMBELLAMA_X", Flag: "x", Doc: "an `n`", Default: "a|b", Rules: "<os> `p<N>`"},
		{Field: "Y", Doc: "d", Default: "e", Rules: "f"}})
	assert.Equal(t, "| Config field | Environment variable | CLI flag | What | Default | Rules |\n|---|---|---|---|---|---|\n"+
		"| `X` | `EMBELLAMA_X` | `-x` | an n | a\\|b | &lt;os&gt; `p<N>` |\n"+
		"| `Y` | — | — | d | e | f |\n", got)
}
