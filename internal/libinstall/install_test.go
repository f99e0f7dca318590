package libinstall

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/platform"
)

// fakeTarball returns a gzip'd tar with the given entries, laid out as
// node-llama-cpp's packages are.
func fakeTarball(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range entries {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

var fakeEntries = map[string]string{
	"package/LICENSE":                               "MIT",
	"package/package.json":                          "{}",
	"package/bins/linux-x64/libllama.v0.5.0.so":     "llama",
	"package/bins/linux-x64/libggml.v0.5.0.so":      "ggml",
	"package/bins/linux-x64/libggml-cpu-x64.so":     "cpu",
	"package/bins/linux-x64/libllama-common.so":     "common",
	"package/bins/linux-x64/llama-addon.node":       "addon",
	"package/bins/linux-x64/fallback/libggml-x.so":  "fallback",
	"package/bins/linux-x64/_nlcBuildMetadata.json": "{}",
}

type fakeNPM struct {
	tarball []byte
	calls   int
}

func (f *fakeNPM) fetch(_ context.Context, pkg platform.Package, dir string) error {
	f.calls++
	return os.WriteFile(filepath.Join(dir, pkg.Tarball()), f.tarball, 0o644)
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func setup(t *testing.T, tarball []byte, pinned string) (Options, *fakeNPM) {
	npm := &fakeNPM{tarball: tarball}
	root := t.TempDir()
	pin := platform.Pin{GOOS: "linux", GOARCH: "amd64", Backend: platform.CPU, LlamaVersion: "0.5.0",
		Packages: []platform.Package{{Name: "@node-llama-cpp/linux-x64", Version: "9.9.9", SHA256: pinned}}}
	return Options{Pin: pin, LibDir: filepath.Join(root, "lib"), CacheDir: filepath.Join(root, "cache"), Fetch: npm.fetch}, npm
}

func TestInstall(t *testing.T) {
	ctx := context.Background()
	tb := fakeTarball(t, fakeEntries)
	opts, npm := setup(t, tb, sum(tb))
	var progress bytes.Buffer
	opts.Progress = &progress

	res, err := Install(ctx, opts)
	require.NoError(t, err)
	assert.False(t, res.UpToDate)
	assert.Equal(t, filepath.Join(opts.LibDir, "linux-amd64-cpu"), res.Dir)
	assert.Equal(t, []string{"LICENSE.node-llama-cpp", "fallback/libggml-x.so", "libggml-cpu-x64.so", "libggml.v0.5.0.so", "libllama.v0.5.0.so"}, res.Files,
		"only shared libraries and the licence, llama-common left out")
	b, err := os.ReadFile(filepath.Join(res.Dir, "libllama.v0.5.0.so"))
	require.NoError(t, err)
	assert.Equal(t, "llama", string(b))
	assert.Contains(t, progress.String(), "downloading with npm pack")
	assert.Equal(t, 1, npm.calls)
	f := platform.Scan(res.Dir, "linux")
	assert.Equal(t, filepath.Join(res.Dir, "libllama.v0.5.0.so"), f.Llama, "discovery finds what was installed")

	// A second run is a no-op and says so.
	progress.Reset()
	again, err := Install(ctx, opts)
	require.NoError(t, err)
	assert.True(t, again.UpToDate)
	assert.Contains(t, progress.String(), "up to date")
	assert.Equal(t, 1, npm.calls)

	_, err = Verify(opts)
	require.NoError(t, err)

	// Another target reuses the download cache.
	other := opts
	other.LibDir = filepath.Join(t.TempDir(), "lib")
	_, err = Install(ctx, other)
	require.NoError(t, err)
	assert.Equal(t, 1, npm.calls, "the cached tarball is reused")

	// A damaged tree fails verify and is reinstalled.
	require.NoError(t, os.WriteFile(filepath.Join(res.Dir, "libggml-cpu-x64.so"), []byte("CPU"), 0o755))
	_, err = Verify(opts)
	require.ErrorIs(t, err, ErrModified)
	require.NoError(t, os.WriteFile(filepath.Join(res.Dir, "libggml.v0.5.0.so"), []byte("x"), 0o755))
	res, err = Install(ctx, opts)
	require.NoError(t, err)
	assert.False(t, res.UpToDate, "a file of another size is reinstalled")
	_, err = Verify(opts)
	require.NoError(t, err)
}

func TestInstallRefusesWrongChecksum(t *testing.T) {
	ctx := context.Background()
	tb := fakeTarball(t, fakeEntries)
	opts, _ := setup(t, tb, sum([]byte("another tarball")))
	_, err := Install(ctx, opts)
	require.ErrorIs(t, err, ErrChecksum)
	assert.NoDirExists(t, filepath.Join(opts.LibDir, "linux-amd64-cpu"), "nothing installed")
	assert.NoFileExists(t, filepath.Join(opts.CacheDir, opts.Pin.Packages[0].Tarball()), "the bad tarball is deleted")
	entries, _ := os.ReadDir(opts.LibDir)
	assert.Empty(t, entries, "no temporary folder left behind")
	_, err = Verify(opts)
	assert.ErrorIs(t, err, ErrNotInstalled)

	// Over an installed tree, a bad download leaves the tree as it was.
	good := opts
	good.Pin.Packages = []platform.Package{{Name: "@node-llama-cpp/linux-x64", Version: "9.9.9", SHA256: sum(tb)}}
	_, err = Install(ctx, good)
	require.NoError(t, err)
	bad := good
	bad.Pin.Packages = []platform.Package{{Name: "@node-llama-cpp/linux-x64", Version: "9.9.10", SHA256: sum([]byte("x"))}}
	_, err = Install(ctx, bad)
	require.ErrorIs(t, err, ErrChecksum)
	_, err = Verify(good)
	assert.NoError(t, err, "the installed tree is untouched")
}

func TestInstallRefusesBadTarball(t *testing.T) {
	ctx := context.Background()
	for name, tb := range map[string][]byte{
		"not gzip":     []byte("plain text"),
		"escapes":      fakeTarball(t, map[string]string{"package/bins/x/../../../evil.so": "x"}),
		"no libraries": fakeTarball(t, map[string]string{"package/LICENSE": "MIT"}),
	} {
		t.Run(name, func(t *testing.T) {
			opts, _ := setup(t, tb, sum(tb))
			_, err := Install(ctx, opts)
			require.ErrorIs(t, err, ErrBadTarball)
			assert.NoDirExists(t, filepath.Join(opts.LibDir, "linux-amd64-cpu"))
			assert.NoFileExists(t, filepath.Join(filepath.Dir(opts.LibDir), "evil.so"))
		})
	}
}

func TestKeep(t *testing.T) {
	tests := []struct{ in, want string }{
		{"package/LICENSE", "LICENSE.node-llama-cpp"},
		{"package/bins/win-x64/llama.v0.4.0.dll", "llama.v0.4.0.dll"},
		{"package/bins/win-x64/llama-common.dll", ""},
		{"package/bins/win-x64/llama-addon.lib", ""},
		{"package/bins/mac-arm64-metal/libggml-metal.so", "libggml-metal.so"},
		{"package/bins/mac-arm64-metal/libllama.metal.v0.4.0.dylib", "libllama.metal.v0.4.0.dylib"},
		{"package/bins/win-x64-cuda/fallback/ggml-cuda.dll", "fallback/ggml-cuda.dll"},
		{"package/README.md", ""},
		{"package/bins/libx.so", ""},
	}
	for _, tt := range tests {
		got, err := keep(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	_, err := keep("/abs/x.so")
	assert.ErrorIs(t, err, ErrBadTarball)
}

func TestNPMPackMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := NPMPack(context.Background(), platform.Package{Name: "@node-llama-cpp/x", Version: "1"}, t.TempDir())
	require.ErrorIs(t, err, ErrNPM)
	assert.Contains(t, err.Error(), "install Node.js")
}
