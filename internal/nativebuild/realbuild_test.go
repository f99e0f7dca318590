package nativebuild_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/internal/nativebuild"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// EnvRealBuild names the variable that runs TestRealBuild, which compiles
// llama.cpp (minutes: `make test-native-build` sets it).
const EnvRealBuild = "EMBELLAMA_TEST_NATIVE_BUILD"

// TestRealBuild builds the pinned llama.cpp source for this CPU, end to
// end as `embellama lib build` does (the source package from the npm
// cache, sha256-checked), loads the result and embeds the texts of a
// fixture's golden file, which llama-embedding of the same source wrote.
// It then quantizes the fixture to Q8_0 with the built library and embeds
// the texts again: on an AMX CPU a build with ggml's AMX kernels crashed
// there (SIGSEGV in ggml_backend_amx_mul_mat, see noAMXFlags).
func TestRealBuild(t *testing.T) {
	if os.Getenv(EnvRealBuild) == "" {
		t.Skipf("compiles llama.cpp for minutes: set %s=1 (make test-native-build)", EnvRealBuild)
	}
	pin, err := platform.NativePin(runtime.GOOS, runtime.GOARCH)
	require.NoError(t, err)
	model := testenv.Fixture(t, "bert-mean-tiny")
	golden := loadGolden(t, filepath.Join(testenv.RepoRoot(t), "testdata", "golden", "bert-mean-tiny.json"))

	opts := nativebuild.Options{Pin: pin, LibDir: t.TempDir(), Jobs: runtime.NumCPU(), Progress: testWriter{t}}
	start := time.Now()
	res, err := nativebuild.Build(context.Background(), opts)
	require.NoError(t, err)
	t.Logf("built in %s with %s", time.Since(start).Round(time.Second), res.Compiler)
	_, err = libinstall.Verify(libinstall.Options{Pin: pin, LibDir: opts.LibDir})
	require.NoError(t, err)

	e, err := embed.New(context.Background(), embed.Config{
		EngineConfig: embed.EngineConfig{Library: res.Dir, Backend: platform.Native},
		ModelConfig:  embed.ModelConfig{ModelPath: model},
	})
	require.NoError(t, err, "the built library passes the version check and loads")
	defer e.Close()
	require.Equal(t, platform.Native, e.Backend())
	for _, g := range golden {
		v, err := e.Embed(context.Background(), "", g.Text)
		require.NoError(t, err)
		testenv.AssertNear(t, g.Embedding, v, g.Text)
	}

	q8 := filepath.Join(t.TempDir(), "bert-mean-tiny-q8_0.gguf")
	require.NoError(t, e.Quantize(context.Background(), model, q8, embed.QuantizeOptions{Type: "q8_0"}))
	eq, err := embed.New(context.Background(), embed.Config{
		EngineConfig: embed.EngineConfig{Library: res.Dir, Backend: platform.Native},
		ModelConfig:  embed.ModelConfig{ModelPath: q8},
	})
	require.NoError(t, err)
	defer eq.Close()
	for _, g := range golden {
		v, err := eq.Embed(context.Background(), "", g.Text)
		require.NoError(t, err, "Q8_0 embeds on the native library")
		require.Greater(t, testenv.Cosine(v, g.Embedding), 0.999, "Q8_0 stays near the F16 golden vector of %q", g.Text)
	}
}

type goldenText struct {
	Text      string    `json:"text"`
	Embedding []float64 `json:"embedding"`
}

func loadGolden(t *testing.T, path string) []goldenText {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f struct {
		Results []goldenText `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.NotEmpty(t, f.Results)
	return f.Results
}

// testWriter passes the build's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Logf("%s", p); return len(p), nil }
