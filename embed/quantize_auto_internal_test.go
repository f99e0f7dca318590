package embed

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestChooseAuto: auto keeps the fastest candidate that met the bound and
// was timed, the smaller file on a tie, and nothing when none did.
func TestChooseAuto(t *testing.T) {
	c := func(typ string, cos, rate float64, size int64) AutoCandidate {
		return AutoCandidate{Type: typ, MinCosine: cos, TextsPerSecond: rate, Size: size}
	}
	failed := c("q4_0", 0.9999, 900, 10)
	failed.Err = errors.New("refused")
	for _, tt := range []struct {
		name  string
		cands []AutoCandidate
		want  string // "" when none
	}{
		{"fastest that keeps the bound", []AutoCandidate{c("q8_0", 0.9995, 180, 30), c("f16", 0.99999, 90, 50), c("f32", 1, 60, 100)}, "q8_0"},
		{"a faster format below the bound is passed over", []AutoCandidate{c("q4_0", 0.998, 250, 20), c("q8_0", 0.9995, 180, 30), c("f32", 1, 60, 100)}, "q8_0"},
		{"the bound itself is kept", []AutoCandidate{c("q8_0", AutoMinCosine, 180, 30), c("f32", 1, 60, 100)}, "q8_0"},
		{"a failed format is passed over", []AutoCandidate{failed, c("f32", 1, 60, 100)}, "f32"},
		{"an untimed format is passed over", []AutoCandidate{c("q8_0", 0.9999, 0, 30), c("f32", 1, 60, 100)}, "f32"},
		{"a tie goes to the smaller file", []AutoCandidate{c("mix-f16-q8_0", 0.9999, 180, 40), c("q8_0", 0.9999, 180, 30)}, "q8_0"},
		{"none", []AutoCandidate{c("q4_0", 0.99, 250, 20), failed}, ""},
		{"empty", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := chooseAuto(tt.cands, AutoMinCosine)
			assert.Equal(t, tt.want != "", ok)
			if ok {
				assert.Equal(t, tt.want, tt.cands[i].Type)
			}
		})
	}
}

// TestAutoTexts: the reference texts are deterministic and hold both
// lengths the benchmark corpus has.
func TestAutoTexts(t *testing.T) {
	a, b := autoTexts(), autoTexts()
	assert.Equal(t, a, b)
	assert.Len(t, a, 28)
	assert.Less(t, len(a[0]), len(a[len(a)-1]))
}
