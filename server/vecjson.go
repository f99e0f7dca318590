package server

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Vectors are most of an embeddings answer's bytes, and the server
// writes them without encoding/json: each encoding appends a vector to
// the answer's buffer (a float32 in its shortest form, or its base64
// bytes), and an [appender] answer writes its whole body into one
// pooled buffer, so a vector is formatted once and never copied into a
// json.RawMessage of its own, compacted again by encoding/json, nor
// copied into the encoder's buffer (BENCHMARKS.md, "the server's own
// work"). The bytes are those encoding/json wrote for the same answer
// (vecjson_test.go compares them).

// vecEncoder appends one vector to b as a JSON value.
type vecEncoder func(b []byte, v []float32) []byte

// raw returns v encoded by enc as a JSON value of its own, for answers
// that encoding/json writes.
func (enc vecEncoder) raw(v []float32) json.RawMessage { return enc(nil, v) }

// maxFloatBytes bounds a float32 in its shortest form plus its comma:
// "-1.1754944e-38," is 15 bytes, the longest.
const maxFloatBytes = 16

// appendFloats appends v to b as a JSON array of the shortest float32
// forms (strconv's 'g' format: 1e-05, 0.0001, 1.5e+07). v must be
// finite, as the engine's vectors are.
func appendFloats(b []byte, v []float32) []byte {
	b = slices.Grow(b, 2+len(v)*maxFloatBytes)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return append(b, ']')
}

// encodeFloats returns v as a JSON array of the shortest float32 forms.
func encodeFloats(v []float32) json.RawMessage { return vecEncoder(appendFloats).raw(v) }

// base64Floats is how many float32 appendBase64 converts at a time: 192
// floats are 768 bytes, a multiple of 3, so that each piece's base64
// ends without padding and the pieces join into the encoding of the
// whole.
const base64Floats = 192

// appendBase64 appends v to b as a JSON string of the base64 of its
// little-endian float32 bytes.
func appendBase64(b []byte, v []float32) []byte {
	enc := base64.StdEncoding
	b = slices.Grow(b, enc.EncodedLen(4*len(v))+2)
	b = append(b, '"')
	var raw [4 * base64Floats]byte
	for len(v) > 0 {
		n := min(len(v), base64Floats)
		for i, x := range v[:n] {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		b = enc.AppendEncode(b, raw[:4*n])
		v = v[n:]
	}
	return append(b, '"')
}

// appendString appends s to b as encoding/json writes a string with
// HTML escaping on (the Encoder's default): a string of printable ASCII
// without '"', '\\', '<', '>' or '&' as it is, any other by encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appender is an answer that writes its own JSON: the bytes
// json.NewEncoder(w).Encode would write for it, newline included.
type appender interface {
	// appendJSON returns nil when the value has no JSON form (a vector
	// with NaN or an infinity, which the engine never returns).
	appendJSON(b []byte) []byte
}

// answerBuffers holds the buffers answers are written into; one that
// grew past maxPooledAnswer is left to the collector.
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledAnswer = 4 << 20

// writeAppended writes a's JSON as the body of a status answer, in one
// Write as the Encoder does (so a short answer still gets its
// Content-Length).
func writeAppended(w http.ResponseWriter, status int, a appender) {
	p := answerBuffers.Get().(*[]byte)
	b := a.appendJSON((*p)[:0])
	if b == nil {
		answerBuffers.Put(p)
		writeJSON(w, http.StatusInternalServerError, ErrorResponse{Error: *apiError(http.StatusInternalServerError,
			"server_error", "internal_error", "", "internal error: a vector is not finite")})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledAnswer {
		*p = b
		answerBuffers.Put(p)
	}
}

// embeddingsAnswer is the answer of POST /v1/embeddings: an
// [EmbeddingResponse] of vectors, written by appendJSON.
type embeddingsAnswer struct {
	model   string
	vectors [][]float32
	tokens  int
	encode  vecEncoder
}

// appendJSON appends a as encoding/json writes its EmbeddingResponse.
func (a *embeddingsAnswer) appendJSON(b []byte) []byte {
	for _, v := range a.vectors {
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil
			}
		}
	}
	b = append(b, `{"object":"list","data":[`...)
	for i, v := range a.vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		b = a.encode(b, v)
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendString(b, a.model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(a.tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(a.tokens), 10)
	return append(b, "}}\n"...)
}
