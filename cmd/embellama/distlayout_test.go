package main

import (
	"archive/tar"
	"compress/gzip"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// distTargets are the release targets of `make dist` (DIST_TARGETS).
var distTargets = []struct {
	goos, goarch string
	backend      platform.Backend
}{
	{"linux", "amd64", platform.CPU},
	{"linux", "arm64", platform.CPU},
	{"darwin", "amd64", platform.CPU},
	{"darwin", "arm64", platform.Metal},
	{"windows", "amd64", platform.CPU},
	{"windows", "arm64", platform.CPU},
}

// TestDistLayout builds the release archive of each of the six targets
// (make lib-dist installs their libraries), unpacks each in Go and checks
// the layout the binary expects: an executable of that system and
// architecture, with every library file the loader needs beside it under
// that system's names, as discovery from the executable's directory finds
// them, plus the licence and the pins, and a README that names what the
// libraries need from the system.
func TestDistLayout(t *testing.T) {
	root := testenv.RepoRoot(t)
	var args []string
	for _, d := range distTargets {
		dir := filepath.Join(root, "lib", platform.LibDirName(d.goos, d.goarch, d.backend))
		if _, err := os.Stat(dir); err != nil {
			testenv.Missing(t, "the %s/%s library (run `make lib-dist`): %v", d.goos, d.goarch, err)
		}
		args = append(args, d.goos+"/"+d.goarch+"/"+d.backend.String())
	}
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(root, "scripts", "dist.sh"), args...)
	cmd.Env = append(os.Environ(), "DIST_DIR="+out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	require.NoError(t, err)

	for _, d := range distTargets {
		name := platform.LibDirName(d.goos, d.goarch, d.backend)
		t.Run(name, func(t *testing.T) {
			archives, _ := filepath.Glob(filepath.Join(out, "embellama-*-"+name+".tar.gz"))
			require.Len(t, archives, 1)
			assert.Contains(t, string(sums), filepath.Base(archives[0]))
			dir := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(archives[0]), ".tar.gz"))
			untar(t, archives[0], filepath.Dir(dir))

			exe := "embellama"
			if d.goos == "windows" {
				exe += ".exe"
			}
			checkBinary(t, filepath.Join(dir, exe), d.goos, d.goarch)
			for _, f := range []string{"LICENSE.node-llama-cpp", "README.md", "LLAMA_CPP_VERSION"} {
				assert.FileExists(t, filepath.Join(dir, f))
			}
			assert.NoFileExists(t, filepath.Join(dir, ".installed"), "the install manifest is not shipped")

			found, err := platform.Find(platform.Search{ExeDir: dir, GOOS: d.goos, GOARCH: d.goarch, Backend: d.backend})
			require.NoError(t, err, "discovery from the executable's directory")
			assert.Equal(t, "executable directory", found.Source)
			assert.Equal(t, dir, found.Dir)
			assert.NotEmpty(t, found.Ggml, "ggml")
			assert.NotEmpty(t, found.Base, "ggml-base")
			assert.NotEmpty(t, found.CPU, "CPU backend")
			if d.backend != platform.CPU {
				assert.NotEmpty(t, found.Module(d.backend.String()), "the %s module", d.backend)
			}
			pin, err := platform.PinFor(d.goos, d.goarch, d.backend)
			require.NoError(t, err)
			assert.Contains(t, filepath.Base(found.Llama), "v"+pin.LlamaVersion, "the pinned release's library")
			for _, f := range found.All() {
				checkLibrary(t, f, d.goos, d.goarch)
			}
			checkDistReadme(t, dir, found.All(), d.goos, d.goarch, name)
		})
	}
}

func untar(t *testing.T, archive, dest string) {
	t.Helper()
	f, err := os.Open(archive)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		require.False(t, strings.Contains(h.Name, ".."), h.Name)
		path := filepath.Join(dest, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			require.NoError(t, os.MkdirAll(path, 0o755))
		case tar.TypeReg:
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, os.FileMode(h.Mode)&0o777)
			require.NoError(t, err)
			_, err = io.Copy(out, tr)
			require.NoError(t, err)
			require.NoError(t, out.Close())
		}
	}
}

// checkBinary checks that path is an executable for goos/goarch.
func checkBinary(t *testing.T, path, goos, goarch string) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	if goos != "windows" {
		assert.NotZero(t, fi.Mode()&0o111, "%s is executable", path)
	}
	checkLibrary(t, path, goos, goarch)
}

// checkLibrary checks that path is an object file of goos's format for
// goarch.
func checkLibrary(t *testing.T, path, goos, goarch string) {
	t.Helper()
	name := filepath.Base(path)
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		require.NoError(t, err, name)
		defer f.Close()
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		assert.Equal(t, want, f.Machine, name)
	case "darwin":
		f, err := macho.Open(path)
		require.NoError(t, err, name)
		defer f.Close()
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		assert.Equal(t, want, f.Cpu, name)
	case "windows":
		f, err := pe.Open(path)
		require.NoError(t, err, name)
		defer f.Close()
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch]
		assert.Equal(t, want, f.Machine, name)
	}
}
