package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/embellama/embellama/internal/jsonread"
)

// The dialects: the routes of one peer's API (OpenAI, text-embeddings-
// inference, ollama, Cohere) each decode their own request type and
// write their own answer, and share the request frame, the one
// validation ([Server.check]) and the one embedding step
// ([Server.embedInput]). A route whose peer defines an error body
// answers errors in it ([Server.speaks]); the status codes are the
// server's own, the same for every dialect.

// strictBody is the decoder of a dialect's whole-body request: it reads
// the body and decodes it strictly (unknown fields refused, named) into
// a new R.
func strictBody[R any, P interface {
	*R
	jsonRequest
}](s *Server, body io.Reader) (request, *APIError) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, s.errorFor(err, nil)
	}
	rq := P(new(R))
	if e := decodeJSON(raw, rq.target()); e != nil {
		return nil, e
	}
	return rq, nil
}

// parseInputs decodes raw, the value of param: a string, an array of
// strings, an array of token ids or an array of arrays of them, exactly
// as /v1/embeddings reads its input (the same reader and limits), with
// its errors naming param.
func (s *Server) parseInputs(raw json.RawMessage, param string) (input, *APIError) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return input{}, badRequest(param, "%s is required", param)
	}
	body := make([]byte, 0, len(raw)+10)
	body = append(append(append(body, `{"input":`...), raw...), '}')
	lim := jsonread.Limits{Inputs: s.opts.MaxInputs, Tokens: s.opts.MaxRequestTokens, TextBytes: s.opts.MaxInputBytes}
	e, err := jsonread.DecodeEmbeddings(bytes.NewReader(body), lim)
	if err != nil {
		ae := requestError(err)
		if ae == nil {
			return input{}, s.errorFor(err, nil)
		}
		if ae.Param != nil && *ae.Param == "input" {
			*ae.Param = param
		}
		if rest, ok := strings.CutPrefix(ae.Message, "input"); ok {
			ae.Message = param + rest
		}
		return input{}, ae
	}
	return input{texts: e.Texts, tokens: e.Tokens}, nil
}

// errorShape turns the server's error into a peer's error body.
type errorShape func(e *APIError) any

// speaks answers the errors of h in shape: h writes the server's
// (OpenAI's) error body, which is re-encoded on its way out. Successful
// answers pass untouched.
func (s *Server) speaks(shape errorShape, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &shapeWriter{ResponseWriter: w, shape: shape}
		h(sw, r)
		sw.flush()
	}
}

// shapeWriter holds back an error body (a status of 400 or more) until
// the handler returns, then writes it in its shape.
type shapeWriter struct {
	http.ResponseWriter
	shape  errorShape
	status int // 0 until an error status is written
	body   bytes.Buffer
	passed bool // a success status went through: write on
}

func (w *shapeWriter) WriteHeader(code int) {
	if code >= 400 && !w.passed && w.status == 0 {
		w.status = code
		return
	}
	w.passed = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *shapeWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		return w.body.Write(b)
	}
	w.passed = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *shapeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *shapeWriter) flush() {
	if w.status == 0 {
		return
	}
	var er ErrorResponse
	out := w.body.Bytes()
	if json.Unmarshal(out, &er) == nil && er.Error.Message != "" {
		er.Error.status = w.status
		if b, err := json.Marshal(w.shape(&er.Error)); err == nil {
			out = append(b, '\n')
		}
	}
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(out)
}
