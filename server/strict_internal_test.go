package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeJSONStrict checks the retrieval bodies' decoding: what
// encoding/json alone would accept and alter (invalid UTF-8, lone
// surrogates, a field named in another case, a field given twice) is a
// 400 naming the field, at any depth and in unknown fields too, and
// valid bodies decode as encoding/json decodes them.
func TestDecodeJSONStrict(t *testing.T) {
	tests := []struct {
		name, body string
		param, msg string // empty msg: the body decodes
	}{
		{"plain", `{"query":"a","documents":["x",{"text":"y"}],"top_n":1}`, "", ""},
		{"surrogate pair", `{"query":"\ud83d\ude00","documents":["x"]}`, "", ""},
		{"escaped backslash before u", `{"query":"\u00e9\n\\u","documents":["\\ud800"]}`, "", ""},
		{"unknown fields are ignored", `{"query":"a","documents":["x"],"extra":{"deep":[1,true,null]}}`, "", ""},
		{"raw invalid byte in the query", "{\"query\":\"ok \xff\",\"documents\":[\"x\"]}", "", "query is not valid UTF-8"},
		{"lone high surrogate in a document", `{"query":"a","documents":["\ud800"]}`, "", "documents[] contains a lone UTF-16 surrogate"},
		{"high surrogate then a letter", `{"query":"a","documents":[{"text":"\ud83dA"}]}`, "", "documents[].text contains a lone"},
		{"lone low surrogate", `{"query":"\udc00","documents":["x"]}`, "", "query contains a lone"},
		{"lone surrogate in an unknown field", `{"query":"a","documents":["x"],"meta":"\ud800"}`, "", "lone UTF-16 surrogate"},
		{"invalid UTF-8 in an unknown field", "{\"query\":\"a\",\"note\":[\"\xc3\"]}", "", "not valid UTF-8"},
		{"field in another case", `{"Query":"a","documents":["x"]}`, "Query", `did you mean "query"`},
		{"nested field in another case", `{"query":"a","documents":[{"TEXT":"x"}]}`, "documents[].TEXT", `did you mean "text"`},
		{"field twice", `{"query":"a","query":"b","documents":["x"]}`, "query", "given twice"},
		{"unknown field twice is fine", `{"query":"a","documents":["x"],"x":1,"x":2}`, "", ""},
		{"trailing data", `{"query":"a","documents":["x"]} {}`, "", "data after the JSON object"},
		{"ends early", `{"query":"a","documents":["x"`, "", "ends at byte"},
		{"wrong type", `{"query":1,"documents":["x"]}`, "", "invalid JSON body"},
		{"too deep", `{"x":` + strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2) + `}`, "", "nests deeper"},
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
			if tt.param != "" {
				require.NotNil(t, e.Param)
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
	assert.Equal(t, "chunking.Size", *e.Param)
	e = decodeJSON([]byte(`{"input":["a","\ud800"],"chunking":{"size":8}}`), &req)
	require.NotNil(t, e)
	assert.Contains(t, e.Message, "lone UTF-16 surrogate")
}
