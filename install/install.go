package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// Sentinel errors, matched with [errors.Is]; each names a different
// remedy. Most are the values the embellama command's own installer
// returns (their text starts "libinstall: "), so one error has one name.
var (
	// ErrNotPinned: no library is pinned for this operating system,
	// architecture and backend; choose another backend.
	ErrNotPinned = platform.ErrNotPinned
	// ErrDownload: the npm client is missing or could not download a
	// package; install Node.js (which brings npm) or check the network
	// and npm's registry settings.
	ErrDownload = libinstall.ErrNPM
	// ErrChecksum: a downloaded package is not the pinned one (its sha256
	// differs); it was deleted and nothing was installed.
	ErrChecksum = libinstall.ErrChecksum
	// ErrBadPackage: a downloaded package is not laid out as expected;
	// nothing was installed.
	ErrBadPackage = libinstall.ErrBadTarball
	// ErrNotInstalled: [Verify] found no installed library; call
	// [Library].
	ErrNotInstalled = libinstall.ErrNotInstalled
	// ErrModified: [Verify] found installed files that differ from what
	// was installed; call [Library] again, which reinstalls them.
	ErrModified = libinstall.ErrModified
	// ErrBuildOnly: the backend is platform.Native, which no package
	// ships: `embellama lib build` compiles it for the CPU it runs on.
	ErrBuildOnly = libinstall.ErrBuildOnly
	// ErrNoUserDir: the user cache directory, the default library folder
	// and download cache, is unknown (no HOME, XDG_CACHE_HOME or
	// LocalAppData); set Options.LibDir and Options.CacheDir.
	ErrNoUserDir = errors.New("install: no user cache directory")
)

// Options says what to install where. The zero value installs the
// default backend's library into the user library folder.
type Options struct {
	// Backend is the library to install: platform.CPU, platform.Vulkan,
	// platform.CUDA or platform.Metal, as platform.Pins lists them for
	// the running system. The zero value is the library embed.Open falls
	// back to: CPU, or Metal on macOS arm64, the only one pinned there.
	Backend platform.Backend
	// LibDir is the folder that holds one <os>-<arch>-<backend> folder per
	// library. Empty means platform.UserLibDir, which embed.Open searches;
	// a program that installs elsewhere passes [Result.Dir] to
	// embed.Config's Library.
	LibDir string
	// CacheDir is the download cache, where each package is kept after
	// its sha256 is checked. Empty means embellama/npm in the user cache
	// directory, shared with `embellama lib install`.
	CacheDir string
	// Logger receives one Info record per step (up to date, downloading,
	// verified, installed), with the library folder as attribute "lib".
	// Nil logs nothing.
	Logger *slog.Logger

	fetch libinstall.Fetcher // tests only; nil: npm pack
}

// Result says what [Library] or [Verify] found.
type Result struct {
	// Pin is the library: its packages and llama.cpp version.
	Pin platform.Pin
	// Dir is the folder that holds the library's files.
	Dir string
	// UpToDate is set when Dir already held the pinned library, every
	// file unchanged, and nothing was downloaded or written.
	UpToDate bool
	// Files lists the installed files, relative to Dir.
	Files []string
}

// mu serializes installs within the process: two goroutines starting
// the same program's set-up would otherwise download twice and race to
// swap the folder.
var mu sync.Mutex

// Library installs the pinned library for the running operating system
// and architecture and opts.Backend into opts.LibDir, unless it is
// already there with every file unchanged ([Result.UpToDate]; the check
// reads the files, a fraction of a second for the CPU library), so a
// program may call it at every start. The packages are downloaded with
// npm into opts.CacheDir and checked against their pinned sha256;
// extraction goes to a staging folder beside the destination, swapped
// into place when complete, so after an error the destination is as it
// was.
//
// The error matches [ErrNotPinned], [ErrDownload], [ErrChecksum],
// [ErrBadPackage] or [ErrNoUserDir]; when ctx ends first, it also
// matches ctx.Err().
func Library(ctx context.Context, opts Options) (Result, error) {
	lo, err := opts.resolve()
	if err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{Pin: lo.Pin}, fmt.Errorf("install: %s: %w", lo.Pin.Dir(), err)
	}
	w := newLogWriter(ctx, opts.Logger, lo.Pin.Dir())
	lo.Progress = w
	mu.Lock()
	res, err := libinstall.Install(ctx, lo)
	mu.Unlock()
	w.flush()
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return Result{Pin: lo.Pin}, fmt.Errorf("install: %s: %w: %w", lo.Pin.Dir(), cerr, err)
		}
		return Result{Pin: lo.Pin}, fmt.Errorf("install: %s: %w", lo.Pin.Dir(), err)
	}
	return Result{Pin: lo.Pin, Dir: res.Dir, UpToDate: res.UpToDate, Files: res.Files}, nil
}

// Verify checks, file by file, the library [Library] would install with
// opts, downloading nothing. The error matches [ErrNotInstalled],
// [ErrModified], [ErrNotPinned] or [ErrNoUserDir].
func Verify(opts Options) (Result, error) {
	lo, err := opts.resolve()
	if err != nil {
		return Result{}, err
	}
	res, err := libinstall.Verify(lo)
	if err != nil {
		return Result{Pin: lo.Pin}, fmt.Errorf("install: %w", err)
	}
	return Result{Pin: lo.Pin, Dir: res.Dir, Files: res.Files}, nil
}

// resolve fills the defaults of opts into the installer's options.
func (opts Options) resolve() (libinstall.Options, error) {
	pin, err := pinFor(runtime.GOOS, runtime.GOARCH, opts.Backend)
	if err != nil {
		return libinstall.Options{}, fmt.Errorf("install: %w", err)
	}
	lo := libinstall.Options{Pin: pin, LibDir: opts.LibDir, CacheDir: opts.CacheDir, Fetch: opts.fetch}
	if lo.LibDir == "" {
		if lo.LibDir, err = platform.UserLibDir(); err != nil {
			return libinstall.Options{}, fmt.Errorf("%w for the library folder: %w", ErrNoUserDir, err)
		}
	}
	if lo.CacheDir == "" {
		if lo.CacheDir, err = libinstall.DefaultCacheDir(); err != nil {
			return libinstall.Options{}, fmt.Errorf("%w for the download cache: %w", ErrNoUserDir, err)
		}
	}
	return lo, nil
}

// pinFor returns the pin of goos, goarch and b; the zero backend is CPU
// where a CPU library is pinned, else the platform's only pinned backend
// (Metal on darwin/arm64), as `embellama lib install` chooses.
func pinFor(goos, goarch string, b platform.Backend) (platform.Pin, error) {
	if b.IsZero() {
		if p, err := platform.PinFor(goos, goarch, platform.CPU); err == nil {
			return p, nil
		}
		var only []platform.Pin
		for _, p := range platform.Pins() {
			if p.GOOS == goos && p.GOARCH == goarch {
				only = append(only, p)
			}
		}
		if len(only) == 1 {
			return only[0], nil
		}
	}
	return platform.PinFor(goos, goarch, b)
}

// logWriter turns the installer's progress lines into log records.
type logWriter struct {
	ctx context.Context
	log *slog.Logger
	buf bytes.Buffer
}

func newLogWriter(ctx context.Context, l *slog.Logger, lib string) *logWriter {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &logWriter{ctx: ctx, log: l.With("lib", lib)}
}

// Write logs each complete line of p; the rest waits for its newline.
func (w *logWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err == io.EOF {
			w.buf.WriteString(line) // incomplete: keep it
			return len(p), nil
		}
		w.emit(line)
	}
}

func (w *logWriter) flush() { w.emit(w.buf.String()); w.buf.Reset() }

func (w *logWriter) emit(line string) {
	if line = strings.TrimSpace(line); line != "" {
		w.log.InfoContext(w.ctx, line)
	}
}
