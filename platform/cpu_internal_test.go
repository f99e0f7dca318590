package platform

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPhysicalCores(t *testing.T) {
	tests := []struct {
		name, cpuinfo string
		want          int
	}{
		{"no topology", "processor : 0\nmodel name : x\n\nprocessor : 1\n", 0},
		{"hyper-threads", "processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\nphysical id : 0\ncore id : 0\n\n" +
			"processor : 2\nphysical id : 0\ncore id : 1\n\nprocessor : 3\nphysical id : 0\ncore id : 1\n", 2},
		{"two sockets", "physical id : 0\ncore id : 0\n\nphysical id : 1\ncore id : 0\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, physicalCores(strings.NewReader(tt.cpuinfo)))
		})
	}
	n := PhysicalCores()
	assert.GreaterOrEqual(t, n, 1)
	assert.LessOrEqual(t, n, runtime.NumCPU())
}
