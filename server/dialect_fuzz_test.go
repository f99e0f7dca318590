package server

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/embellama/embellama/embed"
)

// noModels is an Engine with no model: the dialect decoders ask it only
// for model information, which it refuses.
type noModels struct{}

func (noModels) Models() []string { return nil }
func (noModels) ModelInfo(string) (embed.ModelInfo, error) {
	return embed.ModelInfo{}, embed.ErrUnknownModel
}
func (noModels) Stats(string) (embed.Stats, error) { return embed.Stats{}, embed.ErrUnknownModel }
func (noModels) EmbedBatch(context.Context, string, []string, ...embed.Option) (*embed.Result, error) {
	return nil, errors.New("not called")
}
func (noModels) EmbedBatchTokens(context.Context, string, [][]int32, ...embed.Option) (*embed.Result, error) {
	return nil, errors.New("not called")
}

// dialectDecoders are the dialects' decoders with the types their
// bodies fill.
var dialectDecoders = []struct {
	route  string
	decode decodeFunc
	body   any
}{
	{"/embed", strictBody[teiEmbedCall], TEIEmbedRequest{}},
	{"/embed_all", strictBody[teiEmbedAllCall], TEIEmbedAllRequest{}},
	{"/api/embed", strictBody[ollamaEmbedCall], OllamaEmbedRequest{}},
	{"/api/embeddings", strictBody[ollamaEmbeddingCall], OllamaEmbeddingRequest{}},
	{"/api/show", strictBody[ollamaShowCall], OllamaShowRequest{}},
	{"/v2/embed", strictBody[cohereEmbedCall], CohereEmbedRequest{}},
	{"/v2/rerank", strictBody[cohereRerankCall], CohereRerankRequest{}},
}

// FuzzDialectDecoders feeds arbitrary bodies to every dialect's decoder
// and its checks of the request alone. Invariants: no panic; a refusal
// is a 4xx with a message that encodes in each peer's error shape; an
// accepted body has only fields of its route's type (unknown fields are
// refused, never dropped) and encoding/json reads it too; what passes
// the route's checks passes the shared validation or fails it with a
// 400 naming a field.
func FuzzDialectDecoders(f *testing.F) {
	for _, s := range []string{
		`{"inputs":"hello"}`, `{"inputs":["a","b"],"truncate":true,"truncation_direction":"Left","normalize":false,"dimensions":8,"prompt_name":"query"}`,
		`{"inputs":[[1,2,3]]}`, `{"inputs":"x","normalise":true}`, `{"inputs":null}`, `{"inputs":"x","truncation_direction":"Up"}`,
		`{"model":"m","input":["a"],"truncate":false,"dimensions":4,"keep_alive":"5m","options":null}`,
		`{"model":"m","input":"","options":{"num_ctx":8}}`, `{"model":"m","input":[],"keep_alive":-1}`, `{"model":"m","input":"a","keep_alive":"soon"}`,
		`{"model":"m","prompt":"hello","options":{}}`, `{"model":"m","name":"n"}`, `{"name":"n","system":"s"}`, `{"model":"m","verbose":true}`,
		`{"texts":["a"],"model":"m","input_type":"search_query","embedding_types":["float","int8","uint8","binary","ubinary","base64"],"truncate":"START","output_dimension":8}`,
		`{"texts":[],"model":"m"}`, `{"texts":["a"],"images":["data:"]}`, `{"texts":["a"],"embedding_types":["int4"]}`, `{"texts":["a"],"truncate":"end"}`,
		`{"texts":["a"],"max_tokens":0}`, `{"texts":["a"],"input_type":"image"}`,
		`{"model":"m","query":"q","documents":["a","b"],"top_n":1,"max_tokens_per_doc":4}`, `{"query":"q","documents":[]}`, `{"query":"q","documents":["a"],"top_n":0}`,
		`{}`, `[]`, `null`, ``, `{"x":1}`, "{\"inputs\":\"\xff\"}", `{"inputs":"\ud800"}`, `{"Inputs":"x"}`, `{"inputs":"a","inputs":"b"}`,
	} {
		for i := range dialectDecoders {
			f.Add(uint8(i), []byte(s))
		}
	}
	srv, err := New(Options{Engine: noModels{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		d := dialectDecoders[int(which)%len(dialectDecoders)]
		rq, e := d.decode(srv, strings.NewReader(string(body)))
		if e != nil {
			checkRefusal(t, d.route, body, e)
			return
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("%s accepted %q, which encoding/json refuses: %v", d.route, body, err)
		}
		known := map[string]bool{}
		for k := range top {
			rt := reflect.TypeOf(d.body)
			for i := range rt.NumField() {
				name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
				known[name] = true
			}
			if !known[k] {
				t.Fatalf("%s accepted the unknown field %q", d.route, k)
			}
		}
		c, e := rq.shared(srv)
		if e != nil {
			checkRefusal(t, d.route, body, e)
			return
		}
		if e := c.validate(); e != nil && (e.status != 400 || e.Param == nil) {
			t.Fatalf("%s: validation error %+v is not a 400 naming a field", d.route, e)
		}
		if c.dimensions != nil && *c.dimensions < 1 && c.validate() == nil {
			t.Fatalf("%s: dimensions %d passed", d.route, *c.dimensions)
		}
	})
}

func checkRefusal(t *testing.T, route string, body []byte, e *APIError) {
	t.Helper()
	if e.status < 400 || e.status >= 500 || e.Message == "" {
		t.Fatalf("%s refused %q with %d %q: not a 4xx with a message", route, body, e.status, e.Message)
	}
	for _, shape := range []errorShape{teiError, ollamaError, cohereError} {
		if _, err := json.Marshal(shape(e)); err != nil {
			t.Fatalf("%s: error does not encode: %v", route, err)
		}
	}
}
