package server

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary bodies to the request decoder: it
// must never panic, must accept or reject with a 400, and what it accepts
// must be a well-formed input of one kind.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"input":"hello","model":"m"}`,
		`{"input":["a","b"],"encoding_format":"base64","dimensions":8,"user":"u"}`,
		`{"input":[1,2,3]}`,
		`{"input":[[1,2],[3]]}`,
		`{"input":[]}`, `{"input":[""]}`, `{"input":null}`, `{}`, `[]`, `"x"`, ``,
		`{"input":[1,"a"]}`, `{"input":[[1.5]]}`, `{"input":[[-1]]}`, `{"input":[[4294967296]]}`,
		`{"input":"\u0000\ud800"}`, `{"input":"x","dimensions":-1}`, `{"input":"x"} {}`,
		`{"input":{"a":1}}`, `{"input":[["a"]]}`, `{"input":[[]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, in, err := decodeRequest(bytes.NewReader(body), limits{inputs: 4096, textBytes: 1 << 20})
		if err != nil {
			if err.status != 400 && err.status != 413 || err.Message == "" || err.Type == "" {
				t.Fatalf("rejection %+v is not a 400 with a message", err)
			}
			if _, jerr := json.Marshal(ErrorResponse{Error: *err}); jerr != nil {
				t.Fatalf("error does not encode: %v", jerr)
			}
			return
		}
		if req == nil || in.len() == 0 {
			t.Fatalf("accepted %q with no input", body)
		}
		if (in.texts == nil) == (in.tokens == nil) {
			t.Fatalf("accepted %q as both or neither kind", body)
		}
		for _, ids := range in.tokens {
			for _, id := range ids {
				if id < 0 {
					t.Fatalf("negative token id accepted from %q", body)
				}
			}
		}
		if req.Dimensions != nil && *req.Dimensions < 1 {
			t.Fatalf("dimensions %d accepted", *req.Dimensions)
		}
	})
}
