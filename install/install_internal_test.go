package install

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// fakeFetch returns a fetcher that writes body as every package's tarball
// and counts its calls.
func fakeFetch(body []byte, calls *int) libinstall.Fetcher {
	return func(_ context.Context, pkg platform.Package, dir string) error {
		*calls++
		return os.WriteFile(filepath.Join(dir, pkg.Tarball()), body, 0o644)
	}
}

// TestLibraryErrors: each failure matches its sentinel (and ctx.Err()
// when the context ended), and leaves no library folder behind.
func TestLibraryErrors(t *testing.T) {
	unpinned := platform.Metal
	if runtime.GOOS == "darwin" {
		unpinned = platform.CUDA
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		opts  Options
		want  []error
		calls int
	}{
		{"wrong checksum", context.Background(), Options{fetch: nil}, []error{ErrChecksum}, 1},
		{"npm failed", context.Background(), Options{}, []error{ErrDownload}, 1},
		{"not pinned", context.Background(), Options{Backend: unpinned}, []error{ErrNotPinned}, 0},
		{"canceled before", canceled, Options{}, []error{context.Canceled}, 0},
		{"canceled while downloading", context.Background(), Options{}, []error{ErrDownload, context.Canceled}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			ctx, cancel := context.WithCancel(tt.ctx)
			defer cancel()
			tt.opts.LibDir, tt.opts.CacheDir = t.TempDir(), t.TempDir()
			switch tt.name {
			case "wrong checksum":
				tt.opts.fetch = fakeFetch([]byte("not the pinned tarball"), &calls)
			default:
				tt.opts.fetch = func(context.Context, platform.Package, string) error {
					calls++
					if tt.name == "canceled while downloading" {
						cancel()
					}
					return fmt.Errorf("%w: npm pack: exit status 1", libinstall.ErrNPM)
				}
			}
			res, err := Library(ctx, tt.opts)
			for _, w := range tt.want {
				require.ErrorIs(t, err, w)
			}
			assert.Equal(t, tt.calls, calls, "downloads")
			entries, _ := os.ReadDir(tt.opts.LibDir)
			assert.Empty(t, entries, "nothing installed")
			assert.Empty(t, res.Dir)
		})
	}
}

// TestLibraryLogs: the installer's steps reach the logger, one record
// each, with the library folder's name.
func TestLibraryLogs(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	opts := Options{LibDir: t.TempDir(), CacheDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		fetch: fakeFetch([]byte("x"), &calls)}
	_, err := Library(context.Background(), opts)
	require.ErrorIs(t, err, ErrChecksum)
	pin, err := pinFor(runtime.GOOS, runtime.GOARCH, platform.Backend{})
	require.NoError(t, err)
	assert.Contains(t, buf.String(), "level=INFO msg=\""+filepath.Join(opts.LibDir, pin.Dir())+": installing ")
	assert.Contains(t, buf.String(), "downloading with npm pack")
	assert.Contains(t, buf.String(), "lib="+pin.Dir())
}

func TestVerifyNotInstalled(t *testing.T) {
	_, err := Verify(Options{LibDir: t.TempDir(), CacheDir: t.TempDir()})
	require.ErrorIs(t, err, ErrNotInstalled)
}

// TestNoUserDir: without a user cache directory, the defaults cannot be
// chosen and the error says which to set.
func TestNoUserDir(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" || runtime.GOOS == "plan9" {
		t.Skip("the user cache directory comes from HOME and XDG_CACHE_HOME on Unix")
	}
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	_, err := Library(context.Background(), Options{})
	require.ErrorIs(t, err, ErrNoUserDir)
	assert.Contains(t, err.Error(), "library folder")
	_, err = Library(context.Background(), Options{LibDir: t.TempDir()})
	require.ErrorIs(t, err, ErrNoUserDir)
	assert.Contains(t, err.Error(), "download cache")
}

func TestPinFor(t *testing.T) {
	tests := []struct {
		goos, goarch string
		b            platform.Backend
		want         platform.Backend
		err          error
	}{
		{"linux", "amd64", platform.Backend{}, platform.CPU, nil},
		{"linux", "amd64", platform.Vulkan, platform.Vulkan, nil},
		{"darwin", "arm64", platform.Backend{}, platform.Metal, nil},
		{"darwin", "amd64", platform.Backend{}, platform.CPU, nil},
		{"darwin", "arm64", platform.CPU, platform.Backend{}, platform.ErrNotPinned},
		{"windows", "arm64", platform.CUDA, platform.Backend{}, platform.ErrNotPinned},
		{"plan9", "amd64", platform.Backend{}, platform.Backend{}, platform.ErrNotPinned},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.goarch+"/"+tt.b.String(), func(t *testing.T) {
			p, err := pinFor(tt.goos, tt.goarch, tt.b)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Backend)
			assert.Equal(t, tt.goos, p.GOOS)
		})
	}
}

// TestLogWriter: lines split across writes are logged whole, blank ones
// not at all, and an unfinished last line on flush.
func TestLogWriter(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})
	w := newLogWriter(context.Background(), slog.New(h), "linux-amd64-cpu")
	for _, s := range []string{"  one", " half", "\n\n\r\ntwo\nthr", "ee"} {
		n, err := w.Write([]byte(s))
		require.NoError(t, err)
		assert.Equal(t, len(s), n)
	}
	w.flush()
	want := "level=INFO msg=\"one half\" lib=linux-amd64-cpu\nlevel=INFO msg=two lib=linux-amd64-cpu\nlevel=INFO msg=three lib=linux-amd64-cpu\n"
	assert.Equal(t, want, buf.String())
}
