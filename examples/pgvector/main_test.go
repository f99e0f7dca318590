package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestIndexAndQuery runs the example against a real PostgreSQL server:
// it indexes a directory, checks what the table holds against the files
// and the engine, and checks that querying with a chunk's own text
// answers that chunk first.
func TestIndexAndQuery(t *testing.T) {
	ctx := context.Background()
	dsn := startPostgres(t)
	engine := testenv.Open(t, openEngine)

	docs := t.TempDir()
	files := map[string]string{
		"a.txt":     strings.Join(testenv.Texts(60), ". "),
		"b.md":      "# Notes\n\n" + strings.Join(testenv.Texts(25), "\n"),
		"sub/c.txt": "Café déjà vu — ünïcödé " + strings.Join(testenv.Texts(30)[10:], " "),
	}
	for name, text := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(docs, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(docs, "skip.bin"), []byte("not indexed"), 0o644))

	flags := []string{"-dsn", dsn, "-model", testenv.Model(t, testenv.DefaultModel), "-lib", testenv.Library(t), "-chunk", "300", "-overlap", "60", "-k", "3"}
	var out bytes.Buffer
	require.NoError(t, run(ctx, append(flags, "index", docs), &out))
	assert.Equal(t, 3, strings.Count(out.String(), " chunks\n"), out.String())
	// Indexing again replaces a file's chunks instead of adding to them.
	require.NoError(t, run(ctx, append(flags, "index", docs), &out))

	db, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer db.Close(ctx)
	rows, err := db.Query(ctx, `SELECT path, start_offset, end_offset, content, embedding FROM chunks ORDER BY path, start_offset`)
	require.NoError(t, err)
	type row struct {
		path       string
		start, end int
		content    string
		vec        []float32
	}
	stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.path, &x.start, &x.end, &x.content, &x.vec)
	})
	require.NoError(t, err)
	perFile := map[string]int{}
	for _, r := range stored {
		perFile[r.path]++
		assert.Equal(t, files[r.path][r.start:r.end], r.content, "%s at %d", r.path, r.start)
	}
	for name, text := range files {
		assert.Equal(t, len(chunkText(text, 300, 60)), perFile[name], name)
	}

	contents := make([]string, len(stored))
	for i, r := range stored {
		contents[i] = r.content
	}
	want, err := engine.EmbedBatch(ctx, "", contents)
	require.NoError(t, err)
	for i, r := range stored {
		assert.GreaterOrEqual(t, testenv.CosineOf(r.vec, want.Vectors[i]), 0.9999, "%s at %d", r.path, r.start)
	}

	for _, i := range []int{0, len(stored) / 2, len(stored) - 1} {
		out.Reset()
		require.NoError(t, run(ctx, append(flags, "query", stored[i].content), &out))
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		require.Len(t, lines, 3)
		var best hit
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &best))
		assert.Equal(t, stored[i].path, best.Path)
		assert.Equal(t, stored[i].start, best.Start)
		assert.InDelta(t, 1, best.Score, 1e-4, "SQL cosine of a chunk with itself")
	}
}

func TestUsageErrors(t *testing.T) {
	ctx := context.Background()
	for _, args := range [][]string{
		{"index"},
		{"-model", "m.gguf", "search", "x"},
		{"-model", "m.gguf", "-chunk", "10", "-overlap", "10", "query", "x"},
		{"query", "x"},
	} {
		assert.Error(t, run(ctx, args, &bytes.Buffer{}), "%q", args)
	}
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
