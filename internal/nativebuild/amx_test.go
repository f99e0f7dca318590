package nativebuild_test

import (
	"bytes"
	"context"
	"maps"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/internal/nativebuild"
)

// amxProject is tinyProject with ggml-cpu's way of compiling for this
// CPU (-march=native as a target option, after CMAKE_C_FLAGS) and its
// gate of the AMX kernels (__AMX_INT8__): the build fails if the AMX
// kernels would be compiled in.
var amxProject = func() map[string]string {
	p := maps.Clone(tinyProject)
	p["CMakeLists.txt"] += "target_compile_options(ggml-base PRIVATE -march=native)\n"
	p["base.c"] = "#if defined(__AMX_INT8__) || defined(__AMX_TILE__)\n#error ggml's AMX kernels would be compiled\n#endif\n" + p["base.c"]
	return p
}()

// TestBuildLeavesOutAMX builds a project that refuses to compile with
// AMX enabled, with -march=native as ggml-cpu compiles: on an AMX CPU
// (Sapphire Rapids) only the build's -mno-amx flags let it compile, as a
// llama.cpp with AMX kernels crashed on every Q8_0 model.
func TestBuildLeavesOutAMX(t *testing.T) {
	if runtime.GOARCH != "amd64" || runtime.GOOS == "windows" {
		t.Skip("AMX is an x86 extension; the tiny project's layout is that of a single-config generator")
	}
	opts := fixture(t, amxProject)
	var progress bytes.Buffer
	opts.Progress = &progress
	res, err := nativebuild.Build(context.Background(), opts)
	require.NoError(t, err, "progress:\n%s", progress.String())
	notes := strings.Join(libinstall.Notes(res.Dir), "\n")
	require.Contains(t, notes, "-mno-amx-int8", "the manifest records the flags")
}
