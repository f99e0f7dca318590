package libinstall

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/platform"
)

// ErrBadTarball is matched by the error of a tarball that is not the
// npm package layout, or that names a path outside it.
var ErrBadTarball = errors.New("libinstall: bad package tarball")

// licenceName is the name the package's licence is installed under.
const licenceName = "LICENSE.node-llama-cpp"

// keep returns where the tarball entry name goes in the installed tree
// ("" to skip it): the shared libraries of package/bins/<platform>/
// (with their sub-folders, such as CUDA's fallback/) except
// llama-common, node-llama-cpp's own helper, and package/LICENSE.
func keep(name string) (string, error) {
	clean := path.Clean(name)
	if clean != name || strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "../") || clean == ".." {
		return "", fmt.Errorf("%w: entry %q", ErrBadTarball, name)
	}
	if clean == "package/LICENSE" {
		return licenceName, nil
	}
	parts := strings.Split(clean, "/")
	if len(parts) < 4 || parts[0] != "package" || parts[1] != "bins" {
		return "", nil
	}
	base := parts[len(parts)-1]
	if !platform.IsSharedLibrary(base) || strings.Contains(base, "llama-common") {
		return "", nil
	}
	return path.Join(parts[3:]...), nil
}

// extract writes the kept files of the tarball at src into dir and
// returns their names (slash-separated, relative to dir). progress is
// called with the bytes written so far.
func extract(src, dir string, progress func(int64)) ([]string, error) {
	f, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("libinstall: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadTarball, src, err)
	}
	tr := tar.NewReader(zr)
	var names []string
	var written int64
	libs := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadTarball, src, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		rel, err := keep(h.Name)
		if err != nil || rel == "" {
			if err != nil {
				return nil, err
			}
			continue
		}
		n, err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), tr, mode(rel))
		written += n
		if progress != nil {
			progress(written)
		}
		if err != nil {
			return nil, err
		}
		names = append(names, rel)
		if rel != licenceName {
			libs++
		}
	}
	if libs == 0 {
		return nil, fmt.Errorf("%w: %s holds no shared library under package/bins/", ErrBadTarball, src)
	}
	return names, nil
}

func mode(rel string) os.FileMode {
	if rel == licenceName {
		return 0o644
	}
	return 0o755
}

func writeFile(dst string, r io.Reader, perm os.FileMode) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("libinstall: %w", err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return 0, fmt.Errorf("libinstall: %w", err)
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("libinstall: writing %s: %w", dst, err)
	}
	return n, nil
}
