package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// row is what a test expects of one record read.
type row struct {
	id    string // the JSON of the id
	where string
	text  string
	err   string // "" when the line is an input
}

func rows(recs []record) []row {
	out := make([]row, len(recs))
	for i, r := range recs {
		out[i] = row{id: string(r.id), where: r.where, text: r.text}
		if r.err != nil {
			out[i].err = errorText(r.err)
		}
	}
	return out
}

func TestReadInputs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts inputOptions
		want []row
	}{
		{"one row per line, blank lines included", "one\n\ntwo\n", inputOptions{mode: inputAuto},
			[]row{{"0", "line 1", "one", ""}, {"1", "line 2", "", ""}, {"2", "line 3", "two", ""}}},
		{"skip-empty drops blank lines, ids still count them", "one\n \ntwo\n", inputOptions{mode: inputAuto, skipEmpty: true},
			[]row{{"0", "line 1", "one", ""}, {"2", "line 3", "two", ""}}},
		{"a byte order mark at the start is not text", "\ufeffone\n\ufefftwo\n", inputOptions{mode: inputText},
			[]row{{"0", "line 1", "one", ""}, {"1", "line 2", "\ufefftwo", ""}}},
		{"nor does it hide a JSON object", "\ufeff{\"text\":\"a\"}\n", inputOptions{mode: inputAuto},
			[]row{{"0", "line 1", "a", ""}}},
		{"CRLF line ends", "one\r\ntwo\r\n", inputOptions{mode: inputText},
			[]row{{"0", "line 1", "one", ""}, {"1", "line 2", "two", ""}}},
		{"a first line that is a JSON object means JSON Lines, field text", `{"id":"a","text":"hello"}` + "\n" + `{"text":"x"}` + "\n",
			inputOptions{mode: inputAuto},
			[]row{{`"a"`, "line 1", "hello", ""}, {"1", "line 2", "x", ""}}},
		{"-input text embeds JSON as written", `{"text":"hello"}` + "\n", inputOptions{mode: inputText},
			[]row{{"0", "line 1", `{"text":"hello"}`, ""}}},
		{"a .jsonl file is JSON Lines", `{"text":"a"}` + "\n" + "not json\n", inputOptions{mode: inputAuto, name: "docs.jsonl"},
			[]row{{"0", "line 1", "a", ""}, {"1", "line 2", "", "not a JSON object (invalid character 'o' in literal null (expecting 'u')); use -input text to embed the lines as written"}}},
		{"-field names the text", `{"id":7,"body":"b","text":"t"}` + "\n", inputOptions{mode: inputAuto, field: "body"},
			[]row{{"7", "line 1", "b", ""}}},
		{"the zero mode is auto: -field alone reads JSON Lines", `{"id":7,"body":"b"}` + "\n", inputOptions{field: "body"},
			[]row{{"7", "line 1", "b", ""}}},
		{"the zero mode is auto: a .jsonl file", `{"id":"a","text":"t"}` + "\n", inputOptions{name: "d.jsonl"},
			[]row{{`"a"`, "line 1", "t", ""}}},
		{"a missing field is an error row", `{"id":"x","body":"b"}` + "\n", inputOptions{mode: inputJSONL},
			[]row{{`"x"`, "line 1", "", `no string field "text" (name the field holding the text with -field)`}}},
		{"a field that is not a string", `{"text":5}` + "\n", inputOptions{mode: inputJSONL},
			[]row{{"0", "line 1", "", `no string field "text" (name the field holding the text with -field)`}}},
		{"ids stay exactly as written", `{"id":12345678901234567890,"text":"a"}` + "\n" + `{"id":12345678901234567891,"text":"b"}` + "\n" + `{"id": 1.50e3 ,"text":"c"}` + "\n" + `{"id":{"k": [1, 2]},"text":"d"}` + "\n",
			inputOptions{mode: inputJSONL},
			[]row{{"12345678901234567890", "line 1", "a", ""}, {"12345678901234567891", "line 2", "b", ""}, {"1.50e3", "line 3", "c", ""}, {`{"k":[1,2]}`, "line 4", "d", ""}}},
		{"a lone surrogate is refused, a pair is kept", `{"text":"a\ud800b"}` + "\n" + `{"text":"\ud83d\ude00"}` + "\n" + `{"text":"\\ud800"}` + "\n",
			inputOptions{mode: inputJSONL},
			[]row{{"0", "line 1", "", `field "text" holds the lone surrogate \ud800, which is not Unicode text`}, {"1", "line 2", "😀", ""}, {"2", "line 3", `\ud800`, ""}}},
		{"invalid UTF-8 in JSON is refused", "{\"text\":\"ok \xff\"}\n", inputOptions{mode: inputJSONL},
			[]row{{"0", "line 1", "", "not valid UTF-8"}}},
		{"invalid UTF-8 in text reaches the engine unchanged", "ok \xff\n", inputOptions{mode: inputText},
			[]row{{"0", "line 1", "ok \xff", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := readInputs(strings.NewReader(tt.in), tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.want, rows(recs))
			for _, r := range recs {
				assert.True(t, json.Valid(r.id), "id %s is JSON", r.id)
			}
		})
	}
}

func TestArgRecords(t *testing.T) {
	assert.Equal(t, []row{{"0", "argument 1", "a", ""}, {"1", "argument 2", "", ""}}, rows(argRecords([]string{"a", ""}, false)))
	assert.Equal(t, []row{{"0", "argument 1", "a", ""}}, rows(argRecords([]string{"a", " "}, true)))
}

func TestHasText(t *testing.T) {
	recs, err := readInputs(strings.NewReader("\n \n"), inputOptions{mode: inputAuto})
	require.NoError(t, err)
	assert.Len(t, recs, 2)
	assert.False(t, hasText(recs), "blank lines only are no input")
	recs, err = readInputs(strings.NewReader("\nx\n"), inputOptions{mode: inputAuto})
	require.NoError(t, err)
	assert.True(t, hasText(recs))
}

func TestParseInputMode(t *testing.T) {
	for _, s := range []string{"auto", "text", "jsonl"} {
		m, err := parseInputMode(s)
		require.NoError(t, err)
		assert.Equal(t, inputMode(s), m)
	}
	_, err := parseInputMode("csv")
	assert.ErrorContains(t, err, `-input "csv"`)
}

func TestWriteOutputErrorRows(t *testing.T) {
	recs := []record{
		{id: json.RawMessage(`12345678901234567891`), where: "line 1", vec: []float32{0.5, -0.25}},
		{id: json.RawMessage(`"b"`), where: "line 2", err: errInputf("no string field %q", "text")},
	}
	var b strings.Builder
	require.NoError(t, writeOutput(&b, "jsonl", recs))
	assert.Equal(t, `{"id":12345678901234567891,"embedding":[0.5,-0.25]}`+"\n"+`{"id":"b","error":"line 2: no string field \"text\""}`+"\n", b.String())
	b.Reset()
	require.NoError(t, writeOutput(&b, "array", recs))
	assert.Equal(t, "[0.5,-0.25]\nnull\n", b.String())
	b.Reset()
	assert.ErrorContains(t, writeOutput(&b, "npy", recs), "line 2 has no vector")
}

func TestEmbedInputFlagsNeedLines(t *testing.T) {
	for _, args := range [][]string{{"-field", "body", "hi"}, {"-input", "jsonl", "hi"}, {"-input", "csv"}} {
		code, _, stderr := runCLI(t, "", append([]string{"embed"}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "-input", "%v", args)
	}
}
