package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestRerankReadsJSONLines checks that rerank reads JSON Lines the way
// embed does: -field names the text, "id" names the output row, and the
// scores are those of the same documents given as plain lines. (Before,
// the input mode was never set, so the raw JSON lines were scored and the
// ids were the line numbers.)
func TestRerankReadsJSONLines(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-rerank-tiny")
	dir := t.TempDir()
	docs := []string{"Llamas eat grass.", "The stock market fell today."}
	plain := filepath.Join(dir, "d.txt")
	require.NoError(t, os.WriteFile(plain, []byte(strings.Join(docs, "\n")+"\n"), 0o644))
	body := `{"id":"a","body":"` + docs[0] + `"}` + "\n" + `{"id":7,"body":"` + docs[1] + `"}` + "\n"
	jsonl := filepath.Join(dir, "d.jsonl")
	require.NoError(t, os.WriteFile(jsonl, []byte(strings.ReplaceAll(body, "body", "text")), 0o644))
	other := filepath.Join(dir, "d.data")
	require.NoError(t, os.WriteFile(other, []byte(body), 0o644))

	rerank := func(t *testing.T, args ...string) []rerankRecord {
		t.Helper()
		args = append([]string{"rerank", "-lib", lib, "-model", model, "-query", "what do llamas eat?"}, args...)
		code, out, stderr := runCLI(t, "", args...)
		require.Equal(t, exitOK, code, stderr)
		var recs []rerankRecord
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var r rerankRecord
			require.NoError(t, json.Unmarshal([]byte(l), &r), l)
			recs = append(recs, r)
		}
		require.Len(t, recs, len(docs))
		return recs
	}
	want := rerank(t, plain)
	tests := []struct {
		name string
		args []string
	}{
		{"-field text on a .jsonl file", []string{"-field", "text", jsonl}},
		{".jsonl file, default field", []string{jsonl}},
		{"-field body on any file", []string{"-field", "body", other}},
		{"-input jsonl -field body", []string{"-input", "jsonl", "-field", "body", other}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rerank(t, tt.args...)
			assert.Equal(t, `"a"`, string(got[0].ID))
			assert.Equal(t, `7`, string(got[1].ID))
			for i := range got {
				assert.InDelta(t, want[i].Raw, got[i].Raw, 1e-6, "document %d scored as its text, not its JSON line", i)
			}
		})
	}
	code, _, stderr := runCLI(t, "", "rerank", "-lib", lib, "-model", model, "-query", "q", "-input", "text", "-field", "body", other)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "-field")
}
