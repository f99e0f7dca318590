package embed_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
)

// envQuantizeChild marks the child process of TestQuantizeBadInputs.
const envQuantizeChild = "EMBELLAMA_TEST_QUANTIZE_CHILD"

// TestQuantizeBadInputs runs the bad-input table in a child process, so
// that an input reaching a llama.cpp GGML_ASSERT (which aborts the
// process) fails this test instead of killing the test binary.
func TestQuantizeBadInputs(t *testing.T) {
	if os.Getenv(envQuantizeChild) == "1" {
		quantizeBadInputs(t)
		return
	}
	testenv.Library(t) // fail here, not in the child, when it is missing
	cmd := exec.Command(os.Args[0], "-test.run", "^TestQuantizeBadInputs$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envQuantizeChild+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the child process failed or aborted:\n%s", out)
	assert.Contains(t, string(out), "--- PASS: TestQuantizeBadInputs")
	assert.NotContains(t, string(out), "--- SKIP", "the child ran every row")
}

// ggufFile writes a GGUF file built by add into dir and returns its path.
func ggufFile(t *testing.T, dir, name string, add func(w *gguf.Writer)) string {
	t.Helper()
	w := gguf.NewWriter()
	add(w)
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	return p
}

// copyModel returns a writer holding src's metadata, except the keys in
// drop, and all its tensors.
func copyModel(t *testing.T, src string, drop ...string) func(w *gguf.Writer) {
	f, err := gguf.Open(src)
	require.NoError(t, err)
	raw, err := os.ReadFile(src)
	require.NoError(t, err)
	return func(w *gguf.Writer) {
		for _, kv := range f.KV {
			if kv.Key == "general.alignment" || contains(drop, kv.Key) {
				continue
			}
			require.NoError(t, w.Set(kv.Key, kv.Value))
		}
		for _, ti := range f.Tensors {
			start := uint64(f.DataOffset) + ti.Offset
			require.NoError(t, w.AddTensor(ti.Name, ti.Type, ti.Dims, raw[start:start+ti.Bytes]))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quantizeBadInputs(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, embed.Config{})
	src := testenv.Model(t, "bert-mean.gguf")
	dir := t.TempDir()
	raw, err := os.ReadFile(src)
	require.NoError(t, err)
	text := filepath.Join(dir, "text.gguf")
	require.NoError(t, os.WriteFile(text, []byte("not a model at all\n"), 0o644))
	truncated := filepath.Join(dir, "truncated.gguf")
	require.NoError(t, os.WriteFile(truncated, raw[:len(raw)/2], 0o644))
	unknownArch := ggufFile(t, dir, "arch.gguf", func(w *gguf.Writer) {
		require.NoError(t, w.Set("general.architecture", "no-such-arch"))
		require.NoError(t, w.AddFloat32("token_embd.weight", gguf.TypeF32, []uint64{32, 2}, make([]float32, 64)))
	})
	noArch := ggufFile(t, dir, "noarch.gguf", func(w *gguf.Writer) {
		require.NoError(t, w.AddFloat32("token_embd.weight", gguf.TypeF32, []uint64{32, 2}, make([]float32, 64)))
	})
	noTensors := ggufFile(t, dir, "empty.gguf", func(w *gguf.Writer) {
		require.NoError(t, w.Set("general.architecture", "bert"))
	})
	bertNoHparams := ggufFile(t, dir, "bert-bare.gguf", func(w *gguf.Writer) {
		require.NoError(t, w.Set("general.architecture", "bert"))
		require.NoError(t, w.AddFloat32("token_embd.weight", gguf.TypeF32, []uint64{32, 2}, make([]float32, 64)))
	})
	missingLayers := ggufFile(t, dir, "nolayers.gguf", copyModel(t, src, "bert.block_count"))
	quantized := ggufFile(t, dir, "q8.gguf", func(w *gguf.Writer) {
		require.NoError(t, w.Set("general.architecture", "bert"))
		require.NoError(t, w.AddFloat32("token_embd.weight", gguf.TypeQ8_0, []uint64{32, 2}, make([]float32, 64)))
	})
	existing := filepath.Join(dir, "existing.gguf")
	require.NoError(t, os.WriteFile(existing, []byte("keep me"), 0o644))
	out := func(name string) string { return filepath.Join(dir, "out-"+name+".gguf") }

	for _, tc := range []struct {
		name    string
		in, out string
		opts    embed.QuantizeOptions
		want    error
	}{
		{"unknown type", src, out("type"), embed.QuantizeOptions{Type: "q3_x"}, embed.ErrQuantizeType},
		{"empty type", src, out("none"), embed.QuantizeOptions{}, embed.ErrQuantizeType},
		{"negative threads", src, out("threads"), embed.QuantizeOptions{Type: "q8_0", Threads: -1}, embed.ErrInvalidOption},
		{"missing input", filepath.Join(dir, "missing.gguf"), out("missing"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelNotFound},
		{"directory input", dir, out("dir"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelLoad},
		{"not GGUF", text, out("text"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelLoad},
		{"truncated", truncated, out("trunc"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelLoad},
		{"no architecture", noArch, out("noarch"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelLoad},
		{"no tensors", noTensors, out("empty"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrModelLoad},
		{"already quantized", quantized, out("q8"), embed.QuantizeOptions{Type: "q4_k"}, embed.ErrRequantize},
		{"output is input", src, src, embed.QuantizeOptions{Type: "q8_0", Overwrite: true}, embed.ErrOutputExists},
		{"output exists", src, existing, embed.QuantizeOptions{Type: "q8_0"}, embed.ErrOutputExists},
		{"output is a directory", src, dir, embed.QuantizeOptions{Type: "q8_0", Overwrite: true}, embed.ErrNotRegularFile},
		{"output is a device", src, os.DevNull, embed.QuantizeOptions{Type: "q8_0", Overwrite: true}, embed.ErrNotRegularFile},
		{"output directory missing", src, filepath.Join(dir, "no", "out.gguf"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrInvalidOption},
		{"output path with NUL", src, filepath.Join(dir, "a\x00b.gguf"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrInvalidOption},
		// These pass the Go reader and reach llama.cpp, which throws (and
		// returns a status) rather than asserting.
		{"unknown architecture", unknownArch, out("arch"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrQuantize},
		{"bert without hyperparameters", bertNoHparams, out("bare"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrQuantize},
		{"bert without block_count", missingLayers, out("nolayers"), embed.QuantizeOptions{Type: "q8_0"}, embed.ErrQuantize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.Quantize(ctx, tc.in, tc.out, tc.opts)
			require.ErrorIs(t, err, tc.want)
			if tc.out != src && tc.out != dir && tc.out != existing && tc.out != os.DevNull {
				assert.NoFileExists(t, tc.out, "a failed conversion leaves no output")
			}
		})
	}
	b, err := os.ReadFile(existing)
	require.NoError(t, err)
	assert.Equal(t, "keep me", string(b), "a refused output is untouched")
	if fi, err := os.Lstat(os.DevNull); assert.NoError(t, err) {
		assert.NotZero(t, fi.Mode()&os.ModeDevice, "%s is still a device", os.DevNull)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
	assert.Empty(t, leftovers, "no temporary file is left behind")

	// The engine still works, and Overwrite replaces the file.
	require.NoError(t, e.Quantize(ctx, src, existing, embed.QuantizeOptions{Type: "q8_0", Overwrite: true}))
	f, err := gguf.Open(existing)
	require.NoError(t, err)
	assert.Equal(t, "Q8_0", f.FileType())
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, e.Quantize(cancelled, src, out("cancelled"), embed.QuantizeOptions{Type: "q8_0"}), context.Canceled)
	require.NoError(t, e.Close())
	require.ErrorIs(t, e.Quantize(ctx, src, out("closed"), embed.QuantizeOptions{Type: "q8_0"}), embed.ErrClosed)
}
