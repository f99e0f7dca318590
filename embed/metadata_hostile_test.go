package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/pair"
	"github.com/embellama/embellama/internal/prompts"
	"github.com/embellama/embellama/internal/testenv"
)

// TestHostileMetadataRefused is review R25: a copy of the Qwen3 reranker
// whose rerank template holds 100,000 {document} (or {query}) markers
// loaded without complaint, and its first rerank asked Fill for
// markers × len(doc) bytes (the server died of OOM). Such a file, and
// one whose GGUF prompt is megabytes long, is refused at load.
func TestHostileMetadataRefused(t *testing.T) {
	src := testenv.Fixture(t, "qwen3-rerank-tiny")
	f, err := gguf.Open(src)
	require.NoError(t, err)
	tmpl, ok := f.String(pair.TemplateKey)
	require.True(t, ok)
	dir := t.TempDir()
	for _, c := range []struct {
		name, key, value string
		err              error
	}{
		{"100,000 documents", pair.TemplateKey, tmpl + strings.Repeat("{document}", 100000), pair.ErrTemplate},
		{"100,000 queries", pair.TemplateKey, tmpl + strings.Repeat("{query}", 100000), pair.ErrTemplate},
		{"a 1 MB prompt", prompts.GGUFPrefix + "query", strings.Repeat("x", 1<<20), prompts.ErrTooLong},
		{"the bound of markers", pair.TemplateKey, tmpl + strings.Repeat("{document}", pair.MaxMarkers-1), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := ggufFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".gguf", func(w *gguf.Writer) {
				copyModel(t, src, c.key)(w)
				require.NoError(t, w.Set(c.key, c.value))
			})
			e, err := embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.Library(t)}, ModelConfig: embed.ModelConfig{ModelPath: path, ContextSize: 128}})
			if c.err == nil {
				require.NoError(t, err)
				defer e.Close()
				r, err := e.Rerank(context.Background(), "", "q", []string{"fox"})
				require.NoError(t, err)
				assert.NoError(t, r.Err())
				return
			}
			require.ErrorIs(t, err, embed.ErrModelLoad)
			assert.ErrorIs(t, err, c.err)
		})
	}
}
