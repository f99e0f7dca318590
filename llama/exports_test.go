package llama

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/loader"
	"github.com/embellama/embellama/platform"
)

// exports returns the names of the functions the shared library at path
// exports, read from its ELF, Mach-O or PE file.
func exports(goos, path string) (map[string]bool, error) {
	names := map[string]bool{}
	switch goos {
	case "linux":
		f, err := elf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		syms, err := f.DynamicSymbols()
		if err != nil {
			return nil, err
		}
		for _, s := range syms {
			if s.Section != elf.SHN_UNDEF {
				names[s.Name] = true
			}
		}
	case "darwin":
		f, err := macho.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if f.Symtab == nil {
			return nil, fmt.Errorf("%s: no symbol table", path)
		}
		for _, s := range f.Symtab.Syms {
			if s.Type&0x01 != 0 && s.Type&0x0e == 0x0e { // N_EXT, N_SECT
				names[strings.TrimPrefix(s.Name, "_")] = true
			}
		}
	case "windows":
		return peExports(path)
	}
	return names, nil
}

// peExports reads the export name table of a PE file.
func peExports(path string) (map[string]bool, error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || len(oh.DataDirectory) == 0 {
		return nil, fmt.Errorf("%s: not a 64-bit PE with an export directory", path)
	}
	dir := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	data := map[*pe.Section][]byte{}
	section := func(rva uint32) (*pe.Section, []byte, error) {
		for _, s := range f.Sections {
			if rva >= s.VirtualAddress && rva < s.VirtualAddress+s.VirtualSize {
				if data[s] == nil {
					b, err := s.Data()
					if err != nil {
						return nil, nil, err
					}
					data[s] = b
				}
				return s, data[s], nil
			}
		}
		return nil, nil, fmt.Errorf("%s: rva %#x outside every section", path, rva)
	}
	read := func(rva, n uint32) ([]byte, error) {
		s, b, err := section(rva)
		if err != nil {
			return nil, err
		}
		off := rva - s.VirtualAddress
		if int(off+n) > len(b) {
			return nil, fmt.Errorf("%s: rva %#x+%d past its section", path, rva, n)
		}
		return b[off : off+n], nil
	}
	cstring := func(rva uint32) (string, error) {
		s, b, err := section(rva)
		if err != nil {
			return "", err
		}
		rest := b[rva-s.VirtualAddress:]
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			return string(rest[:i]), nil
		}
		return "", fmt.Errorf("%s: unterminated name at rva %#x", path, rva)
	}
	hdr, err := read(dir.VirtualAddress, 40)
	if err != nil {
		return nil, err
	}
	count, namesRVA := binary.LittleEndian.Uint32(hdr[24:]), binary.LittleEndian.Uint32(hdr[32:])
	ptrs, err := read(namesRVA, 4*count)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for i := uint32(0); i < count; i++ {
		name, err := cstring(binary.LittleEndian.Uint32(ptrs[4*i:]))
		if err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, nil
}

// TestPinnedLibrariesExport reads the export tables of the installed
// library of every release target (make lib-dist installs them), macOS
// and Windows included: each llama library exports every llama function
// these bindings use, and its ggml library every ggml function. Only
// Linux and arm64 (under qemu) load here; this is what proves the
// bindings' surface on the others.
func TestPinnedLibrariesExport(t *testing.T) {
	root := testenv.RepoRoot(t)
	llamaNames := append(names(llamaTable()), "llama_version")
	for _, p := range platform.Pins() {
		dir := filepath.Join(root, "lib", p.Dir())
		if _, err := os.Stat(dir); err != nil {
			if p.Backend == platform.CPU || p.Backend == platform.Metal {
				testenv.Missing(t, "%s (run `make lib-dist`): %v", dir, err)
			}
			continue // GPU packages of other systems are checked where installed
		}
		t.Run(p.Dir(), func(t *testing.T) {
			f := platform.Scan(dir, p.GOOS)
			require.NotEmpty(t, f.Llama)
			require.NotEmpty(t, f.Ggml)
			require.NotEmpty(t, f.Base)
			for lib, want := range map[string][]string{f.Llama: llamaNames, f.Ggml: names(ggmlTable()), f.Base: names(ggmlBaseTable())} {
				have, err := exports(p.GOOS, lib)
				require.NoError(t, err)
				require.NotEmpty(t, have, "%s exports functions", lib)
				var missing []string
				for _, n := range want {
					if !have[n] {
						missing = append(missing, n)
					}
				}
				assert.Empty(t, missing, "%s lacks functions the bindings use", filepath.Base(lib))
			}
		})
	}
}

func names(table []loader.Binding) []string {
	var n []string
	for _, b := range table {
		n = append(n, b.Name)
	}
	return n
}
