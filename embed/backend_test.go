package embed_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// TestBackendInUse checks the backend the test process runs on: the CPU
// library by default; in the child processes of the tests below, the
// Vulkan library on lavapipe, or the CUDA library falling back to the CPU.
func TestBackendInUse(t *testing.T) {
	e := open(t, "bert-mean", embed.Config{EngineConfig: embed.EngineConfig{Backend: backendUnderTest(t)}})
	lib := e.Library()
	switch os.Getenv(testenv.EnvBackend) {
	case "vulkan":
		assert.Equal(t, platform.Vulkan, e.Backend())
		assert.Empty(t, e.Fallback())
		assert.Contains(t, lib.Backends(), "Vulkan")
		var gpu []string
		for _, d := range lib.Devices() {
			if d.Type == llama.DeviceGPU {
				gpu = append(gpu, d.Name+" "+d.Description)
			}
		}
		require.NotEmpty(t, gpu, "a Vulkan device")
		t.Logf("backend in use: vulkan on %v", gpu)
	case "cuda":
		assert.Equal(t, platform.CPU, e.Backend(), "no GPU here: the CUDA library runs on the CPU")
		assert.Contains(t, e.Fallback(), "cuda backend")
		assert.False(t, lib.HasGPU())
		t.Logf("backend in use: cpu; fallback: %s", e.Fallback())
	default:
		assert.Equal(t, platform.CPU, e.Backend())
		assert.Empty(t, e.Fallback())
		assert.False(t, lib.HasGPU())
	}
	v, err := e.Embed(bg, "", "hello world")
	require.NoError(t, err)
	assert.Len(t, v, 128)
}

func backendUnderTest(t *testing.T) platform.Backend {
	if s := os.Getenv(testenv.EnvBackend); s != "" {
		b, err := platform.ParseBackend(s)
		require.NoError(t, err)
		return b
	}
	return platform.CPU
}

// TestVulkanBackend runs the reference-vector tests on the Vulkan library
// with Mesa's lavapipe, a CPU implementation of Vulkan: a real non-CPU
// ggml backend, end to end. qwen3-last is left out: with lavapipe, the
// pinned llama.cpp's Vulkan backend corrupts the heap on it now and then
// (malloc aborts inside llama_decode; on the CPU device of the same
// library, never), a llama.cpp/Mesa fault this project cannot fix.
func TestVulkanBackend(t *testing.T) {
	if os.Getenv(testenv.EnvBackend) != "" {
		t.Skip("already in a backend child process")
	}
	icds, _ := filepath.Glob("/usr/share/vulkan/icd.d/lvp_icd*.json")
	if len(icds) == 0 {
		testenv.Missing(t, "Mesa lavapipe (apt-get install mesa-vulkan-drivers libvulkan1)")
	}
	testenv.LibraryFor(t, platform.Vulkan)
	out := testenv.RunWithBackend(t, "vulkan", "^(TestReferenceVectors|TestBackendInUse)$",
		"GGML_VK_VISIBLE_DEVICES=0", "EMBELLAMA_TEST_REFERENCE=bert-mean,stories260K")
	for _, name := range []string{"TestReferenceVectors", "TestBackendInUse"} {
		assert.Contains(t, out, "--- PASS: "+name)
	}
	assert.Contains(t, out, "backend in use: vulkan")
	logWorst(t, out)
}

// TestCUDAFallback points the engine at the CUDA library on a machine
// without a GPU: it must give a working CPU engine, matching the
// reference vectors, and log why.
func TestCUDAFallback(t *testing.T) {
	if os.Getenv(testenv.EnvBackend) != "" {
		t.Skip("already in a backend child process")
	}
	testenv.LibraryFor(t, platform.CUDA)
	out := testenv.RunWithBackend(t, "cuda", "^(TestReferenceVectors|TestBackendInUse)$")
	assert.Contains(t, out, "--- PASS: TestReferenceVectors")
	assert.Contains(t, out, "--- PASS: TestBackendInUse")
	assert.Contains(t, out, "GPU backend unavailable, running on the CPU", "the log line saying why")
	assert.Contains(t, out, "libggml-cuda")
	logWorst(t, out)
}

func logWorst(t *testing.T, out string) {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "worst cosine") || strings.Contains(line, "backend in use") {
			t.Log(strings.TrimSpace(line))
		}
	}
}
