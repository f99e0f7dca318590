package platform_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/cpu"

	"github.com/embellama/embellama/platform"
)

// TestProbeCPUFeatures: the probed line is one FastestFormat reads, and
// it puts this CPU in the class its CPUID flags say.
func TestProbeCPUFeatures(t *testing.T) {
	info := platform.ProbeCPUFeatures()
	adv, ok := platform.FastestFormat(info)
	switch {
	case runtime.GOARCH == "amd64" && cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8:
		assert.True(t, ok)
		assert.Equal(t, "AMX", adv.Class, info)
	case runtime.GOARCH == "amd64" && (cpu.X86.HasAVX512VNNI || cpu.X86.HasAVXVNNI) && !(cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8):
		assert.True(t, ok)
		assert.Equal(t, "AVX-512 VNNI", adv.Class, info)
	case runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && !cpu.X86.HasAVX512F:
		assert.True(t, ok)
		assert.Equal(t, "AVX2", adv.Class, info)
	case runtime.GOARCH == "arm64" && cpu.ARM64.HasASIMDDP:
		assert.True(t, ok)
		assert.Equal(t, "arm64 dotprod/i8mm", adv.Class, info)
	}
	ranking, class, _ := platform.PublishedRanking(info)
	assert.Equal(t, adv.Class, class)
	assert.NotEmpty(t, ranking)
	for _, f := range platform.BelowNearExact() {
		assert.NotContains(t, ranking, f, "a format below the bound is never in a near-exact ranking")
	}
}
