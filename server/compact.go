package server

import (
	"slices"
	"strconv"

	"github.com/embellama/embellama/embed"
)

// encodings are the vector encodings a request may ask for (OpenAI's
// encoding_format, Cohere's embedding_types), each the writer of one
// vector as JSON. float and base64 are OpenAI's; int8, uint8, binary
// and ubinary are Cohere's (and an extension of encoding_format here),
// by the rules of [embed.QuantizeInt8] and [embed.PackBinary].
var encodings = map[string]vecEncoder{
	"":       appendFloats,
	"float":  appendFloats,
	"base64": appendBase64,
	"int8": func(b []byte, v []float32) []byte {
		q, err := embed.QuantizeInt8(v)
		return appendInts(b, q, err)
	},
	"uint8": func(b []byte, v []float32) []byte {
		q, err := embed.QuantizeUint8(v)
		return appendInts(b, q, err)
	},
	"binary":  func(b []byte, v []float32) []byte { return appendInts(b, embed.PackBinary(v), nil) },
	"ubinary": func(b []byte, v []float32) []byte { return appendInts(b, embed.PackUbinary(v), nil) },
}

// encodingNames lists the encodings in the order errors name them.
const encodingNames = `"float", "base64", "int8", "uint8", "binary" or "ubinary"`

// appendInts appends q to b as a JSON array of integers. A vector that
// could not be quantized (a NaN or infinite component, which the engine
// never returns) is written as null rather than as numbers it does not
// have.
func appendInts[T int8 | uint8](b []byte, q []T, err error) []byte {
	if err != nil {
		return append(b, "null"...)
	}
	b = slices.Grow(b, 2+len(q)*5)
	b = append(b, '[')
	for i, x := range q {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return append(b, ']')
}
