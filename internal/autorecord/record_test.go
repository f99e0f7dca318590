package autorecord_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/internal/outfile"
)

// sample is a record as quantize -type auto writes one.
func sample() autorecord.Record {
	return autorecord.Record{
		Version:    autorecord.Version,
		MeasuredAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC),
		CPU:        autorecord.CPU{Class: "AVX-512 VNNI", Variant: "zen4", Features: "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1", Probed: "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1"},
		Library:    autorecord.Library{Version: "b7000", Backend: "cpu", Path: "/lib/libllama.so"},
		Model:      autorecord.Model{Name: "bert-mean.gguf", Architecture: "bert", FileType: "F16", Dim: 384, Layers: 6, Parameters: 4_000_000, Size: 9 << 20},
		Bound:      0.999,
		Texts:      28,
		Candidates: []autorecord.Candidate{
			{Format: "q8_0", MinCosine: 0.99989, TextsPerSecond: 256.6, Size: 5 << 20},
			{Format: "q4_0", MinCosine: 0.983, Size: 4 << 20},
			{Format: "mix-f16-q8_0", MinCosine: 0.99997, TextsPerSecond: 207.1, Size: 6 << 20},
			{Format: "bf16", Error: "embed: quantize: failed"},
			{Format: "f16", MinCosine: 1, TextsPerSecond: 235.6, Size: 9 << 20},
			{Format: "f32", MinCosine: 1, TextsPerSecond: 189.2, Size: 17 << 20},
		},
		Chosen: "q8_0",
	}
}

// TestRoundTrip: what Write stores, Read returns unchanged, and the
// ranking is the kept formats by texts/s.
func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "auto-format.json")
	want := sample()
	require.NoError(t, autorecord.Write(path, want))
	got, err := autorecord.Read(path)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, []string{"q8_0", "f16", "mix-f16-q8_0", "f32"}, got.Ranking())
	assert.Equal(t, []string{"q4_0"}, got.Below())

	next := sample()
	next.Chosen = "f16"
	next.Candidates[0].MinCosine = 0.99
	next.Candidates[0].TextsPerSecond = 0
	require.NoError(t, autorecord.Write(path, next), "a second run replaces the record")
	got, err = autorecord.Read(path)
	require.NoError(t, err)
	assert.Equal(t, "f16", got.Chosen)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left beside the record")
}

// TestReadMissing: no record is ErrNotFound, not ErrCorrupt.
func TestReadMissing(t *testing.T) {
	_, err := autorecord.Read(filepath.Join(t.TempDir(), "none.json"))
	require.ErrorIs(t, err, autorecord.ErrNotFound)
	assert.NotErrorIs(t, err, autorecord.ErrCorrupt)
}

// TestReadCorrupt: every damaged or inconsistent record is ErrCorrupt.
func TestReadCorrupt(t *testing.T) {
	good, err := autorecord.Encode(sample())
	require.NoError(t, err)
	edit := func(f func(*autorecord.Record)) []byte {
		r := sample()
		f(&r)
		b, err := jsonMarshal(r)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)/2]},
		{"not JSON", []byte("auto: q8_0\n")},
		{"an array", []byte("[]")},
		{"trailing data", append(append([]byte{}, good...), []byte(`{"version":1}`)...)},
		{"unknown field", bytes.Replace(good, []byte(`"chosen"`), []byte(`"extra": 1, "chosen"`), 1)},
		{"field twice", bytes.Replace(good, []byte(`"chosen": "q8_0"`), []byte(`"chosen": "f32", "chosen": "q8_0"`), 1)},
		{"field in another case", bytes.Replace(good, []byte(`"chosen"`), []byte(`"Chosen"`), 1)},
		{"too large", append(append([]byte{}, good[:len(good)-2]...), []byte(`,"x":"`+strings.Repeat("a", autorecord.MaxSize)+`"}`)...)},
		{"invalid UTF-8", bytes.Replace(good, []byte("zen4"), []byte("zen\xff"), 1)},
		{"a control character", bytes.Replace(good, []byte("zen4"), []byte(`zen\u001b[2J`), 1)},
		{"a bidi override", bytes.Replace(good, []byte("bert-mean.gguf"), []byte(`bert\u202emean.gguf`), 1)},
		{"another version", edit(func(r *autorecord.Record) { r.Version = 2 })},
		{"no time", edit(func(r *autorecord.Record) { r.MeasuredAt = time.Time{} })},
		{"bound above 1", edit(func(r *autorecord.Record) { r.Bound = 1.5 })},
		{"bound 0", edit(func(r *autorecord.Record) { r.Bound = 0 })},
		{"no texts", edit(func(r *autorecord.Record) { r.Texts = 0 })},
		{"no candidates", edit(func(r *autorecord.Record) { r.Candidates = nil })},
		{"a format twice", edit(func(r *autorecord.Record) { r.Candidates[1].Format = "q8_0" })},
		{"a format with a path", edit(func(r *autorecord.Record) { r.Candidates[1].Format = "../q8_0" })},
		{"a cosine above 1", edit(func(r *autorecord.Record) { r.Candidates[0].MinCosine = 2 })},
		{"negative texts/s", edit(func(r *autorecord.Record) { r.Candidates[0].TextsPerSecond = -1 })},
		{"a failed format timed", edit(func(r *autorecord.Record) { r.Candidates[3].TextsPerSecond = 10 })},
		{"chosen unknown", edit(func(r *autorecord.Record) { r.Chosen = "q6_k" })},
		{"chosen below the bound", edit(func(r *autorecord.Record) { r.Chosen = "q4_0" })},
		{"chosen not the fastest", edit(func(r *autorecord.Record) { r.Chosen = "f32" })},
		{"chosen failed", edit(func(r *autorecord.Record) { r.Chosen = "bf16" })},
		{"negative size", edit(func(r *autorecord.Record) { r.Model.Size = -1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autorecord.Decode(tt.data)
			require.ErrorIs(t, err, autorecord.ErrCorrupt)
			path := filepath.Join(t.TempDir(), "auto-format.json")
			require.NoError(t, os.WriteFile(path, tt.data, 0o644))
			_, err = autorecord.Read(path)
			require.ErrorIs(t, err, autorecord.ErrCorrupt)
			assert.Contains(t, err.Error(), path, "the error names the file")
		})
	}
}

// TestReadNotRegular: a directory or a huge file at the path is
// ErrCorrupt, read no further than MaxSize+1 bytes.
func TestReadNotRegular(t *testing.T) {
	dir := t.TempDir()
	_, err := autorecord.Read(dir)
	require.ErrorIs(t, err, autorecord.ErrCorrupt)

	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30)) // sparse: a gigabyte of zeros
	require.NoError(t, f.Close())
	_, err = autorecord.Read(big)
	require.ErrorIs(t, err, autorecord.ErrCorrupt)

	require.ErrorIs(t, autorecord.Write(dir, sample()), outfile.ErrNotRegularFile, "a directory at the path is not replaced")
}

// TestEncodeRefusesInvalid: Write never stores what Read would refuse.
func TestEncodeRefusesInvalid(t *testing.T) {
	r := sample()
	r.Chosen = "f32"
	path := filepath.Join(t.TempDir(), "auto-format.json")
	require.ErrorIs(t, autorecord.Write(path, r), autorecord.ErrCorrupt)
	_, err := os.Stat(path)
	assert.True(t, os.IsNotExist(err))
}
