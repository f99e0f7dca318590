package platform

import (
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"
)

// ProbeCPUFeatures returns the features of this CPU that [FastestFormat]
// reads, written as ggml's system info writes them ("CPU : AVX2 = 1 |
// AVX512 = 1 | ..."), from CPUID (golang.org/x/sys/cpu) rather than from
// a loaded library: for commands that load none, such as pull. It says
// what the CPU (and the OS, for AVX state) offers; ggml may use less
// where its library variant was compiled without a feature.
func ProbeCPUFeatures() string {
	return cpuFeatures(runtime.GOARCH)
}

func cpuFeatures(goarch string) string {
	var on []string
	add := func(name string, ok bool) {
		if ok {
			on = append(on, name+" = 1")
		}
	}
	switch goarch {
	case "amd64", "386":
		x := cpu.X86
		add("SSE3", x.HasSSE3)
		add("SSSE3", x.HasSSSE3)
		add("AVX", x.HasAVX)
		add("AVX_VNNI", x.HasAVXVNNI)
		add("AVX2", x.HasAVX2)
		add("F16C", x.HasF16C)
		add("FMA", x.HasFMA)
		add("BMI2", x.HasBMI2)
		add("AVX512", x.HasAVX512F)
		add("AVX512_VBMI", x.HasAVX512VBMI)
		add("AVX512_VNNI", x.HasAVX512VNNI)
		add("AVX512_BF16", x.HasAVX512BF16)
		add("AMX_INT8", x.HasAMXTile && x.HasAMXInt8)
	case "arm64":
		a := cpu.ARM64
		add("NEON", a.HasASIMD)
		add("ARM_FMA", a.HasASIMD)
		add("FP16_VA", a.HasASIMDHP)
		add("DOTPROD", a.HasASIMDDP)
		add("MATMUL_INT8", a.HasI8MM)
		add("SVE", a.HasSVE)
	}
	return "CPU : " + strings.Join(on, " | ")
}
