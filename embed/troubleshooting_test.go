package embed_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
)

// TestTroubleshootingMessages checks that the messages docs/troubleshooting.md
// quotes are the ones the code produces.
func TestTroubleshootingMessages(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "troubleshooting.md"))
	require.NoError(t, err)
	doc := string(b)
	ctx := context.Background()
	lib := testenv.Library(t)
	errText := func(err error) string {
		require.Error(t, err)
		return err.Error()
	}
	cases := []struct {
		quoted string // as the doc quotes it
		got    string // what the code says
	}{
		{"platform: llama library not found for", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: t.TempDir()}})
			return err
		}())},
		{"llama: library version mismatch:", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.StubLibrary(t, "0.4.0", llama.Symbols())}})
			return err
		}())},
		{"embellama is built for \"0.5.0\"", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.StubLibrary(t, "0.4.0", llama.Symbols())}})
			return err
		}())},
		{"symbol(s):", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.StubLibrary(t, llama.PinnedVersion, nil)}})
			return err
		}())},
		{"embed: not an embedding model:", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: testenv.Model(t, "stories260K.gguf")}})
			return err
		}())},
		{"declares no pooling", errText(func() error {
			_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: testenv.Model(t, "stories260K.gguf")}})
			return err
		}())},
		{"embed: input too long:", errText(func() error {
			_, err := open(t, "bert-mean").Embed(ctx, "", strings.Repeat("hello ", 600))
			return err
		}())},
		{"tokens, limit", errText(func() error {
			_, err := open(t, "bert-mean").Embed(ctx, "", strings.Repeat("hello ", 600))
			return err
		}())},
		{"gguf: tensor data beyond the end of the file", errText(func() error {
			data, err := os.ReadFile(testenv.Model(t, "bert-mean.gguf"))
			require.NoError(t, err)
			p := filepath.Join(t.TempDir(), "cut.gguf")
			require.NoError(t, os.WriteFile(p, data[:len(data)/2], 0o644))
			_, err = embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: lib}, ModelConfig: embed.ModelConfig{ModelPath: p}})
			return err
		}())},
		{"embed: embedding is not finite", embed.ErrNonFinite.Error()},
	}
	for _, c := range cases {
		assert.Contains(t, doc, c.quoted, "the doc quotes %q", c.quoted)
		assert.Contains(t, c.got, c.quoted, "the code says %q", c.quoted)
	}
	// The GPU fallback warning is checked where it is produced: TestCUDAFallback.
	assert.Contains(t, doc, "GPU backend unavailable, running on the CPU")
}
