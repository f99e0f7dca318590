package platform_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/platform"
)

func TestParseBackend(t *testing.T) {
	tests := []struct {
		in   string
		want platform.Backend
		err  bool
	}{
		{"cpu", platform.CPU, false},
		{"CUDA", platform.CUDA, false},
		{"Metal", platform.Metal, false},
		{"vulkan", platform.Vulkan, false},
		{"Native", platform.Native, false},
		{"", platform.Backend{}, true},
		{"rocm", platform.Backend{}, true},
		{"cpu ", platform.Backend{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := platform.ParseBackend(tt.in)
			if tt.err {
				require.ErrorIs(t, err, platform.ErrUnknownBackend)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, got, mustParse(t, got.String()), "String round-trips")
		})
	}
}

func mustParse(t *testing.T, s string) platform.Backend {
	b, err := platform.ParseBackend(s)
	require.NoError(t, err)
	return b
}

func TestBackendText(t *testing.T) {
	type cfg struct {
		Backend platform.Backend `json:"backend"`
	}
	b, err := json.Marshal(cfg{platform.Vulkan})
	require.NoError(t, err)
	assert.JSONEq(t, `{"backend":"vulkan"}`, string(b))

	var c cfg
	require.NoError(t, json.Unmarshal([]byte(`{"backend":"metal"}`), &c))
	assert.Equal(t, platform.Metal, c.Backend)
	require.NoError(t, json.Unmarshal([]byte(`{"backend":""}`), &c))
	assert.True(t, c.Backend.IsZero())
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"backend":"tpu"}`), &c), platform.ErrUnknownBackend)
}

func FuzzParseBackend(f *testing.F) {
	for _, s := range []string{"cpu", "CUDA", "metal", "Vulkan", "", "x"} {
		f.Add(s)
	}
	f.Add("native")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := platform.ParseBackend(s)
		if err != nil {
			return
		}
		again, err := platform.ParseBackend(b.String())
		if err != nil || again != b {
			t.Fatalf("%q parsed to %v, which does not round-trip", s, b)
		}
	})
}
