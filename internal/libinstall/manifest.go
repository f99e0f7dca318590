package libinstall

import (
	"github.com/embellama/embellama/internal/filehash"

	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/embellama/embellama/platform"
)

// manifestName is the file in an installed folder that records what was
// installed: the packages and each file's size and sha256.
const manifestName = ".installed"

type manifestFile struct {
	name   string
	size   int64
	sha256 string
}

type manifest struct {
	packages []string // name@version sha256
	files    []manifestFile
	notes    []string // other lines, "key text": how a built library was made
}

func newManifest(p platform.Pin, dir string, names []string) (manifest, error) {
	var m manifest
	for _, pkg := range p.Packages {
		m.packages = append(m.packages, pkg.Spec()+" "+pkg.SHA256)
	}
	for _, n := range names {
		path := filepath.Join(dir, filepath.FromSlash(n))
		fi, err := os.Stat(path)
		if err != nil {
			return manifest{}, fmt.Errorf("libinstall: %w", err)
		}
		sum, err := filehash.SHA256(path)
		if err != nil {
			return manifest{}, fmt.Errorf("libinstall: %w", err)
		}
		m.files = append(m.files, manifestFile{n, fi.Size(), sum})
	}
	return m, nil
}

func (m manifest) write(dir string) error {
	var b strings.Builder
	b.WriteString("# installed by embellama lib install or lib build; checked by embellama lib verify\n")
	for _, p := range m.packages {
		fmt.Fprintf(&b, "package %s\n", p)
	}
	for _, f := range m.files {
		fmt.Fprintf(&b, "file %s %d %s\n", f.sha256, f.size, f.name)
	}
	for _, n := range m.notes {
		fmt.Fprintf(&b, "%s\n", n)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("libinstall: %w", err)
	}
	return nil
}

func readManifest(dir string) (manifest, error) {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return manifest{}, err
	}
	defer f.Close()
	var m manifest
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "package":
			m.packages = append(m.packages, rest)
		case "file":
			p := strings.SplitN(rest, " ", 3)
			if len(p) != 3 {
				return manifest{}, fmt.Errorf("malformed manifest line %q", sc.Text())
			}
			size, err := strconv.ParseInt(p[1], 10, 64)
			if err != nil {
				return manifest{}, fmt.Errorf("malformed manifest line %q", sc.Text())
			}
			m.files = append(m.files, manifestFile{p[2], size, p[0]})
		default:
			if kind != "" && !strings.HasPrefix(kind, "#") {
				m.notes = append(m.notes, sc.Text())
			}
		}
	}
	if err := sc.Err(); err != nil {
		return manifest{}, err
	}
	if len(m.packages) == 0 || len(m.files) == 0 {
		return manifest{}, fmt.Errorf("%s is not an embellama manifest (installed by an older script?)", manifestName)
	}
	return m, nil
}

func (m manifest) matches(p platform.Pin) bool {
	if len(m.packages) != len(p.Packages) {
		return false
	}
	for i, pkg := range p.Packages {
		if m.packages[i] != pkg.Spec()+" "+pkg.SHA256 {
			return false
		}
	}
	return true
}

func (m manifest) packagesLine() string { return strings.Join(m.packages, " + ") }

func (m manifest) names() []string {
	n := make([]string, len(m.files))
	for i, f := range m.files {
		n[i] = f.name
	}
	return n
}

// quickCheck compares the sizes of the files: a cheap first pass of
// fullCheck, which a damaged file of the same size passes.
func (m manifest) quickCheck(dir string) error {
	for _, f := range m.files {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.name)))
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrModified, dir, err)
		}
		if fi.Size() != f.size {
			return fmt.Errorf("%w: %s is %d bytes, installed %d", ErrModified, f.name, fi.Size(), f.size)
		}
	}
	return nil
}

// fullCheck compares sizes and sha256 of every file; Install decides
// "up to date" with it (about 25 MB for the CPU library: a fraction of a
// second).
func (m manifest) fullCheck(dir string) error {
	if err := m.quickCheck(dir); err != nil {
		return err
	}
	for _, f := range m.files {
		sum, err := filehash.SHA256(filepath.Join(dir, filepath.FromSlash(f.name)))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrModified, err)
		}
		if sum != f.sha256 {
			return fmt.Errorf("%w: %s has sha256 %s, installed %s", ErrModified, f.name, sum, f.sha256)
		}
	}
	return nil
}
