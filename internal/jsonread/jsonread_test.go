package jsonread_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/jsonread"
)

// TestDecodeEmbeddingsErrors checks that every failure is an *Error of
// the right kind, naming the field, the value's path where it knows it,
// and the byte it was found at.
func TestDecodeEmbeddingsErrors(t *testing.T) {
	lim := jsonread.Limits{Inputs: 2, Tokens: 3, TextBytes: 4}
	tests := []struct {
		name, body  string
		kind        error
		field, path string
		offset      int64
		reason      string
		limit       int
	}{
		{"unknown field", `{"input":"a","x":tru}`, jsonread.ErrInvalid, "x", "", 17, `unknown field "x"; this route accepts: dimensions, encoding_format`, 0},
		{"ends early", `{"input":"ab`, jsonread.ErrSyntax, "", "", 12, "it ends at byte 12", 0},
		{"missing comma", `{"input":"a" "model":"m"}`, jsonread.ErrSyntax, "", "", 14, "expected , or } after a field at byte 14", 0},
		{"wrong type", `{"input":"a","model":1}`, jsonread.ErrInvalid, "model", "", 21, "model must be a string, not a number", 0},
		{"lone surrogate", `{"input":["a","\ud800"]}`, jsonread.ErrInvalid, "input", "", 21, "input[1] contains a lone UTF-16 surrogate", 0},
		{"field twice", `{"input":"a","input":"b"}`, jsonread.ErrInvalid, "input", "", 21, "the field input is given twice", 0},
		{"field in another case", `{"Model":"m"}`, jsonread.ErrInvalid, "Model", "", 9, `did you mean "model"`, 0},
		{"no input", `{"model":"m"}`, jsonread.ErrInvalid, "input", "", 13, "input is required", 0},
		{"too many inputs", `{"input":["a","b","c"]}`, jsonread.ErrTooManyInputs, "input", "", 18, "more than 2 inputs", 2},
		{"too many tokens", `{"input":[[1,2],[3,4]]}`, jsonread.ErrTooManyTokens, "input", "", 20, "more than 3 token ids", 3},
		{"text too long", `{"input":["abc","abcde"]}`, jsonread.ErrTextTooLong, "input", "input[1]", 22, "input[1] is longer than 4 bytes", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsonread.DecodeEmbeddings(strings.NewReader(tt.body), lim)
			var e *jsonread.Error
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, tt.kind)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, tt.path, e.Path)
			assert.Equal(t, tt.offset, e.Offset)
			assert.Contains(t, e.Reason, tt.reason)
			assert.Equal(t, tt.limit, e.Limit)
			assert.True(t, strings.HasPrefix(err.Error(), "jsonread: "), err.Error())
		})
	}
}

// TestDecodeEmbeddings checks the decoded request of each input shape.
func TestDecodeEmbeddings(t *testing.T) {
	lim := jsonread.Limits{Inputs: 8, TextBytes: 64}
	tests := []struct {
		name, body string
		want       jsonread.Embeddings
	}{
		{"one text", `{"input":"a\u00e9","model":"m","user":"u"}`, jsonread.Embeddings{Model: "m", User: "u", Texts: []string{"aé"}}},
		{"texts", `{"input":["a","b"],"encoding_format":"base64"}`, jsonread.Embeddings{EncodingFormat: "base64", Texts: []string{"a", "b"}}},
		{"flat ids", `{"input":[1,2,3],"prompt_name":null}`, jsonread.Embeddings{Tokens: [][]int32{{1, 2, 3}}}},
		{"id arrays", `{"input":[[1],[]],"model":null}`, jsonread.Embeddings{Tokens: [][]int32{{1}, {}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonread.DecodeEmbeddings(strings.NewReader(tt.body), lim)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
		})
	}
	dims, name := 8, "query"
	got, err := jsonread.DecodeEmbeddings(strings.NewReader(`{"input":"a","dimensions":8,"prompt_name":"query"}`), lim)
	require.NoError(t, err)
	assert.Equal(t, &dims, got.Dimensions)
	assert.Equal(t, &name, got.PromptName)
}

// TestDecodeEmbeddingsReadError: a failing reader is an ErrRead that
// keeps the reader's error, never mistaken for the end of the body.
func TestDecodeEmbeddingsReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(`{"input":"ab`), iotest.ErrReader(boom))
	_, err := jsonread.DecodeEmbeddings(r, jsonread.Limits{Inputs: 1, TextBytes: 8})
	assert.ErrorIs(t, err, jsonread.ErrRead)
	assert.ErrorIs(t, err, boom)
	var e *jsonread.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, int64(12), e.Offset)
}

// TestStrict checks the whole-body reader's errors: kind, field, path.
func TestStrict(t *testing.T) {
	type doc struct {
		Text string `json:"text"`
	}
	type req struct {
		Query string `json:"query"`
		Docs  []doc  `json:"docs"`
		N     int    `json:"n"`
	}
	tests := []struct {
		name, body         string
		kind               error
		field, path, cause string
	}{
		{"nested case", `{"docs":[{"TEXT":"a"}]}`, jsonread.ErrInvalid, "docs", "", `"docs[0].TEXT"`},
		{"wrong type", `{"n":"x"}`, jsonread.ErrInvalid, "n", "n", "n must be an integer, not a string"},
		{"an unknown field", "{\"x\":[\"\xff\"]}", jsonread.ErrInvalid, "x", "", `unknown field "x"; this route accepts: `},
		{"an unknown nested field", `{"docs":[{"text":"a","id":1}]}`, jsonread.ErrInvalid, "docs", "", `unknown field "docs[0].id"; this route accepts: text`},
		{"trailing data", `{} 1`, jsonread.ErrInvalid, "", "", "data after the JSON object"},
		{"bad literal", `{"n":tru}`, jsonread.ErrSyntax, "n", "", "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v req
			err := jsonread.Strict([]byte(tt.body), &v)
			var e *jsonread.Error
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, tt.kind)
			assert.Equal(t, tt.field, e.Field)
			assert.Equal(t, tt.path, e.Path)
			assert.Contains(t, e.Reason, tt.cause)
		})
	}
	var v req
	require.NoError(t, jsonread.Strict([]byte(`{"query":"q","docs":[{"text":"a"}],"n":2}`), &v))
	assert.Equal(t, req{Query: "q", Docs: []doc{{Text: "a"}}, N: 2}, v)
}
