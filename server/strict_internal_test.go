package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/jsonread"
)

// TestDecodeJSONStrict checks the retrieval bodies' decoding: what
// encoding/json alone would accept and alter (invalid UTF-8, lone
// surrogates, a field named in another case, a field given twice) is a
// 400 naming the field, at any depth and in unknown fields too, and
// valid bodies decode as encoding/json decodes them.
func TestDecodeJSONStrict(t *testing.T) {
	tests := []struct {
		name, body string
		param, msg string // empty msg: the body decodes; every error names its top-level field (param)
	}{
		{"plain", `{"query":"a","documents":["x",{"text":"y"}],"top_n":1}`, "", ""},
		{"surrogate pair", `{"query":"\ud83d\ude00","documents":["x"]}`, "", ""},
		{"escaped backslash before u", `{"query":"\u00e9\n\\u","documents":["\\ud800"]}`, "", ""},
		{"unknown field", `{"query":"a","documents":["x"],"extra":{"deep":[1,true,null]}}`, "extra", `unknown field "extra"; this route accepts: `},
		{"unknown nested field", `{"query":"a","documents":[{"text":"x","id":1}]}`, "documents", `unknown field "documents[0].id"; this route accepts: text`},
		{"raw invalid byte in the query", "{\"query\":\"ok \xff\",\"documents\":[\"x\"]}", "query", "query is not valid UTF-8"},
		{"lone high surrogate in a document", `{"query":"a","documents":["x","\ud800"]}`, "documents", "documents[1] contains a lone UTF-16 surrogate"},
		{"high surrogate then a letter", `{"query":"a","documents":[{"text":"\ud83dA"}]}`, "documents", "documents[0].text contains a lone"},
		{"lone low surrogate", `{"query":"\udc00","documents":["x"]}`, "query", "query contains a lone"},
		{"lone surrogate in an unknown field's name", `{"query":"a","documents":["x"],"\ud800":1}`, "", "contains a lone UTF-16 surrogate"},
		{"an unknown field is named before its value is read", "{\"query\":\"a\",\"note\":[{\"k\":\"\xc3\"}]}", "note", `unknown field "note"`},
		{"field in another case", `{"Query":"a","documents":["x"]}`, "Query", `did you mean "query"`},
		{"nested field in another case", `{"query":"a","documents":["x",{"TEXT":"x"}]}`, "documents", `"documents[1].TEXT" (field names are case-sensitive: did you mean "text"`},
		{"field twice", `{"query":"a","query":"b","documents":["x"]}`, "query", "given twice"},
		{"nested field twice", `{"query":"a","documents":[{"text":"a","text":"b"}]}`, "documents", "documents[0].text is given twice"},
		{"not an object", `null`, "", "must be a JSON object"},
		{"an array", `[{"query":"a"}]`, "", "must be a JSON object"},
		{"trailing data", `{"query":"a","documents":["x"]} {}`, "", "data after the JSON object"},
		{"ends early", `{"query":"a","documents":["x"`, "", "ends at byte"},
		{"wrong type", `{"query":1,"documents":["x"]}`, "query", "query must be a string, not a number"},
		{"too deep", `{"query":"a","documents":` + strings.Repeat("[", jsonread.MaxDepth+2) + strings.Repeat("]", jsonread.MaxDepth+2) + `}`, "documents", "nests deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req RerankRequest
			e := decodeJSON([]byte(tt.body), &req)
			if tt.msg == "" {
				require.Nil(t, e)
				assert.NotEmpty(t, req.Query)
				return
			}
			require.NotNil(t, e)
			assert.Equal(t, 400, e.status)
			assert.Contains(t, e.Message, tt.msg)
			if tt.param == "" {
				assert.Nil(t, e.Param)
			} else if assert.NotNil(t, e.Param) {
				assert.Equal(t, tt.param, *e.Param)
			}
		})
	}
}

// TestDecodeJSONNested checks a nested struct field (the chunk
// settings) and a raw field (the chunk input) are walked too.
func TestDecodeJSONNested(t *testing.T) {
	var req ChunkRequest
	require.Nil(t, decodeJSON([]byte(`{"input":["a","b"],"chunking":{"size":8,"overlap":2,"late":true}}`), &req))
	assert.Equal(t, ChunkSettings{Size: 8, Overlap: 2, Late: true}, req.Chunking)
	assert.JSONEq(t, `["a","b"]`, string(req.Input))

	e := decodeJSON([]byte(`{"input":"a","chunking":{"Size":8}}`), &req)
	require.NotNil(t, e)
	require.NotNil(t, e.Param)
	assert.Equal(t, "chunking", *e.Param)
	assert.Contains(t, e.Message, `"chunking.Size"`)
	// input is a json.RawMessage, decoded later: its strings are checked
	// and named all the same.
	e = decodeJSON([]byte(`{"input":["a","\ud800"],"chunking":{"size":8}}`), &req)
	require.NotNil(t, e)
	require.NotNil(t, e.Param)
	assert.Equal(t, "input", *e.Param)
	assert.Contains(t, e.Message, "input[1] contains a lone UTF-16 surrogate")
}
