package platform_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/platform"
)

func TestPreferred(t *testing.T) {
	tests := []struct {
		name string
		hw   platform.Hardware
		want []platform.Backend
	}{
		{"plain linux", platform.Hardware{GOOS: "linux", GOARCH: "amd64"}, []platform.Backend{platform.Native, platform.CPU}},
		{"nvidia", platform.Hardware{GOOS: "linux", GOARCH: "amd64", NVIDIADriver: true, GPURenderNode: true},
			[]platform.Backend{platform.CUDA, platform.Vulkan, platform.Native, platform.CPU}},
		{"amd or intel gpu", platform.Hardware{GOOS: "linux", GOARCH: "arm64", GPURenderNode: true}, []platform.Backend{platform.Vulkan, platform.Native, platform.CPU}},
		{"apple silicon", platform.Hardware{GOOS: "darwin", GOARCH: "arm64"}, []platform.Backend{platform.Metal, platform.Native, platform.CPU}},
		{"intel mac", platform.Hardware{GOOS: "darwin", GOARCH: "amd64"}, []platform.Backend{platform.Native, platform.CPU}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, platform.Preferred(tt.hw))
		})
	}
	got := platform.Preferred(platform.ProbeHardware(runtime.GOOS, runtime.GOARCH))
	assert.Equal(t, platform.CPU, got[len(got)-1], "CPU is always the last resort")
}
