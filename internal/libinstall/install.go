package libinstall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/embellama/embellama/platform"
)

// ErrNotInstalled is matched by the error of [Verify] for a pin with no
// installed tree.
var ErrNotInstalled = errors.New("libinstall: not installed")

// ErrModified is matched by the error of [Verify] for an installed tree
// whose files differ from its manifest.
var ErrModified = errors.New("libinstall: installed files differ from the manifest")

// Options says what to install where.
type Options struct {
	// Pin is the library to install (see platform.PinFor).
	Pin platform.Pin
	// LibDir is the folder that holds one <os>-<arch>-<backend> folder
	// per installed library: a checkout's lib/, or platform.UserLibDir.
	LibDir string
	// CacheDir is the download cache; empty means [DefaultCacheDir].
	CacheDir string
	// Fetch downloads a package; nil means [NPMPack].
	Fetch Fetcher
	// Progress receives what is done, line by line; nil discards it.
	Progress io.Writer
	// Terminal adds a live download timer and extraction counter to
	// Progress (set it when Progress is a terminal).
	Terminal bool
}

// Result says what [Install] did.
type Result struct {
	// Dir is the installed library folder.
	Dir string
	// UpToDate is set when Dir already held the pinned packages and
	// nothing was done.
	UpToDate bool
	// Files lists the installed files, relative to Dir.
	Files []string
}

type installer struct {
	opts Options
	dest string
}

func newInstaller(opts Options) (*installer, error) {
	if opts.LibDir == "" {
		return nil, errors.New("libinstall: no library folder given")
	}
	if opts.CacheDir == "" {
		c, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = c
	}
	if opts.Fetch == nil {
		opts.Fetch = NPMPack
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	return &installer{opts: opts, dest: filepath.Join(opts.LibDir, opts.Pin.Dir())}, nil
}

func (in *installer) say(format string, args ...any) { fmt.Fprintf(in.opts.Progress, format, args...) }

// Install installs opts.Pin into opts.LibDir/<os>-<arch>-<backend>. When
// that folder already holds the pinned packages with every file of its
// manifest in place, each with the sha256 the manifest recorded when it
// was installed, it does nothing and says so (Result.UpToDate). Files are
// extracted into a staging folder beside it, .<os>-<arch>-<backend>.new-*,
// which is swapped into place; staging folders that installs killed
// midway left, unchanged for [StaleAfter], are removed first.
// Errors match [ErrChecksum], [ErrNPM], [ErrBadTarball] or [ErrBuildOnly]; after an error
// the destination is as it was.
func Install(ctx context.Context, opts Options) (Result, error) {
	if opts.Pin.Backend == platform.Native {
		return Result{}, fmt.Errorf("%w: %s is compiled for this CPU by `embellama lib build`", ErrBuildOnly, opts.Pin.Dir())
	}
	in, err := newInstaller(opts)
	if err != nil {
		return Result{}, err
	}
	for _, name := range in.removeStale(time.Now()) {
		in.say("%s: removed %s, left by an install that was stopped\n", in.opts.LibDir, name)
	}
	if m, err := readManifest(in.dest); err == nil && m.matches(opts.Pin) && m.fullCheck(in.dest) == nil {
		in.say("%s: up to date (%s), nothing to do\n", in.dest, opts.Pin.Specs())
		return Result{Dir: in.dest, UpToDate: true, Files: m.names()}, nil
	}
	in.say("%s: installing %s\n", in.dest, opts.Pin.Specs())
	var tarballs []string
	for _, pkg := range opts.Pin.Packages {
		t, err := in.tarball(ctx, pkg)
		if err != nil {
			return Result{}, err
		}
		tarballs = append(tarballs, t)
	}
	files, err := in.extractAll(tarballs)
	if err != nil {
		return Result{}, err
	}
	in.say("%s: installed %d files (shared libraries and licence)\n", in.dest, len(files))
	return Result{Dir: in.dest, Files: files}, nil
}

// extractAll extracts every tarball into a fresh folder beside the
// destination, writes the manifest, and swaps the folder into place.
func (in *installer) extractAll(tarballs []string) ([]string, error) {
	if err := os.MkdirAll(in.opts.LibDir, 0o755); err != nil {
		return nil, fmt.Errorf("libinstall: %w", err)
	}
	tmp, err := os.MkdirTemp(in.opts.LibDir, "."+in.opts.Pin.Dir()+".new-")
	if err != nil {
		return nil, fmt.Errorf("libinstall: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("libinstall: %w", err)
	}
	var files []string
	for _, t := range tarballs {
		names, err := extract(t, tmp, in.counter(filepath.Base(t)))
		if err != nil {
			return nil, err
		}
		files = append(files, names...)
	}
	if in.opts.Terminal {
		in.say("\n")
	}
	files = dedupe(files)
	m, err := newManifest(in.opts.Pin, tmp, files)
	if err != nil {
		return nil, err
	}
	if err := m.write(tmp); err != nil {
		return nil, err
	}
	return files, swap(tmp, in.dest)
}

// swap replaces dest by tmp: the old folder is moved aside first, so
// files hard-linked elsewhere are never written to.
func swap(tmp, dest string) error {
	old := ""
	if _, err := os.Stat(dest); err == nil {
		old = tmp + ".old"
		if err := moveAside(dest, old); err != nil {
			return fmt.Errorf("libinstall: %w", err)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		if old != "" {
			os.Rename(old, dest)
		}
		return fmt.Errorf("libinstall: %w", err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// moveAside renames dest to old, a staging name, after marking dest as
// changed now: its files keep the times of the install that wrote them,
// so without the mark a concurrent install's sweep (removeStale) would
// take old for a killed install's and remove the one copy swap restores
// when the second rename fails.
func moveAside(dest, old string) error {
	now := time.Now()
	if err := os.Chtimes(dest, now, now); err != nil {
		return err
	}
	return os.Rename(dest, old)
}

func dedupe(names []string) []string {
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}

// Verify checks the tree installed for opts.Pin: its manifest names the
// pinned packages and every file has the size and sha256 recorded when
// it was installed. It downloads nothing. Errors match [ErrNotInstalled]
// or [ErrModified].
func Verify(opts Options) (Result, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return Result{}, err
	}
	m, err := readManifest(in.dest)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %s: %w", ErrNotInstalled, in.dest, err)
	}
	if !m.matches(opts.Pin) {
		return Result{}, fmt.Errorf("%w: %s holds %s, pinned %s", ErrModified, in.dest, m.packagesLine(), opts.Pin.Specs())
	}
	if err := m.fullCheck(in.dest); err != nil {
		return Result{}, err
	}
	return Result{Dir: in.dest, Files: m.names()}, nil
}
