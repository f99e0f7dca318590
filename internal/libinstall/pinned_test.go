package libinstall

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// TestInstallPinned installs every pinned library but the CUDA ones (each
// over 300 MB) into an empty folder, through npm and the shared download
// cache (a tarball already there is not downloaded again), and checks the
// tree: the files the loader needs for that platform are there and
// verify passes.
func TestInstallPinned(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the pinned packages")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		testenv.Missing(t, "npm, which downloads the packages: %v", err)
	}
	libDir := t.TempDir()
	for _, p := range platform.Pins() {
		if p.Backend == platform.CUDA {
			continue
		}
		t.Run(p.Dir(), func(t *testing.T) {
			opts := Options{Pin: p, LibDir: libDir}
			res, err := Install(context.Background(), opts)
			require.NoError(t, err)
			f := platform.Scan(res.Dir, p.GOOS)
			assert.NotEmpty(t, f.Llama, "llama library")
			assert.NotEmpty(t, f.Ggml, "ggml library")
			assert.NotEmpty(t, f.Base, "ggml-base")
			assert.NotEmpty(t, f.CPU, "CPU backend")
			if p.Backend != platform.CPU {
				assert.NotEmpty(t, f.Module(p.Backend.String()), "%s module", p.Backend)
			}
			assert.FileExists(t, res.Dir+"/"+licenceName)
			_, err = Verify(opts)
			require.NoError(t, err)
			again, err := Install(context.Background(), opts)
			require.NoError(t, err)
			assert.True(t, again.UpToDate)
		})
	}
	entries, err := os.ReadDir(libDir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".new-", "no temporary folder left")
	}
}
