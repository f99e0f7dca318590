package nativebuild

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// ErrSource is matched by the error of [Build] when the source package
// holds no bundle, or the bundle is not the pinned commit.
var ErrSource = errors.New("nativebuild: bad source")

// bundleEntry is where node-llama-cpp's package keeps the llama.cpp
// release it was built from: a git bundle of that one commit.
const bundleEntry = "package/llama/gitRelease.bundle"

// extractBundle writes the git bundle of the package tarball tgz to dst.
func extractBundle(tgz, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("nativebuild: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrSource, tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%w: %s holds no %s", ErrSource, tgz, bundleEntry)
		}
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrSource, tgz, err)
		}
		if h.Name != bundleEntry || h.Typeflag != tar.TypeReg {
			continue
		}
		out, err := os.Create(dst)
		if err != nil {
			return fmt.Errorf("nativebuild: %w", err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return fmt.Errorf("%w: %s: %w", ErrSource, tgz, err)
		}
		return out.Close()
	}
}

// unbundle clones the bundle into dir and checks that it is at commit
// (an abbreviated hash, as pins.txt gives it).
func unbundle(ctx context.Context, git, bundle, dir, commit string) error {
	if out, err := run(ctx, "", git, "clone", "--quiet", bundle, dir); err != nil {
		return fmt.Errorf("%w: git clone of the bundle: %w: %s", ErrSource, err, lastLines(out, 5))
	}
	out, err := run(ctx, "", git, "-C", dir, "rev-parse", "HEAD")
	if err != nil {
		return fmt.Errorf("%w: git rev-parse: %w: %s", ErrSource, err, lastLines(out, 5))
	}
	head := strings.TrimSpace(string(out))
	if commit == "" || !strings.HasPrefix(head, commit) {
		return fmt.Errorf("%w: the bundle is at %s, pinned %s", ErrSource, head, commit)
	}
	return nil
}

// run runs name with args in dir and returns its combined output.
func run(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.Bytes(), err
}

// lastLines returns the last n lines of out, for an error message.
func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
