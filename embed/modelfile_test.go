package embed_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

const modelFileChild = "EMBELLAMA_TEST_MODELFILE_CHILD"

// TestModelFileChangedWhileLoaded truncates, then overwrites, the GGUF
// file of a loaded model. A model read into memory (the default for a
// file of embedding-model size) must neither crash the process (SIGBUS
// from a mapping whose pages are gone) nor change its vectors. It runs in
// a child process, since a crash would take the test binary down with it
// (issue 17.4).
func TestModelFileChangedWhileLoaded(t *testing.T) {
	if os.Getenv(modelFileChild) != "" {
		modelFileChildMain(t)
		return
	}
	lib := testenv.Library(t)
	src, err := os.ReadFile(testenv.Model(t, "bert-mean.gguf"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "model.gguf")
	require.NoError(t, os.WriteFile(path, src, 0o644))
	cmd := exec.Command(os.Args[0], "-test.run=^TestModelFileChangedWhileLoaded$", "-test.v")
	cmd.Env = append(os.Environ(), modelFileChild+"="+path, "EMBELLAMA_TEST_LIB="+lib)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the child must not crash:\n%s", out)
	assert.Contains(t, string(out), "vectors unchanged after truncate and overwrite")
}

func modelFileChildMain(t *testing.T) {
	path := os.Getenv(modelFileChild)
	ctx := context.Background()
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: os.Getenv("EMBELLAMA_TEST_LIB")}, ModelConfig: embed.ModelConfig{ModelPath: path}})
	require.NoError(t, err)
	defer e.Close()
	texts := []string{"hello world", "The quick brown fox jumps over the lazy dog."}
	before, err := e.EmbedBatch(ctx, "", texts)
	require.NoError(t, err)
	require.NoError(t, before.Err())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, fi.Size()/2))
	check := func(when string) {
		// The same call as before (the vector cache is off, so the model
		// evaluates them again, in the same batch: bit-identical vectors).
		r, err := e.EmbedBatch(ctx, "", texts)
		require.NoError(t, err, when)
		require.NoError(t, r.Err(), when)
		for i := range texts {
			for _, x := range r.Vectors[i] {
				require.False(t, math.IsNaN(float64(x)) || math.IsInf(float64(x), 0), when)
			}
			assert.Equal(t, before.Vectors[i], r.Vectors[i], "%s: %q", when, texts[i])
		}
	}
	check("after truncate")
	require.NoError(t, os.WriteFile(path, make([]byte, fi.Size()), 0o644))
	check("after overwrite")
	t.Log("vectors unchanged after truncate and overwrite")
}
