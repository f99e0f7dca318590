package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// jsonRows decodes one JSON object per line of out.
func jsonRows(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		rows = append(rows, m)
	}
	return rows
}

// TestBadLineIsARow: with -chunk (plain and -late, with and without
// -prompt-name) and in rerank, a blank or invalid UTF-8 line is an error
// row naming its line while the other lines keep their rows, and the
// exit status is 1, as embed without -chunk does. Before, -chunk printed
// no row at all and a message without a line number, and rerank failed
// every document for one bad line.
func TestBadLineIsARow(t *testing.T) {
	t.Setenv("EMBELLAMA_LIB_DIR", testenv.Library(t))
	model, rr := testenv.Fixture(t, "bert-mean-tiny"), testenv.Fixture(t, "bert-rerank-tiny")
	input := "alpha beta\n\n\xff\xfe\ngamma\n"
	for _, extra := range [][]string{{"-chunk", "8"}, {"-chunk", "8", "-late"}, {"-chunk", "8", "-prompt", "query=q: ", "-prompt-name", "query"}, {"-format", "jsonl"}} {
		t.Run(strings.Join(extra, " "), func(t *testing.T) {
			code, out, stderr := runCLI(t, input, append([]string{"embed", "-model", model}, extra...)...)
			assert.Equal(t, exitFailure, code, "per-line errors exit 1")
			rows := jsonRows(t, out)
			require.Len(t, rows, 4, "a row per line: the good lines' chunks and two error rows")
			assert.Equal(t, 0.0, rows[0]["id"])
			assert.NotNil(t, rows[0]["embedding"])
			assert.Regexp(t, `^line 2: empty input`, rows[1]["error"])
			assert.Regexp(t, `^line 3: .*UTF-8`, rows[2]["error"])
			assert.Equal(t, 3.0, rows[3]["id"])
			assert.NotNil(t, rows[3]["embedding"])
			assert.Contains(t, stderr, "embellama embed: line 2: ")
			assert.Contains(t, stderr, "embellama embed: line 3: ")
		})
	}
	t.Run("rerank", func(t *testing.T) {
		code, out, stderr := runCLI(t, "alpha beta\n\xff\xfe\ngamma\n", "rerank", "-model", rr, "-query", "alpha", "-")
		assert.Equal(t, exitFailure, code)
		rows := jsonRows(t, out)
		require.Len(t, rows, 3)
		assert.NotNil(t, rows[0]["score"])
		assert.Regexp(t, `^line 2: .*UTF-8`, rows[1]["error"])
		assert.NotNil(t, rows[2]["score"])
		assert.ElementsMatch(t, []any{1.0, 2.0}, []any{rows[0]["rank"], rows[2]["rank"]}, "the good lines are ranked among themselves")
		assert.Contains(t, stderr, "embellama rerank: line 2: ")
	})
}

// TestRetrievalCombinations: each combination of the retrieval flags is
// meaningful or a usage error, none silently ignored. -overlap, -late
// without -chunk and a chunk size below 1 are usage errors;
// -prompt-name query on a model without a query prompt embeds the
// texts as given and says so (a symmetric model needs no prompt, so one
// command line serves every model), while a name that is not a standard
// one is an error.
func TestRetrievalCombinations(t *testing.T) {
	t.Setenv("EMBELLAMA_LIB_DIR", testenv.Library(t))
	model := testenv.Fixture(t, "bert-mean-tiny")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-overlap", "2"}, "give -chunk too"},
		{[]string{"-late"}, "give -chunk too"},
		{[]string{"-chunk", "-1"}, "at least 1 token"},
		{[]string{"-chunk", "0"}, "at least 1 token"},
		{[]string{"-chunk", "4", "-overlap", "4"}, "-overlap 4"},
	} {
		code, _, stderr := runCLI(t, "", append([]string{"embed", "-model", model, "x"}, tt.args...)...)
		assert.Equal(t, exitUsage, code, "%v", tt.args)
		assert.Contains(t, stderr, tt.want, "%v", tt.args)
	}
	code, plain, _ := runCLI(t, "", "embed", "-model", model, "x")
	require.Equal(t, exitOK, code)
	code, query, stderr := runCLI(t, "", "embed", "-model", model, "-prompt-name", "query", "x")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, plain, query, "no query prompt: the text as given")
	assert.Contains(t, stderr, `the model has no "query" prompt`)
	code, _, stderr = runCLI(t, "", "embed", "-model", model, "-prompt-name", "nosuch", "x")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "unknown prompt")

	// -prompt query (meant: -prompt-name query) is one line with a hint,
	// not the usage (it was the error, the whole usage, the error again).
	code, _, stderr = runCLI(t, "", "embed", "-model", model, "-prompt", "query", "x")
	assert.Equal(t, exitUsage, code)
	require.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), 1, stderr)
	assert.Contains(t, stderr, "-prompt-name NAME applies one")
}
