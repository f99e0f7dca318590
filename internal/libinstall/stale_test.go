package libinstall

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInstallRemovesStaleStaging: an install killed mid-extract leaves
// its staging folder (.<os>-<arch>-<backend>.new-*) behind; a later
// install removes it once nothing in it has changed for StaleAfter, and
// leaves alone one still being written and folders of other names.
// (Before, no install ever removed one.)
func TestInstallRemovesStaleStaging(t *testing.T) {
	tb := fakeTarball(t, fakeEntries)
	opts, _ := setup(t, tb, sum(tb))
	require.NoError(t, os.MkdirAll(opts.LibDir, 0o755))
	mk := func(name string, age time.Duration) string {
		dir := filepath.Join(opts.LibDir, name)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "fallback"), 0o755))
		for _, f := range []string{"libllama.v0.5.0.so", "fallback/libggml-x.so"} {
			p := filepath.Join(dir, f)
			require.NoError(t, os.WriteFile(p, []byte("half"), 0o644))
			require.NoError(t, os.Chtimes(p, time.Now().Add(-age), time.Now().Add(-age)))
		}
		for _, d := range []string{filepath.Join(dir, "fallback"), dir} {
			require.NoError(t, os.Chtimes(d, time.Now().Add(-age), time.Now().Add(-age)))
		}
		return dir
	}
	stale := mk(".linux-amd64-cpu.new-123456", 2*StaleAfter)
	staleOld := mk(".linux-amd64-cpu.new-654321.old", 2*StaleAfter) // killed inside swap
	busy := mk(".linux-amd64-cpu.new-777", 0)
	other := mk(".linux-arm64-cpu.new-1", 2*StaleAfter) // another target's: its own install cleans it
	user := mk("linux-amd64-cpu.new-1", 2*StaleAfter)   // not a staging name
	link := filepath.Join(opts.LibDir, ".linux-amd64-cpu.new-link")
	require.NoError(t, os.Symlink(user, link))

	for _, run := range []string{"install", "up to date"} {
		_, err := Install(context.Background(), opts)
		require.NoError(t, err, run)
		assert.NoDirExists(t, stale, run)
		assert.NoDirExists(t, staleOld, run)
		assert.DirExists(t, busy, "%s: a folder written to within StaleAfter may be another install's", run)
		assert.DirExists(t, other, run)
		assert.FileExists(t, filepath.Join(user, "libllama.v0.5.0.so"), "%s: the link's target is not followed", run)
		require.NoError(t, os.Chtimes(busy, time.Now(), time.Now()))
	}
}

// TestInstallChecksContents: "up to date" compares each installed file's
// sha256 with the manifest, so a damaged file of the same size is
// reinstalled. (Before, sizes alone decided, and it stayed until verify.)
func TestInstallChecksContents(t *testing.T) {
	ctx := context.Background()
	tb := fakeTarball(t, fakeEntries)
	opts, _ := setup(t, tb, sum(tb))
	res, err := Install(ctx, opts)
	require.NoError(t, err)
	lib := filepath.Join(res.Dir, "libllama.v0.5.0.so")
	require.NoError(t, os.WriteFile(lib, []byte("LLAMA"), 0o644)) // "llama", same size
	res, err = Install(ctx, opts)
	require.NoError(t, err)
	assert.False(t, res.UpToDate, "a same-size damaged file is reinstalled")
	b, err := os.ReadFile(lib)
	require.NoError(t, err)
	assert.Equal(t, "llama", string(b))
	_, err = Verify(opts)
	require.NoError(t, err)
}

// TestSweepSparesSwap: the folder swap moves aside is not stale to a
// concurrent install's sweep, though its files are as old as the install
// that wrote them (review R14: the sweep could remove it between swap's
// two renames, and a failed second rename then lost the library).
func TestSweepSparesSwap(t *testing.T) {
	opts, _ := setup(t, nil, "")
	in := &installer{opts: opts}
	dest := filepath.Join(opts.LibDir, opts.Pin.Dir())
	require.NoError(t, os.MkdirAll(dest, 0o755))
	lib := filepath.Join(dest, "libllama.v0.5.0.so")
	require.NoError(t, os.WriteFile(lib, []byte("llama"), 0o644))
	long := time.Now().Add(-2 * StaleAfter)
	for _, p := range []string{lib, dest} {
		require.NoError(t, os.Chtimes(p, long, long))
	}
	old := filepath.Join(opts.LibDir, in.stagingPrefix()+"42.old")
	require.NoError(t, moveAside(dest, old))
	assert.Empty(t, in.removeStale(time.Now()))
	assert.FileExists(t, filepath.Join(old, "libllama.v0.5.0.so"))
}
