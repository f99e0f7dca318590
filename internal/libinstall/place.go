package libinstall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/platform"
)

// ErrBuildOnly is matched by the error of [Install] for a pin that no
// package ships (platform.Native): it is built, by `embellama lib build`.
var ErrBuildOnly = errors.New("libinstall: this library is built from source, not installed")

// Tarball returns the path of pkg's tarball in the download cache of
// opts, fetching it when it is absent or wrong, with the same sha256
// check as [Install]'s packages: the build of a library from source
// takes its source through it. Errors match [ErrChecksum] or [ErrNPM].
func Tarball(ctx context.Context, opts Options, pkg platform.Package) (string, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return "", err
	}
	return in.tarball(ctx, pkg)
}

// Place installs the files of opts.Pin that were made elsewhere (a build
// from source) into opts.LibDir/<os>-<arch>-<backend>, as [Install]
// installs a package's: copied into a staging folder beside it (symbolic
// links as links), a manifest naming the pin's packages and every file's
// size and sha256 written, and the folder swapped into place, so that
// [Verify] checks it like any installed library. files are paths
// relative to srcDir; notes are extra manifest lines ("key text"), such
// as how the files were built. After an error the destination is as it
// was.
func Place(opts Options, srcDir string, files, notes []string) (Result, error) {
	in, err := newInstaller(opts)
	if err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(in.opts.LibDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("libinstall: %w", err)
	}
	tmp, err := os.MkdirTemp(in.opts.LibDir, "."+in.opts.Pin.Dir()+".new-")
	if err != nil {
		return Result{}, fmt.Errorf("libinstall: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Result{}, fmt.Errorf("libinstall: %w", err)
	}
	var regular []string
	for _, f := range files {
		link, err := copyEntry(filepath.Join(srcDir, filepath.FromSlash(f)), filepath.Join(tmp, filepath.FromSlash(f)))
		if err != nil {
			return Result{}, err
		}
		if !link {
			regular = append(regular, f)
		}
	}
	m, err := newManifest(in.opts.Pin, tmp, dedupe(regular))
	if err != nil {
		return Result{}, err
	}
	m.notes = notes
	if err := m.write(tmp); err != nil {
		return Result{}, err
	}
	if err := swap(tmp, in.dest); err != nil {
		return Result{}, err
	}
	return Result{Dir: in.dest, Files: m.names()}, nil
}

// copyEntry copies the file src to dst, or recreates it when it is a
// symbolic link to a name in its own folder, and reports which.
func copyEntry(src, dst string) (link bool, err error) {
	fi, err := os.Lstat(src)
	if err != nil {
		return false, fmt.Errorf("libinstall: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("libinstall: %w", err)
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return false, fmt.Errorf("libinstall: %w", err)
		}
		if strings.ContainsRune(target, '/') || strings.ContainsRune(target, filepath.Separator) {
			return false, fmt.Errorf("%w: %s links outside its folder (%s)", ErrBadTarball, src, target)
		}
		return true, os.Symlink(target, dst)
	}
	in, err := os.Open(src)
	if err != nil {
		return false, fmt.Errorf("libinstall: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o200)
	if err != nil {
		return false, fmt.Errorf("libinstall: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return false, fmt.Errorf("libinstall: %w", err)
	}
	return false, out.Close()
}

// Notes returns the extra lines of the manifest in dir that [Place]
// wrote or [AddNote] added, each as "key text", or nil when dir has no
// manifest.
func Notes(dir string) []string {
	m, err := readManifest(dir)
	if err != nil {
		return nil
	}
	return m.notes
}

// AddNote appends a line ("key text") to the manifest in dir, replacing
// any earlier line with the same key. The manifest's check covers the
// files, not the notes.
func AddNote(dir, key, text string) error {
	m, err := readManifest(dir)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotInstalled, dir, err)
	}
	notes := m.notes[:0]
	for _, n := range m.notes {
		if k, _, _ := strings.Cut(n, " "); k != key {
			notes = append(notes, n)
		}
	}
	m.notes = append(notes, key+" "+text)
	return m.write(dir)
}
