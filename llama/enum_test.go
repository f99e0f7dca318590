package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestEnumNames: the enums' names follow llama.h's numbering, and a
// value past them is "unknown".
func TestEnumNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{DeviceCPU.String(), "CPU"},
		{DeviceIGPU.String(), "iGPU"},
		{DeviceMeta.String(), "meta"},
		{DeviceType(5).String(), "unknown"},
		{DeviceType(-1).String(), "unknown"},
		{VocabNone.String(), "none"},
		{VocabWPM.String(), "wpm"},
		{VocabRWKV.String(), "rwkv"},
		{VocabType(6).String(), "unknown"},
		{PoolingUnspecified.String(), "unspecified"},
		{PoolingRank.String(), "rank"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.got)
	}
}
