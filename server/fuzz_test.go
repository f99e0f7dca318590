package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/embellama/embellama/internal/jsonread"
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
		`{"input":"\ud83d\ude00 \u00e9\n\"","x":{"y":[1,{"z":null}],"w":true}}`, `{"Input":"x"}`,
		`{"input":["a","b"],"model":null,"dimensions":null}`, `{"input":"x","input":"y"}`,
		"{\"input\":\"\xff\"}", `{"input":[1e2]}`, `{"input":[01]}`, `{"input":"a"}  `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, in, err := decodeRequest(bytes.NewReader(body), jsonread.Limits{Inputs: 4096, TextBytes: 1 << 20})
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
		// The shared fields pass the one validation of every route, or
		// fail it with a 400 naming the field.
		c := common{model: req.Model, promptName: req.PromptName, encoding: &req.EncodingFormat, dimensions: req.Dimensions}
		if e := c.validate(); e != nil {
			if e.status != 400 || e.Param == nil {
				t.Fatalf("validation error %+v is not a 400 with a param", e)
			}
		} else if req.Dimensions != nil && *req.Dimensions < 1 {
			t.Fatalf("dimensions %d accepted", *req.Dimensions)
		}
		// What the stream decoder accepts, encoding/json accepts too, with
		// the same texts or ids (it is stricter: it refuses what Go would
		// silently repair, and field names in another case).
		var ref struct {
			Input any `json:"input"`
		}
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		if in.texts != nil {
			want := in.texts
			if len(want) == 1 {
				if s, ok := ref.Input.(string); ok && s != want[0] {
					t.Fatalf("%q: text %q, encoding/json reads %q", body, want[0], s)
				}
			}
			if arr, ok := ref.Input.([]any); ok {
				for i, v := range arr {
					if s, _ := v.(string); i >= len(want) || s != want[i] {
						t.Fatalf("%q: input[%d] differs from encoding/json's %q", body, i, v)
					}
				}
			}
		}
	})
}
