package platform_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

func TestFastestFormat(t *testing.T) {
	for _, tc := range []struct {
		name, info, class string
		measured, ok      bool
	}{
		{"this machine", "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 | REPACK = 1 |",
			"AVX-512 VNNI", true, true},
		{"AMX first", "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 |", "AMX", true, true},
		{"AVX-512 without VNNI", "CPU : AVX2 = 1 | AVX512 = 1 |", "AVX-512", false, true},
		{"AVX2 only", "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 |", "AVX2", false, true},
		{"alder lake AVX-VNNI", "CPU : AVX2 = 1 | AVX_VNNI = 1 |", "AVX-512 VNNI", true, true},
		{"arm64", "CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | DOTPROD = 1 | MATMUL_INT8 = 1 |", "arm64 dotprod/i8mm", false, true},
		{"a zero flag does not count", "CPU : AVX2 = 0 | SSE3 = 1 |", "", false, false},
		{"unknown", "CPU : SSE3 = 1 |", "", false, false},
		{"empty", "", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			adv, ok := platform.FastestFormat(tc.info)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.class, adv.Class)
			assert.Equal(t, tc.measured, adv.Measured)
			if ok {
				assert.Equal(t, "q8_0", adv.Format)
				assert.NotEmpty(t, adv.Why)
			}
		})
	}
}

// TestAutoCandidates: every class, and an unknown CPU, offers auto a few
// formats that `embellama quantize` writes, without repeats and without
// F32 (auto adds the reference itself).
func TestAutoCandidates(t *testing.T) {
	known := embed.QuantizeTypes()
	for _, info := range []string{
		"CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 |",
		"CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 |",
		"CPU : AVX2 = 1 | AVX512 = 1 |",
		"CPU : AVX2 = 1 |",
		"CPU : NEON = 1 | DOTPROD = 1 |",
		"CPU : SSE3 = 1 |",
		"",
	} {
		got := platform.AutoCandidates(info)
		require.NotEmpty(t, got, info)
		seen := map[string]bool{}
		for _, typ := range got {
			assert.Contains(t, known, typ, info)
			assert.NotEqual(t, "f32", typ, info)
			assert.False(t, seen[typ], "%s repeated for %q", typ, info)
			seen[typ] = true
		}
	}
}
