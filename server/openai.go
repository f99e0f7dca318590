package server

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
)

// EmbeddingRequest is the body of POST /v1/embeddings.
type EmbeddingRequest struct {
	// Input is a string, an array of strings, an array of token ids, or
	// an array of arrays of token ids. (The server decodes it from the
	// body as a stream and leaves this field empty; it is here for
	// clients that build a request with this type.)
	Input json.RawMessage `json:"input"`
	// Model names a loaded model; empty selects the default.
	Model string `json:"model"`
	// EncodingFormat is "float" (default) or "base64".
	EncodingFormat string `json:"encoding_format,omitempty"`
	// Dimensions keeps the first N components, renormalized.
	Dimensions *int `json:"dimensions,omitempty"`
	// User is accepted and ignored.
	User string `json:"user,omitempty"`
	// PromptName selects a prompt of the model (text-embeddings-inference's
	// field, an extension here): "query", "document", or another name the
	// model has; "" applies none, absent the model's default prompt.
	PromptName *string `json:"prompt_name,omitempty"`
}

// EmbeddingResponse is the body of a successful POST /v1/embeddings.
type EmbeddingResponse struct {
	Object string      `json:"object"`
	Data   []Embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  Usage       `json:"usage"`
}

// Embedding is one vector: a JSON array of numbers, or with base64 the
// little-endian float32 bytes, as OpenAI encodes them.
type Embedding struct {
	Object    string          `json:"object"`
	Index     int             `json:"index"`
	Embedding json.RawMessage `json:"embedding"`
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// ErrorResponse is OpenAI's error body.
type ErrorResponse struct {
	Error APIError `json:"error"`
}

// APIError is the error object of an [ErrorResponse]; it is also the Go
// error the handler maps to a status.
type APIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
	status  int
}

func (e *APIError) Error() string { return e.Message }

// Status returns the HTTP status of the error.
func (e *APIError) Status() int { return e.status }

func apiError(status int, typ, code, param, format string, args ...any) *APIError {
	e := &APIError{Message: fmt.Sprintf(format, args...), Type: typ, status: status}
	if code != "" {
		e.Code = &code
	}
	if param != "" {
		e.Param = &param
	}
	return e
}

func badRequest(param, format string, args ...any) *APIError {
	return apiError(400, "invalid_request_error", "", param, format, args...)
}

// input is a decoded request input: texts, or token ids.
type input struct {
	texts  []string
	tokens [][]int32
}

func (in input) len() int {
	if in.tokens != nil {
		return len(in.tokens)
	}
	return len(in.texts)
}

// DecodeBase64 decodes an embedding returned with encoding_format base64.
func DecodeBase64(s string) ([]float32, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	if len(raw)%4 != 0 {
		return nil, fmt.Errorf("server: %d bytes is not a whole number of float32", len(raw))
	}
	v := make([]float32, len(raw)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return v, nil
}
