package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/autorecord"
	"github.com/embellama/embellama/internal/hub"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// TestQuantizeAutoRecord: quantize -type auto records what it measured
// in the user cache; info's "auto choice" line reports it; and pull
// ranks a repository's files by it.
func TestQuantizeAutoRecord(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	path := isolatedCache(t)
	out := filepath.Join(t.TempDir(), "auto.gguf")
	code, stdout, stderr := runCLI(t, "", "quantize", "-lib", lib, "-type", "auto", model, out)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "auto: recorded in "+path)
	m := regexp.MustCompile(`(?m)^auto: (\S+), the fastest here`).FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)

	rec, err := autorecord.Read(path)
	require.NoError(t, err)
	assert.Equal(t, m[1], rec.Chosen, "the record holds the choice printed")
	assert.Equal(t, "bert-mean.gguf", rec.Model.Name)
	assert.Equal(t, "bert", rec.Model.Architecture)
	assert.Positive(t, rec.Model.Dim)
	assert.Equal(t, platform.ProbeCPUFeatures(), rec.CPU.Probed)
	assert.NotEmpty(t, rec.CPU.Features)
	assert.NotEmpty(t, rec.Library.Version)
	assert.Equal(t, rec.Chosen, rec.Ranking()[0])
	assert.GreaterOrEqual(t, len(rec.Candidates), 3, "every candidate is recorded")

	code, stdout, stderr = runCLI(t, "", "info", "-lib", lib, "-model", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^auto choice\s+`+regexp.QuoteMeta(rec.Chosen)+`: the fastest format whose cosine to F32 stayed >= 0.999, measured by quantize -type auto on `+
		regexp.QuoteMeta(rec.MeasuredAt.Format("2006-01-02 15:04 UTC")), stdout)

	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	s := sha256.Sum256(body)
	names := []string{"m-F32.gguf", "m-F16.gguf", "m-BF16.gguf", "m-Q8_0.gguf", "m-Q4_0.gguf"}
	newFakeHub(t, body, map[string]string{"o/r": tree(t, hex.EncodeToString(s[:]), names...)})
	want := ""
	for _, f := range rec.Ranking() {
		for _, n := range names {
			if fm, _ := hub.Classify(n); fm.Type == f && want == "" {
				want = n
			}
		}
	}
	require.NotEmpty(t, want, "the record keeps F32 at least")
	dir := t.TempDir()
	code, stdout, stderr = runCLI(t, "", "pull", "-dir", dir, "o/r")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, filepath.Join(dir, want)+"\n", stdout)
	assert.Contains(t, stderr, "measured on this machine by quantize -type auto on "+rec.MeasuredAt.Format("2006-01-02"))
}
