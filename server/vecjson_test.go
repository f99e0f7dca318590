package server

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// The answer of /v1/embeddings was an EmbeddingResponse written by
// json.NewEncoder, each vector a json.RawMessage of the encoders below;
// vecjson.go writes it directly. These tests hold the two to the same
// bytes, and the floats to the values they encode.

// oldFloats, oldBase64 and oldInts are the vector encoders the server
// had before vecjson.go, kept as the reference.
func oldFloats(v []float32) json.RawMessage {
	b := make([]byte, 0, 2+len(v)*11)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return append(b, ']')
}

func oldBase64(v []float32) json.RawMessage {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	b := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw)
	return append(b, '"')
}

func oldInts[T int8 | uint8](q []T, err error) json.RawMessage {
	if err != nil {
		return json.RawMessage("null")
	}
	b := []byte{'['}
	for i, x := range q {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}

// oldEncodings is the encodings table as it was.
var oldEncodings = map[string]func([]float32) json.RawMessage{
	"":        oldFloats,
	"float":   oldFloats,
	"base64":  oldBase64,
	"int8":    func(v []float32) json.RawMessage { return oldInts(embed.QuantizeInt8(v)) },
	"uint8":   func(v []float32) json.RawMessage { return oldInts(embed.QuantizeUint8(v)) },
	"binary":  func(v []float32) json.RawMessage { return oldInts(embed.PackBinary(v), nil) },
	"ubinary": func(v []float32) json.RawMessage { return oldInts(embed.PackUbinary(v), nil) },
}

// oldAnswer writes the answer as the server did: encoding/json over an
// EmbeddingResponse.
func oldAnswer(t testing.TB, format, model string, vecs [][]float32, tokens int) []byte {
	out := EmbeddingResponse{Object: "list", Data: make([]Embedding, len(vecs)), Model: model, Usage: Usage{tokens, tokens}}
	for i, v := range vecs {
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: oldEncodings[format](v)}
	}
	var buf bytes.Buffer
	require.NoError(t, json.NewEncoder(&buf).Encode(out))
	return buf.Bytes()
}

// newAnswer writes the answer through writeJSON, as the frame does.
func newAnswer(format, model string, vecs [][]float32, tokens int) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	writeJSON(w, http.StatusOK, &embeddingsAnswer{model: model, vectors: vecs, tokens: tokens, encode: encodings[format]})
	return w
}

// edgeFloats are float32 values whose shortest forms take each branch
// of the formatting: zeros, subnormals, the normal range's ends, the
// exponents where 'g' switches to and from exponent form, and values
// with 9 significant digits.
var edgeFloats = []float32{
	0, float32(math.Copysign(0, -1)),
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	math.Float32frombits(0x007fffff), // largest subnormal
	math.Float32frombits(0x00800000), // smallest normal, 1.1754944e-38
	-math.Float32frombits(0x00800000),
	1e-7, -1e-7, 1e-6, 1e-5, 1e-4, 0.001, 0.1, 1, -1, 0.33333334, -0.12345679,
	123456.79, 1e6, 1e7, 1.5e7, 1e20, 1e21, -1e21, 1e38,
	math.MaxFloat32, -math.MaxFloat32, math.Nextafter32(1, 2), math.Nextafter32(1, 0),
}

func TestEmbeddingsAnswerBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64() / 20)
		}
		return v
	}
	bits := func(n int) []float32 { // any finite float32
		v := make([]float32, n)
		for i := range v {
			for v[i] = math.Float32frombits(r.Uint32()); math.IsNaN(float64(v[i])) || math.IsInf(float64(v[i]), 0); {
				v[i] = math.Float32frombits(r.Uint32())
			}
		}
		return v
	}
	vectors := map[string][][]float32{
		"none":          {},
		"edges":         {edgeFloats},
		"one 384":       {random(384)},
		"three, ragged": {random(1), random(191), random(193)},
		"base64 pieces": {random(base64Floats - 1), random(base64Floats), random(base64Floats + 1), random(3 * base64Floats)},
		"any bits":      {bits(1000), bits(7)},
		"empty vector":  {{}, random(2)},
		"32 vectors 768": slices.Collect(func(yield func([]float32) bool) {
			for range 32 {
				if !yield(random(768)) {
					return
				}
			}
		}),
	}
	models := []string{"default", "minilm-l6:f16", "a<b", "a>b", "a&b", `quote" back\slash`, "modèle 模型", "bad \xff utf-8", "line\u2028sep", "tab\tnew\nline", ""}
	for name, vecs := range vectors {
		for format := range oldEncodings {
			for _, model := range models {
				t.Run(fmt.Sprintf("%s/%q/%q", name, format, model), func(t *testing.T) {
					want := oldAnswer(t, format, model, vecs, 4711)
					w := newAnswer(format, model, vecs, 4711)
					assert.Equal(t, string(want), w.Body.String())
					assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
					assert.Equal(t, http.StatusOK, w.Code)
				})
			}
		}
	}
}

// TestEmbeddingsAnswerValues decodes the answers with encoding/json and
// DecodeBase64 and compares each float32 bit for bit with the vector
// written (-0 and subnormals included).
func TestEmbeddingsAnswerValues(t *testing.T) {
	var long []float32 // past one base64 piece
	for len(long) < base64Floats+5 {
		long = append(long, edgeFloats...)
	}
	vecs := [][]float32{edgeFloats, long}
	for _, format := range []string{"float", "base64"} {
		t.Run(format, func(t *testing.T) {
			got := decodeAnswer(t, format, newAnswer(format, "m", vecs, 1).Body.Bytes())
			require.Len(t, got, len(vecs))
			for i := range vecs {
				assert.Equal(t, floatBits(vecs[i]), floatBits(got[i]))
			}
		})
	}
}

// decodeAnswer reads the vectors of an answer in format.
func decodeAnswer(t testing.TB, format string, body []byte) [][]float32 {
	var ans struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &ans))
	out := make([][]float32, len(ans.Data))
	for i, d := range ans.Data {
		if format == "base64" {
			var s string
			require.NoError(t, json.Unmarshal(d.Embedding, &s))
			v, err := DecodeBase64(s)
			require.NoError(t, err)
			out[i] = v
			continue
		}
		require.NoError(t, json.Unmarshal(d.Embedding, &out[i]))
	}
	return out
}

func floatBits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}

// FuzzEmbeddingsAnswer writes the float32 values of arbitrary bytes (4
// at a time, NaN and infinities left out: the engine refuses them) in
// every encoding, under an arbitrary model name. Invariants: the bytes
// are those of the old encoding/json path; the answer is valid JSON;
// float and base64 decode back to the same bits.
func FuzzEmbeddingsAnswer(f *testing.F) {
	seed := make([]byte, 0, 4*len(edgeFloats))
	for _, x := range edgeFloats {
		seed = binary.LittleEndian.AppendUint32(seed, math.Float32bits(x))
	}
	f.Add(seed, "default")
	f.Add([]byte{}, "a<b>&\xff")
	f.Add(bytes.Repeat([]byte{0x12, 0x34, 0x56, 0x3f}, base64Floats+1), "m\u2028")
	f.Fuzz(func(t *testing.T, raw []byte, model string) {
		var v []float32
		for len(raw) >= 4 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(raw))
			raw = raw[4:]
			if !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) {
				v = append(v, x)
			}
		}
		vecs := [][]float32{v, v[len(v)/2:]}
		for format := range oldEncodings {
			got := newAnswer(format, model, vecs, len(v)).Body.Bytes()
			if want := oldAnswer(t, format, model, vecs, len(v)); !bytes.Equal(want, got) {
				t.Fatalf("%q: answer differs from encoding/json's:\n got %s\nwant %s", format, got, want)
			}
			if !json.Valid(got) {
				t.Fatalf("%q: invalid JSON %s", format, got)
			}
			if format == "float" || format == "base64" {
				back := decodeAnswer(t, format, got)
				for i := range vecs {
					if !slices.Equal(floatBits(vecs[i]), floatBits(back[i])) {
						t.Fatalf("%q: vector %d read back as %v, written %v", format, i, back[i], vecs[i])
					}
				}
			}
		}
	})
}

// BenchmarkEmbeddingsAnswer writes the answer of a request of 32
// MiniLM-sized vectors (384 floats), the 4-client benchmark's, by the
// old encoding/json path and by writeJSON's appended one.
func BenchmarkEmbeddingsAnswer(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vecs := make([][]float32, 32)
	for i := range vecs {
		vecs[i] = make([]float32, 384)
		for j := range vecs[i] {
			vecs[i][j] = float32(r.NormFloat64() / 20)
		}
	}
	for _, format := range []string{"float", "base64"} {
		b.Run(format+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				oldAnswer(b, format, "default", vecs, 1234)
			}
		})
		b.Run(format+"/appended", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				newAnswer(format, "default", vecs, 1234)
			}
		})
	}
}
