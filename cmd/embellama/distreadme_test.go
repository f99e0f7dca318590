package main

import (
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// checkDistReadme checks that the archive's README.md (dir) says, in the
// section of its platform, what the archive's libraries need from the
// system: every library they import that the archive does not hold, and
// the oldest system that has them (glibc and GLIBCXX versions on Linux,
// the minimum macOS of the Mach-O files), as their headers say.
func checkDistReadme(t *testing.T, dir string, libs []string, goos, goarch, target string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "for "+goos+"/"+goarch, "the README names its target")
	needs := systemNeeds(t, libs)
	require.NotEmpty(t, needs, "the libraries import something from the system")
	assert.Empty(t, unsaid(string(b), goos+"/"+goarch, needs), "%s: what README.md's %s/%s section does not name of %v", target, goos, goarch, needs)
}

// unsaid returns the needs that the README section of target (see
// readmeSection) does not name, ignoring case; all of them when there
// is no such section.
func unsaid(doc, target string, needs []string) []string {
	section := strings.ToLower(readmeSection(doc, target))
	var out []string
	for _, n := range needs {
		if !strings.Contains(section, strings.ToLower(n)) {
			out = append(out, n)
		}
	}
	return out
}

// TestDistReadmeNeeds checks scripts/dist/README.md, the README of every
// archive, against the libraries make lib-dist installed (without
// building the archives, which TestDistLayout does), and that a README
// which leaves a need out, or has no section for a target, is caught.
func TestDistReadmeNeeds(t *testing.T) {
	root := testenv.RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "scripts", "dist", "README.md"))
	require.NoError(t, err)
	doc := string(b)
	for _, d := range distTargets {
		name := platform.LibDirName(d.goos, d.goarch, d.backend)
		t.Run(name, func(t *testing.T) {
			found, err := platform.Find(platform.Search{Path: filepath.Join(root, "lib", name), GOOS: d.goos, GOARCH: d.goarch})
			if err != nil {
				testenv.Missing(t, "the %s library (run `make lib-dist`): %v", name, err)
			}
			needs := systemNeeds(t, found.All())
			require.NotEmpty(t, needs)
			assert.Empty(t, unsaid(doc, d.goos+"/"+d.goarch, needs), "needs: %v", needs)
		})
	}
	t.Run("caught", func(t *testing.T) {
		doc := "# x\n\n### windows/amd64 and windows/arm64\n\nMSVCP140.dll, kernel32.dll\n\n### linux/amd64\n\nVCRUNTIME140.dll\n"
		assert.Equal(t, []string{"VCRUNTIME140.dll"}, unsaid(doc, "windows/amd64", []string{"MSVCP140.dll", "KERNEL32.dll", "VCRUNTIME140.dll"}))
		assert.Equal(t, []string{"glibc 2.34"}, unsaid(doc, "darwin/arm64", []string{"glibc 2.34"}))
	})
}

// readmeSection returns the text under the "### " heading that names
// target, up to the next heading.
func readmeSection(doc, target string) string {
	var out strings.Builder
	in := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "#") {
			in = strings.HasPrefix(line, "### ") && strings.Contains(line, target)
			continue
		}
		if in {
			out.WriteString(line + "\n")
		}
	}
	return strings.Join(strings.Fields(out.String()), " ")
}

// systemNeeds returns what the shared libraries libs import from outside
// their own folder: file names (API sets, which Windows provides, left
// out; a framework as NAME.framework), plus "glibc X.Y" and
// "GLIBCXX_3.4.N" (the newest version a Linux library requires) or
// "macOS X.Y" (the newest minimum of the Mach-O files).
func systemNeeds(t *testing.T, libs []string) []string {
	t.Helper()
	own := map[string]bool{}
	for _, l := range libs {
		own[strings.ToLower(filepath.Base(l))] = true
	}
	seen := map[string]bool{}
	var needs []string
	add := func(name string) {
		if !own[strings.ToLower(name)] && !seen[name] {
			seen[name] = true
			needs = append(needs, name)
		}
	}
	newest := map[string][]int{} // "glibc", "GLIBCXX_3.4", "macOS" -> version
	for _, l := range libs {
		for _, name := range imports(t, l, newest) {
			add(name)
		}
	}
	if v := newest["glibc"]; v != nil {
		add(fmt.Sprintf("glibc %d.%d", v[0], v[1]))
	}
	if v := newest["GLIBCXX"]; v != nil {
		add(fmt.Sprintf("GLIBCXX_%d.%d.%d", v[0], v[1], v[2]))
	}
	if v := newest["macOS"]; v != nil {
		add(fmt.Sprintf("macOS %d.%d", v[0], v[1]))
	}
	return needs
}

// imports returns the libraries the object file path imports, and raises
// newest's versions to those it requires.
func imports(t *testing.T, path string, newest map[string][]int) []string {
	t.Helper()
	raise := func(key, version string) {
		var v []int
		for _, f := range strings.Split(version, ".") {
			n, err := strconv.Atoi(f)
			if err != nil {
				return
			}
			v = append(v, n)
		}
		for len(v) < 3 {
			v = append(v, 0)
		}
		if cur := newest[key]; cur == nil || slices.Compare(cur, v) < 0 {
			newest[key] = v
		}
	}
	var names []string
	if f, err := elf.Open(path); err == nil {
		defer f.Close()
		names, err = f.ImportedLibraries()
		require.NoError(t, err, path)
		syms, _ := f.ImportedSymbols()
		for _, s := range syms {
			if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok {
				raise("glibc", v)
			} else if v, ok := strings.CutPrefix(s.Version, "GLIBCXX_"); ok {
				raise("GLIBCXX", v)
			}
		}
		return names
	}
	if f, err := macho.Open(path); err == nil {
		defer f.Close()
		libs, err := f.ImportedLibraries()
		require.NoError(t, err, path)
		for _, l := range libs {
			if strings.HasPrefix(l, "@") {
				continue // @rpath/...: beside it
			}
			if i := strings.Index(l, ".framework/"); i >= 0 {
				names = append(names, filepath.Base(l[:i])+".framework")
			} else {
				names = append(names, filepath.Base(l))
			}
		}
		for _, ld := range f.Loads {
			if raw := ld.Raw(); len(raw) >= 16 && binary.LittleEndian.Uint32(raw) == 0x32 { // LC_BUILD_VERSION
				minos := binary.LittleEndian.Uint32(raw[12:])
				raise("macOS", fmt.Sprintf("%d.%d", minos>>16, minos>>8&0xff))
			}
		}
		return names
	}
	f, err := pe.Open(path)
	require.NoError(t, err, "%s is an ELF, Mach-O or PE file", path)
	defer f.Close()
	syms, err := f.ImportedSymbols()
	require.NoError(t, err, path)
	for _, s := range syms {
		if _, dll, ok := strings.Cut(s, ":"); ok && !strings.HasPrefix(strings.ToLower(dll), "api-ms-") && !slices.Contains(names, dll) {
			names = append(names, dll)
		}
	}
	return names
}
