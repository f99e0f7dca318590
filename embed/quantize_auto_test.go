package embed_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

// TestQuantizeAuto converts the bert-mean fixture with Type auto, then
// checks the written file on its own: its vectors of the reference texts
// stay within AutoMinCosine of the F32 model's (converted separately), it
// is the candidate the report chose and the fastest of those kept, and
// no temporary file is left beside it.
func TestQuantizeAuto(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, embed.Config{})
	src := testenv.Model(t, "bert-mean.gguf")
	dir := t.TempDir()
	out := filepath.Join(dir, "auto.gguf")
	rep, err := e.QuantizeAuto(ctx, src, out, embed.QuantizeOptions{})
	require.NoError(t, err)
	t.Logf("auto chose %s: %+v", rep.Chosen, rep.Candidates)
	assert.Equal(t, embed.AutoMinCosine, rep.Bound)
	i := slices.IndexFunc(rep.Candidates, func(c embed.AutoCandidate) bool { return c.Type == rep.Chosen })
	require.GreaterOrEqual(t, i, 0)
	for _, c := range rep.Candidates {
		if c.Kept(rep.Bound) {
			assert.GreaterOrEqual(t, rep.Candidates[i].TextsPerSecond, c.TextsPerSecond, c.Type)
		}
	}
	assert.Equal(t, "f32", rep.Candidates[len(rep.Candidates)-1].Type, "F32, the reference, is always a candidate")

	f, err := gguf.Open(out)
	require.NoError(t, err)
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, rep.Candidates[i].Size, fi.Size())
	t.Logf("written: %s", f.FileType())
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, left, 1, "only the output remains")

	ref := filepath.Join(dir, "f32.gguf")
	require.NoError(t, e.Quantize(ctx, src, ref, embed.QuantizeOptions{Type: "f32"}))
	var texts []string
	for _, r := range testenv.LoadReference(t, "bert-mean") {
		texts = append(texts, r.Text)
	}
	want := embedAll(t, e, "auto-ref", ref, embed.PoolingDefault, texts)
	got := embedAll(t, e, "auto-out", out, embed.PoolingDefault, texts)
	worst := 1.0
	for k := range want {
		worst = min(worst, embed.Cosine(want[k], got[k]))
	}
	t.Logf("smallest cosine of the auto file vs F32 over %d reference texts: %.6f", len(texts), worst)
	assert.GreaterOrEqual(t, worst, embed.AutoMinCosine)
}

// TestQuantizeAutoRefuses: auto checks its input and output as Quantize
// does, before converting anything.
func TestQuantizeAutoRefuses(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, embed.Config{})
	src := testenv.Model(t, "bert-mean.gguf")
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.gguf")
	require.NoError(t, os.WriteFile(exists, []byte("x"), 0o644))
	_, err := e.QuantizeAuto(ctx, src, exists, embed.QuantizeOptions{})
	assert.ErrorIs(t, err, embed.ErrOutputExists)
	_, err = e.QuantizeAuto(ctx, src, filepath.Join(dir, "o.gguf"), embed.QuantizeOptions{Threads: -1})
	assert.ErrorIs(t, err, embed.ErrInvalidOption)
	_, err = e.QuantizeAuto(ctx, filepath.Join(dir, "missing.gguf"), filepath.Join(dir, "o.gguf"), embed.QuantizeOptions{})
	assert.ErrorIs(t, err, embed.ErrModelNotFound)
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, left, 1, "nothing written")
}
