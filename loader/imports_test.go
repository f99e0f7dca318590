package loader

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writePE writes a minimal PE32+ DLL for machine whose import table
// imports one function from each DLL of imports: what missingImports
// reads, made without a Windows toolchain.
func writePE(t *testing.T, path string, machine uint16, imports ...string) {
	t.Helper()
	const va, fileOff = 0x1000, 0x200
	var sec bytes.Buffer
	n := len(imports)
	descs := make([]byte, (n+1)*20)
	sec.Write(descs)
	for i, dll := range imports {
		nameRVA := va + sec.Len()
		sec.WriteString(dll + "\x00")
		hintRVA := va + sec.Len()
		sec.Write([]byte{0, 0, 'f', 0}) // hint, then the name "f"
		for sec.Len()%8 != 0 {
			sec.WriteByte(0)
		}
		thunkRVA := va + sec.Len()
		_ = binary.Write(&sec, binary.LittleEndian, []uint64{uint64(hintRVA), 0})
		d := sec.Bytes()[i*20:]
		binary.LittleEndian.PutUint32(d[0:], uint32(thunkRVA))  // OriginalFirstThunk
		binary.LittleEndian.PutUint32(d[12:], uint32(nameRVA))  // Name
		binary.LittleEndian.PutUint32(d[16:], uint32(thunkRVA)) // FirstThunk
	}
	for sec.Len()%0x200 != 0 {
		sec.WriteByte(0)
	}
	var b bytes.Buffer
	dos := make([]byte, 0x40)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], 0x40)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	oh := pe.OptionalHeader64{Magic: 0x20b, SectionAlignment: 0x1000, FileAlignment: 0x200,
		SizeOfImage: va + uint32(sec.Len()), SizeOfHeaders: fileOff, NumberOfRvaAndSizes: 16}
	oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_IMPORT] = pe.DataDirectory{VirtualAddress: va, Size: uint32(len(descs))}
	fh := pe.FileHeader{Machine: machine, NumberOfSections: 1, SizeOfOptionalHeader: uint16(binary.Size(oh)),
		Characteristics: 0x2022} // executable image, large address aware, DLL
	sh := pe.SectionHeader32{VirtualSize: uint32(sec.Len()), VirtualAddress: va, SizeOfRawData: uint32(sec.Len()),
		PointerToRawData: fileOff, Characteristics: 0xc0000040}
	copy(sh.Name[:], ".idata")
	for _, v := range []any{fh, oh, sh} {
		require.NoError(t, binary.Write(&b, binary.LittleEndian, v))
	}
	b.Write(make([]byte, fileOff-b.Len()))
	b.Write(sec.Bytes())
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
}

var vcDLLs = []string{"MSVCP140.dll", "VCRUNTIME140.dll", "VCRUNTIME140_1.dll"}

// TestMissingImports: the DLLs a library needs, directly or through its
// siblings, that neither its folder nor the system folder holds.
func TestMissingImports(t *testing.T) {
	const amd64, arm64 = pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_FILE_MACHINE_ARM64
	type dll struct {
		name    string
		imports []string
	}
	crt := "api-ms-win-crt-runtime-l1-1-0.dll"
	llama := append([]string{"KERNEL32.dll", "ggml-base.dll", "ggml.dll", crt}, vcDLLs...)
	tests := []struct {
		name    string
		machine uint16
		lib     []dll // in the library's folder, the library first
		system  []string
		want    []string
	}{
		{"runtime installed", amd64,
			[]dll{{"llama.dll", llama}, {"ggml.dll", []string{"ggml-base.dll", "MSVCP140.dll"}}, {"ggml-base.dll", []string{"KERNEL32.dll"}}},
			[]string{"kernel32.dll", "msvcp140.dll", "vcruntime140.dll", "vcruntime140_1.dll"}, nil},
		{"runtime missing", amd64,
			[]dll{{"llama.dll", llama}, {"ggml.dll", []string{"ggml-base.dll", "MSVCP140.dll"}}, {"ggml-base.dll", []string{"KERNEL32.dll", "VCRUNTIME140.dll"}}},
			[]string{"kernel32.dll"}, vcDLLs},
		{"runtime beside the library", arm64,
			[]dll{{"llama.dll", llama}, {"ggml.dll", nil}, {"ggml-base.dll", nil}, {"msvcp140.dll", nil}, {"vcruntime140.dll", nil}, {"vcruntime140_1.dll", nil}},
			[]string{"KERNEL32.DLL"}, nil},
		{"only a sibling's import is missing", arm64,
			[]dll{{"llama.dll", []string{"ggml.dll"}}, {"ggml.dll", []string{"ggml-base.dll", "VCOMP140.DLL"}}, {"ggml-base.dll", []string{"ggml.dll"}}},
			nil, []string{"VCOMP140.DLL"}},
		{"a missing sibling", amd64,
			[]dll{{"llama.dll", []string{"ggml.dll", "KERNEL32.dll"}}},
			[]string{"kernel32.dll"}, []string{"ggml.dll"}},
		{"API sets need no file", amd64,
			[]dll{{"llama.dll", []string{crt, "ext-ms-win-foo-l1-1-0.dll"}}}, nil, nil},
		{"a system library's own imports are not followed", amd64,
			[]dll{{"llama.dll", []string{"kernel32.dll"}}}, []string{"kernel32.dll"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			libDir, sysDir := filepath.Join(root, "lib"), filepath.Join(root, "system32")
			for _, d := range tt.lib {
				writePE(t, filepath.Join(libDir, d.name), tt.machine, d.imports...)
			}
			for _, s := range tt.system {
				writePE(t, filepath.Join(sysDir, s), tt.machine, "ntdll.dll") // never followed
			}
			missing, machine, err := missingImports(filepath.Join(libDir, tt.lib[0].name), []string{libDir, sysDir})
			require.NoError(t, err)
			assert.Equal(t, tt.want, missing)
			assert.Equal(t, tt.machine, machine)
		})
	}
	t.Run("not a PE file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "llama.dll")
		require.NoError(t, os.WriteFile(p, []byte("\x7fELF"), 0o644))
		_, _, err := missingImports(p, []string{filepath.Dir(p)})
		require.Error(t, err)
	})
}

// TestMissingDependencyError: the message names every missing DLL and,
// for the Visual C++ runtime, the Redistributable of the library's
// architecture; the error matches both sentinels and wraps the OS's.
func TestMissingDependencyError(t *testing.T) {
	osErr := errors.New("The specified module could not be found.")
	tests := []struct {
		name          string
		err           *MissingDependencyError
		want, notWant []string
	}{
		{"runtime, x64", &MissingDependencyError{Library: `C:\app\llama.dll`, Missing: vcDLLs, Arch: vcArch(pe.IMAGE_FILE_MACHINE_AMD64),
			Searched: []string{`C:\app`, `C:\Windows\system32`}, Err: osErr},
			[]string{`C:\app\llama.dll needs MSVCP140.dll, VCRUNTIME140.dll, VCRUNTIME140_1.dll, found in none of C:\app, C:\Windows\system32`,
				"Microsoft Visual C++ Redistributable 2015-2022 (x64)", "vc_redist.x64.exe", "winget install --id Microsoft.VCRedist.2015+.x64",
				"(The specified module could not be found.)"}, nil},
		{"runtime, arm64", &MissingDependencyError{Library: "llama.dll", Missing: []string{"VCOMP140.DLL"}, Arch: vcArch(pe.IMAGE_FILE_MACHINE_ARM64)},
			[]string{"needs VCOMP140.DLL", "(arm64)", "vc_redist.arm64.exe"}, []string{"x64"}},
		{"a sibling", &MissingDependencyError{Library: "llama.dll", Missing: []string{"ggml.dll"}, Arch: "x64"},
			[]string{"needs ggml.dll"}, []string{"Redistributable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = tt.err
			assert.ErrorIs(t, err, ErrMissingDependency)
			assert.ErrorIs(t, err, ErrNotLoadable)
			assert.NotErrorIs(t, err, ErrNotFound)
			if tt.err.Err != nil {
				assert.ErrorIs(t, err, osErr)
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, err.Error(), w)
			}
		})
	}
}

// TestMissingImportsPinned reads the pinned Windows libraries' import
// tables (make lib-dist installs them): with an empty system folder, the
// llama library lacks exactly the Visual C++ runtime's DLLs (beside the
// system's own), and none of its siblings.
func TestMissingImportsPinned(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", "lib"))
	for target, vc := range map[string][]string{
		"windows-amd64-cpu": vcDLLs,
		"windows-arm64-cpu": vcDLLs[:2], // VCRUNTIME140_1 holds x64's exception handling
	} {
		t.Run(target, func(t *testing.T) {
			dir := filepath.Join(root, target)
			libs, _ := filepath.Glob(filepath.Join(dir, "llama*.dll"))
			if len(libs) == 0 {
				if os.Getenv("CI") == "true" {
					t.Fatalf("required under CI=true: the %s library in %s (run `make lib-dist`)", target, dir)
				}
				t.Skipf("the %s library is not installed in %s (run `make lib-dist`)", target, dir)
			}
			missing, _, err := missingImports(libs[0], []string{dir, t.TempDir()})
			require.NoError(t, err)
			var vcFound []string
			for _, m := range missing {
				assert.NotContains(t, m, "ggml", "siblings are found beside it")
				if isVCRuntime(m) {
					vcFound = append(vcFound, m)
				}
			}
			assert.Equal(t, vc, vcFound, "the Visual C++ runtime DLLs of %v", missing)
		})
	}
}

// TestTroubleshootingQuotesMissingDependency: what docs/troubleshooting.md
// quotes of the message is what the loader says.
func TestTroubleshootingQuotesMissingDependency(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "troubleshooting.md"))
	require.NoError(t, err)
	doc := strings.Join(strings.Fields(string(b)), " ")
	msg := (&MissingDependencyError{Library: `C:\lib\llama.v0.4.0.dll`, Missing: vcDLLs, Arch: "x64",
		Searched: []string{`C:\lib`}}).Error()
	for _, quoted := range []string{
		"loader: missing dependency: ",
		`\llama.v0.4.0.dll needs MSVCP140.dll, VCRUNTIME140.dll, VCRUNTIME140_1.dll, found in none of `,
		"install the Microsoft Visual C++ Redistributable 2015-2022 (x64)",
		"winget install --id Microsoft.VCRedist.2015+.x64",
		"https://aka.ms/vs/17/release/vc_redist.x64.exe",
	} {
		assert.Contains(t, doc, quoted, "the doc quotes %q", quoted)
		assert.Contains(t, msg, quoted, "the loader says %q", quoted)
	}
}
