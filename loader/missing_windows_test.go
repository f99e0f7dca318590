package loader

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envNoVCRuntime names the environment variable that points
// TestOpenMissingRuntime at the pinned Windows library folder, on a
// Windows without the Visual C++ runtime (make test-wine-noruntime).
const envNoVCRuntime = "EMBELLAMA_TEST_NO_VCRUNTIME"

// TestOpenMissingRuntime opens the pinned llama DLL where the Visual C++
// runtime is not installed: the error names each missing DLL and the
// Redistributable that brings them. A Windows with the runtime loads the
// library, so the test runs only where envNoVCRuntime is set.
func TestOpenMissingRuntime(t *testing.T) {
	dir := os.Getenv(envNoVCRuntime)
	if dir == "" {
		t.Skipf("%s is unset: make test-wine-noruntime runs this test in a Wine prefix without the runtime", envNoVCRuntime)
	}
	libs, _ := filepath.Glob(filepath.Join(dir, "llama*.dll"))
	require.NotEmpty(t, libs, "a llama DLL in %s", dir)
	lib, err := Open(libs[0])
	if err == nil {
		lib.Close()
	}
	require.ErrorIs(t, err, ErrMissingDependency)
	require.ErrorIs(t, err, ErrNotLoadable)
	t.Logf("the error:\n%v", err)
	for _, dll := range vcDLLs {
		assert.Contains(t, err.Error(), dll)
	}
	assert.Contains(t, err.Error(), "Microsoft Visual C++ Redistributable 2015-2022 (x64)")
}
