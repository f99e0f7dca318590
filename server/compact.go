package server

import (
	"encoding/json"
	"strconv"

	"github.com/embellama/embellama/embed"
)

// encodings are the vector encodings a request may ask for (OpenAI's
// encoding_format, Cohere's embedding_types), each the writer of one
// vector as JSON. float and base64 are OpenAI's; int8, uint8, binary
// and ubinary are Cohere's (and an extension of encoding_format here),
// by the rules of [embed.QuantizeInt8] and [embed.PackBinary].
var encodings = map[string]func([]float32) json.RawMessage{
	"":        encodeFloats,
	"float":   encodeFloats,
	"base64":  encodeBase64,
	"int8":    func(v []float32) json.RawMessage { return encodeInts(embed.QuantizeInt8(v)) },
	"uint8":   func(v []float32) json.RawMessage { return encodeInts(embed.QuantizeUint8(v)) },
	"binary":  func(v []float32) json.RawMessage { return encodeInts(embed.PackBinary(v), nil) },
	"ubinary": func(v []float32) json.RawMessage { return encodeInts(embed.PackUbinary(v), nil) },
}

// encodingNames lists the encodings in the order errors name them.
const encodingNames = `"float", "base64", "int8", "uint8", "binary" or "ubinary"`

// encodeInts writes q as a JSON array of integers. A vector that could
// not be quantized (a NaN or infinite component, which the engine never
// returns) is written as null rather than as numbers it does not have.
func encodeInts[T int8 | uint8](q []T, err error) json.RawMessage {
	if err != nil {
		return json.RawMessage("null")
	}
	b := make([]byte, 0, 2+len(q)*5)
	b = append(b, '[')
	for i, x := range q {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}
