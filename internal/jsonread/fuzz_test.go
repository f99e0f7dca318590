package jsonread_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/embellama/embellama/internal/jsonread"
)

// fuzzDoc is a value given as a string or as {"text": ...}, as the
// retrieval routes' documents are.
type fuzzDoc struct {
	Text string `json:"text"`
}

func (d *fuzzDoc) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &d.Text)
	}
	type plain fuzzDoc
	return json.Unmarshal(b, (*plain)(d))
}

// fuzzRequest has the shapes of the retrieval bodies: strings, a list of
// strings, documents of either form, numbers, booleans and a nested
// object.
type fuzzRequest struct {
	Model     string    `json:"model,omitempty"`
	Query     string    `json:"query"`
	Documents []fuzzDoc `json:"documents,omitempty"`
	Texts     []string  `json:"texts,omitempty"`
	TopN      int       `json:"top_n,omitempty"`
	Truncate  bool      `json:"truncate,omitempty"`
	Chunking  *struct {
		Size    int  `json:"size"`
		Overlap int  `json:"overlap"`
		Late    bool `json:"late"`
	} `json:"chunking,omitempty"`
}

// FuzzStrict feeds arbitrary bodies to [jsonread.Strict], the reader of
// every request body but /v1/embeddings' (FuzzDecodeRequest in server/
// covers that one). Invariants:
//
//   - it never panics;
//   - a refusal is an *Error of one of the package's kinds, with a
//     reason and an offset within the body;
//   - what it accepts is valid UTF-8 and valid JSON, and encoding/json
//     decodes it to the very same value (Strict is stricter than
//     encoding/json, never different);
//   - a body that names a known field twice, or in another case, or a
//     field the request type does not have, is refused.
func FuzzStrict(f *testing.F) {
	for _, s := range []string{
		`{"query":"q","documents":["a",{"text":"b"}],"top_n":1}`,
		`{"query":"q","texts":["a"],"truncate":true}`,
		`{"query":"q","chunking":{"size":8,"overlap":2,"late":true}}`,
		`{"query":"q","query":"r"}`, `{"Query":"q"}`, `{"query":"\ud800"}`,
		"{\"query\":\"\xff\"}", `{"query":1}`, `{"documents":[1]}`, `[]`, ``, `{`,
		`{"query":"q","x":{"y":[1,{"z":"\ud83d\ude00"}]}}`, `{"query":"q"} x`,
		`{"chunking":{"size":1e400}}`, `{"top_n":-0}`, `{"documents":[{"text":"a","text":"b"}]}`,
	} {
		f.Add([]byte(s))
	}
	kinds := []error{jsonread.ErrSyntax, jsonread.ErrInvalid, jsonread.ErrTooManyInputs,
		jsonread.ErrTooManyTokens, jsonread.ErrTextTooLong, jsonread.ErrRead}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got fuzzRequest
		err := jsonread.Strict(body, &got)
		if err != nil {
			var e *jsonread.Error
			if !errors.As(err, &e) {
				t.Fatalf("%q: refusal %T %v is not an *Error", body, err, err)
			}
			if !slices.ContainsFunc(kinds, func(k error) bool { return errors.Is(err, k) }) || e.Reason == "" {
				t.Fatalf("%q: refusal %+v has no kind or no reason", body, e)
			}
			if e.Offset < 0 || e.Offset > int64(len(body)) {
				t.Fatalf("%q: offset %d outside the body", body, e.Offset)
			}
			return
		}
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted %q, which is not valid UTF-8 JSON", body)
		}
		var want fuzzRequest
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: Strict decoded %+v, encoding/json %+v", body, got, want)
		}
		seen := map[string]bool{}
		fields := []string{"model", "query", "documents", "texts", "top_n", "truncate", "chunking"}
		for _, name := range topKeys(body) {
			if !slices.Contains(fields, name) {
				t.Fatalf("accepted %q, which has the unknown field %q", body, name)
			}
			for _, known := range fields {
				if name == known && seen[name] {
					t.Fatalf("accepted %q, which gives %q twice", body, name)
				}
				if name != known && strings.EqualFold(name, known) {
					t.Fatalf("accepted %q, which names %q as %q", body, known, name)
				}
			}
			seen[name] = true
		}
	})
}

// topKeys returns the keys of the object body holds, in order, repeats
// included (encoding/json into a map would keep the last only).
func topKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}
