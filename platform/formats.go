package platform

import (
	"slices"
	"strings"
)

// FormatAdvice is what [FastestFormat] knows about one class of CPU.
type FormatAdvice struct {
	// Class names the CPU class, such as "AVX-512 VNNI".
	Class string
	// Format is the weight format expected to embed fastest, as
	// `embellama quantize -type` spells it.
	Format string
	// Measured is true when the advice was measured on a CPU of the class
	// (docs/performance.md), false when it is inferred from which ggml
	// kernels the class has.
	Measured bool
	// Why says what the advice rests on, in one line.
	Why string
	// Try are the formats `embellama quantize -type auto` converts and
	// measures on this class: those that can be the fastest near-exact
	// one there (auto times them all, so the order only sets the order of
	// its report). Auto adds F32, the reference.
	Try []string
	// Ranking are the near-exact formats (cosine to F32 at least 0.999 on
	// every shape of docs/performance.md) fastest first on this class:
	// measured when Measured is, else inferred. `embellama pull` ranks a
	// repository's files by it when quantize -type auto has not measured
	// this machine.
	Ranking []string
}

// belowNearExact are the formats whose smallest cosine to F32 was below
// 0.999 on the benchmark shapes in docs/performance.md (Q4_0 0.89-0.96,
// Q4_K 0.96-0.99, IQ4_NL 0.97): pull prefers any other format to them.
var belowNearExact = []string{"q4_0", "q4_k", "iq4_nl"}

// BelowNearExact returns the formats the published measurements
// (docs/performance.md) found below auto's cosine bound on every model
// shape measured.
func BelowNearExact() []string { return slices.Clone(belowNearExact) }

// defaultRanking is the ranking on a CPU no row describes: Q8_0 halves
// the bytes read of F16 everywhere ggml has int8 dot products; inferred.
var defaultRanking = []string{"q8_0", "f16", "bf16", "f32"}

// PublishedRanking returns the near-exact formats, fastest first, for
// the CPU systemInfo describes, with its class and whether the ranking
// was measured ([FormatAdvice.Ranking]); a CPU no row describes gets
// an inferred ranking and the class "".
func PublishedRanking(systemInfo string) (ranking []string, class string, measured bool) {
	if adv, ok := FastestFormat(systemInfo); ok && len(adv.Ranking) > 0 {
		return slices.Clone(adv.Ranking), adv.Class, adv.Measured
	}
	return slices.Clone(defaultRanking), "", false
}

// defaultTry are the candidates of auto on a CPU no row describes.
var defaultTry = []string{"q8_0", "f16"}

// AutoCandidates returns the formats `embellama quantize -type auto`
// tries on the CPU that systemInfo describes (see [FastestFormat]).
func AutoCandidates(systemInfo string) []string {
	if adv, ok := FastestFormat(systemInfo); ok && len(adv.Try) > 0 {
		return adv.Try
	}
	return defaultTry
}

// formatTable is ordered from the most to the least capable class; the
// first row whose features ggml reports wins. docs/performance.md has the
// measurements behind the measured rows.
var formatTable = []struct {
	anyOf  []string // ggml feature names, any of which selects the row
	advice FormatAdvice
}{
	{[]string{"AMX_INT8"}, FormatAdvice{"AMX", "q8_0", true,
		"ggml's AMX kernels take Q8_0 and Q4 types, not F16: Q8_0 embedded 1.5-2.5x faster than F16 on the MiniLM, bge-small and bge-base shapes (prebuilt sapphirerapids variant, AMX_INT8 = 1), cosine vs F32 >= 0.9994", []string{"q8_0", "q4_0", "mix-f16-q8_0", "bf16", "f16"},
		// docs/performance.md, "Every x86 path": every shape, short and long.
		[]string{"q8_0", "mix-f16-q8_0", "f16", "bf16", "f32"}}},
	{[]string{"AVX512_VNNI", "AVX_VNNI"}, FormatAdvice{"AVX-512 VNNI", "q8_0", true,
		"int8 dot products: Q8_0 embedded 1.1-1.3x faster than F16 on the MiniLM and bge-base shapes on a native build, 1.9-2.1x on the prebuilt library (its F16 kernel is slower), cosine vs F32 >= 0.9995", []string{"q8_0", "q4_0", "mix-f16-q8_0", "bf16", "f16"},
		// Q8_0 before F16 measured here; the rest as on the AMX row.
		[]string{"q8_0", "mix-f16-q8_0", "f16", "bf16", "f32"}}},
	{[]string{"AVX512"}, FormatAdvice{"AVX-512", "q8_0", false,
		"int8 dot products without VNNI still beat F16 (converted to F32 per block); near-lossless", []string{"q8_0", "q4_0", "f16"},
		[]string{"q8_0", "f16", "bf16", "f32"}}},
	{[]string{"AVX2"}, FormatAdvice{"AVX2", "q8_0", false,
		"AVX2 has no F16 arithmetic, so F16 weights are widened per block; Q8_0 halves the bytes read", []string{"q8_0", "q4_0", "f16"},
		[]string{"q8_0", "f16", "f32", "bf16"}}},
	{[]string{"DOTPROD", "MATMUL_INT8"}, FormatAdvice{"arm64 dotprod/i8mm", "q8_0", false,
		"int8 dot-product instructions (SDOT, SMMLA) serve Q8_0; near-lossless", []string{"q8_0", "q4_0", "f16"},
		[]string{"q8_0", "f16", "bf16", "f32"}}},
}

// FastestFormat returns the weight format expected to embed fastest on
// the CPU that ggml describes in systemInfo (llama_print_system_info, such
// as "CPU : AVX2 = 1 | AVX512 = 1 | ..."), and false when no row of its
// table matches. It says nothing about GPUs.
func FastestFormat(systemInfo string) (FormatAdvice, bool) {
	on := map[string]bool{}
	for _, part := range strings.Split(systemInfo, "|") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if i := strings.LastIndex(k, ":"); i >= 0 {
			k = strings.TrimSpace(k[i+1:])
		}
		if strings.TrimSpace(v) == "1" {
			on[k] = true
		}
	}
	for _, row := range formatTable {
		for _, f := range row.anyOf {
			if on[f] {
				return row.advice, true
			}
		}
	}
	return FormatAdvice{}, false
}
