package llama

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAcceptedVersions: each platform accepts exactly the llama.cpp
// release pinned for it, and an unpinned one the bindings' own.
func TestAcceptedVersions(t *testing.T) {
	tests := []struct {
		goos, goarch string
		want         []string
	}{
		{"linux", "amd64", []string{"0.5.0"}},
		{"linux", "arm64", []string{"0.5.0"}},
		{"darwin", "arm64", []string{"0.4.0"}},
		{"darwin", "amd64", []string{"0.4.0"}},
		{"windows", "amd64", []string{"0.4.0"}},
		{"windows", "arm64", []string{"0.4.0"}},
		{"freebsd", "amd64", []string{PinnedVersion}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, AcceptedVersions(tt.goos, tt.goarch), tt.goos+"/"+tt.goarch)
	}
}
