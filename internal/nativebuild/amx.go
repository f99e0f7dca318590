package nativebuild

import (
	"context"
	"errors"
	"strings"
)

// noAMXFlags are the compiler flags that keep ggml's AMX kernels out of a
// native build. With GGML_NATIVE on an AMX CPU (Sapphire Rapids and
// later) -march=native defines __AMX_INT8__, which compiles
// ggml-cpu/amx: its AMX buffer type takes the quantized weights, and
// every Q8_0 model then crashes (SIGSEGV in ggml_backend_amx_mul_mat;
// llama-embedding of the pinned source crashes the same way, see
// llama.cpp issue 20824). The prebuilt libraries have no AMX kernels.
// GCC and Clang let an explicit -mno-* win over -march=native whatever
// the order, so these flags in CMAKE_C_FLAGS hold against the -march the
// ggml-cpu target adds later; AVX-512 VNNI and BF16 stay on.
var noAMXFlags = []string{"-mno-amx-tile", "-mno-amx-int8", "-mno-amx-bf16"}

// noAMXArgs returns the CMake arguments that add [noAMXFlags] to the C
// and C++ flags, after CFLAGS and CXXFLAGS of the environment (which
// CMake would read itself when the flags are not given), or nil when the
// compilers do not accept the flags (not an x86 compiler, MSVC): those
// builds compile no AMX kernels either. A compiler that does not answer
// is an [ErrToolProbe] error.
func noAMXArgs(ctx context.Context, t Tools, getenv func(string) string) ([]string, error) {
	for _, c := range []struct{ compiler, lang string }{{t.CC, "c"}, {t.CXX, "c++"}} {
		ok, err := accepts(ctx, c.compiler, c.lang, noAMXFlags)
		if err != nil || !ok {
			return nil, err
		}
	}
	flags := strings.Join(noAMXFlags, " ")
	return []string{
		"-DCMAKE_C_FLAGS=" + strings.TrimSpace(getenv("CFLAGS")+" "+flags),
		"-DCMAKE_CXX_FLAGS=" + strings.TrimSpace(getenv("CXXFLAGS")+" "+flags),
	}, nil
}

// accepts reports whether compiler preprocesses an empty lang source
// with flags without an error (GCC and Clang reject an unknown -m flag);
// the error is [ErrToolProbe]'s, when it did not answer.
func accepts(ctx context.Context, compiler, lang string, flags []string) (bool, error) {
	args := append(append([]string{}, flags...), "-E", "-x", lang, "-")
	_, err := probe(ctx, compiler, args...)
	if errors.Is(err, ErrToolProbe) {
		return false, err
	}
	return err == nil, nil
}
