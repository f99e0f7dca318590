package main

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/platform"
)

// TestAutoRecordLine: info's "auto choice" line says what auto picked
// here and why from the record, "not measured yet" without one, and
// that a damaged record or one from another CPU is not used.
func TestAutoRecordLine(t *testing.T) {
	probed := platform.ProbeCPUFeatures()
	rec := thisMachine()
	tests := []struct {
		name  string
		rec   autorecord.Record
		err   error
		has   []string
		lacks []string
	}{
		{"measured here", rec, nil, []string{"f16: the fastest format whose cosine to F32 stayed >= 0.999", "2026-12-01 09:30 UTC", "m.gguf, bert 384x6", "300.0 texts/s", "then f32 200.0", "below the bound: q8_0 0.998000"}, []string{"another CPU"}},
		{"measured on another CPU", otherCPU(), nil, []string{"f16:", "measured on another CPU", "run quantize -type auto here"}, nil},
		{"not measured", autorecord.Record{}, fmt.Errorf("x: %w", autorecord.ErrNotFound), []string{"not measured yet", "quantize -type auto"}, nil},
		{"corrupt", autorecord.Record{}, fmt.Errorf("x: %w: truncated", autorecord.ErrCorrupt), []string{"unreadable record", "truncated", "replaces it"}, nil},
		{"no cache dir", autorecord.Record{}, errors.New("autorecord: neither $XDG_CACHE_HOME nor $HOME are defined"), []string{"unreadable record"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := autoRecordLine(tt.rec, tt.err, probed)
			for _, s := range tt.has {
				assert.Contains(t, line, s)
			}
			for _, s := range tt.lacks {
				assert.NotContains(t, line, s)
			}
			assert.NotContains(t, line, "\n")
		})
	}
	ranking, _, _ := platform.PublishedRanking(probed)
	assert.Contains(t, autoRecordLine(autorecord.Record{}, autorecord.ErrNotFound, probed), fmt.Sprint(ranking[0]), "the published ranking is named")
}

// TestQuantizeAutoRecordOneLine: an error text stored in a record is one
// line without control characters, which the record refuses.
func TestQuantizeAutoRecordOneLine(t *testing.T) {
	r := thisMachine()
	r.Candidates = append(r.Candidates, autorecord.Candidate{Format: "bf16", Error: oneLine("load failed:\n\x1b[31mred\x1b[0m\tand \xff more", 30)})
	path := isolatedCache(t)
	require.NoError(t, autorecord.Write(path, r), "the cleaned error text is a valid record field")
	got, err := autorecord.Read(path)
	require.NoError(t, err)
	c, _ := got.Candidate("bf16")
	assert.LessOrEqual(t, len(c.Error), 30+len("…"))
	assert.NotContains(t, c.Error, "\x1b")
	_, err = os.Stat(path)
	require.NoError(t, err)
}
