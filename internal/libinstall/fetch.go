package libinstall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/embellama/embellama/internal/filehash"
	"github.com/embellama/embellama/platform"
)

// ErrChecksum is matched by the error of a tarball whose sha256 is not
// the pinned one. The tarball is deleted.
var ErrChecksum = errors.New("libinstall: checksum mismatch")

// ErrNPM is matched by the error of a failed or missing npm client.
var ErrNPM = errors.New("libinstall: npm failed")

// Fetcher puts the tarball of pkg into dir (as pkg.Tarball() names it).
type Fetcher func(ctx context.Context, pkg platform.Package, dir string) error

// NPMPack is the default [Fetcher]: `npm pack NAME@VERSION` run through
// the npm client (which uses its own registry settings and cache) with
// dir as the pack destination.
func NPMPack(ctx context.Context, pkg platform.Package, dir string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("%w: the npm client is needed to download %s (install Node.js, which brings npm): %w", ErrNPM, pkg.Spec(), err)
	}
	cmd := exec.CommandContext(ctx, npm, "pack", pkg.Spec(), "--pack-destination", dir, "--loglevel=error")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: npm pack %s: %w: %s", ErrNPM, pkg.Spec(), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// DefaultCacheDir returns the download cache shared by every target and
// every checkout: the npm folder of embellama's directory in the user
// cache (os.UserCacheDir).
func DefaultCacheDir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("libinstall: download cache: %w", err)
	}
	return filepath.Join(c, "embellama", "npm"), nil
}

// tarball returns the path of pkg's verified tarball in cache, fetching
// it when it is absent or wrong. A tarball that does not match the pin
// after fetching is deleted and refused.
func (in *installer) tarball(ctx context.Context, pkg platform.Package) (string, error) {
	path := filepath.Join(in.opts.CacheDir, pkg.Tarball())
	if sum, err := filehash.SHA256(path); err == nil && sum == pkg.SHA256 {
		in.say("  %s: in the download cache (%s)\n", pkg.Spec(), path)
		return path, nil
	}
	os.Remove(path)
	if err := os.MkdirAll(in.opts.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("libinstall: %w", err)
	}
	in.say("  %s: downloading with npm pack into %s\n", pkg.Spec(), in.opts.CacheDir)
	stop := in.spin(pkg.Spec())
	err := in.opts.Fetch(ctx, pkg, in.opts.CacheDir)
	stop()
	if err != nil {
		return "", err
	}
	sum, err := filehash.SHA256(path)
	if err != nil {
		return "", fmt.Errorf("libinstall: %s: npm pack wrote no %s: %w", pkg.Spec(), pkg.Tarball(), err)
	}
	if sum != pkg.SHA256 {
		os.Remove(path)
		return "", fmt.Errorf("%w: %s is %s, pinned %s (the tarball is deleted; nothing was installed)",
			ErrChecksum, pkg.Tarball(), sum, pkg.SHA256)
	}
	in.say("  %s: sha256 %s verified\n", pkg.Spec(), sum[:16])
	return path, nil
}
