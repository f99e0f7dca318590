package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/jsonread"
)

// errorFor is the one mapping of an error, of call c (nil before the
// request is decoded), to an API error, for every route and every step
// of the request frame: an *APIError stands; reading and decoding the
// body go through [requestError]; of the engine's errors, the client's
// faults answer 4xx (every ErrInvalidOption-class error a 400),
// conditions of the server (loading, shutting down, a model unloaded
// under the request, a full queue) 503 or 429 with Retry-After, and only
// what is left 500. An error about one input goes through
// [Server.inputErrorFor]. Messages drop the "embed: " prefix and quote a
// client's values cut short (quote).
func (s *Server) errorFor(err error, c *call) *APIError {
	if c == nil {
		c = &call{common: common{input: "input", text: "input"}}
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	if e := requestError(err); e != nil {
		return e
	}
	if c.whole && errors.Is(err, embed.ErrInvalidToken) {
		return badRequest(c.input, "a token id is outside the model's vocabulary")
	}
	var ie *embed.InputError
	if errors.As(err, &ie) {
		return s.inputErrorFor(c, ie.Index, err)
	}
	if e := clientError(err, c); e != nil {
		return e
	}
	switch {
	case errors.Is(err, embed.ErrUnknownModel):
		if s.loading(s.resolve(c.model)) {
			return loadingError()
		}
		return s.unknownModel(c.model)
	case errors.Is(err, embed.ErrModelUnloaded), errors.Is(err, embed.ErrClosed):
		return s.unavailable()
	case errors.Is(err, embed.ErrTooManyTokens):
		return tooManyTokens(s.opts.MaxRequestTokens)
	case errors.Is(err, embed.ErrTooManyInputs):
		return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", c.input, "%s", strings.TrimPrefix(err.Error(), embed.ErrTooManyInputs.Error()+": "))
	case errors.Is(err, embed.ErrOverloaded):
		return apiError(http.StatusTooManyRequests, "rate_limit_error", "overloaded", "", "the server is busy; retry later")
	case errors.Is(err, context.DeadlineExceeded):
		return apiError(http.StatusServiceUnavailable, "server_error", "timeout", "", "the request took longer than %v", s.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return apiError(499, "invalid_request_error", "canceled", "", "the client closed the request")
	}
	s.log.Error("request failed", "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error")
}

// clientError maps the call-level errors that are the client's fault
// (400), or returns nil.
func clientError(err error, c *call) *APIError {
	param := ""
	switch {
	case errors.Is(err, embed.ErrUnknownPrompt):
		param = "prompt_name"
	case errors.Is(err, embed.ErrNotEmbeddingModel), errors.Is(err, embed.ErrNotReranker),
		errors.Is(err, embed.ErrNotClassifier):
		param = "model"
	case errors.Is(err, embed.ErrInvalidChunking):
		param = "chunking"
	case errors.Is(err, embed.ErrInvalidOption):
	case errors.Is(err, embed.ErrTooLong):
		return apiError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", c.text, "%s", c.message(err))
	case errors.Is(err, embed.ErrNoInput), errors.Is(err, embed.ErrEmptyInput), errors.Is(err, embed.ErrInvalidUTF8),
		errors.Is(err, embed.ErrNULByte), errors.Is(err, embed.ErrInvalidToken), errors.Is(err, embed.ErrInvalidPair):
		param = c.text
	default:
		return nil
	}
	return badRequest(param, "%s", c.message(err))
}

// message is err's text for a client: without the "embed: " prefixes,
// and with the client's model and prompt names, where the engine
// quoted them, cut short.
func (c *call) message(err error) string {
	msg := strings.ReplaceAll(err.Error(), "embed: ", "")
	for _, v := range []*string{&c.model, c.promptName} {
		if v != nil && len(*v) > maxEcho {
			msg = strings.ReplaceAll(msg, strconv.Quote(*v), quote(*v))
		}
	}
	return msg
}

// unavailable is the answer when the engine stopped serving a request:
// the server is shutting down, or the model was unloaded.
func (s *Server) unavailable() *APIError {
	if s.closing.Load() {
		return shuttingDown()
	}
	return apiError(http.StatusServiceUnavailable, "server_error", "model_unloaded", "model", "the model was unloaded while the request waited; retry later")
}

func shuttingDown() *APIError {
	return apiError(http.StatusServiceUnavailable, "server_error", "shutting_down", "", "the server is shutting down")
}

func loadingError() *APIError {
	return apiError(http.StatusServiceUnavailable, "server_error", "model_loading", "model", "the model is still loading; retry later")
}

// unknownModel names the models and aliases a client can use instead.
func (s *Server) unknownModel(model string) *APIError {
	names := s.engine.Models()
	for a := range s.opts.Aliases {
		names = append(names, a)
	}
	sort.Strings(names)
	switch {
	case model == "" && s.opts.DefaultModel != "":
		return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
			"no model was named and the default, %s, is not loaded; name one of: %s", quote(s.opts.DefaultModel), strings.Join(names, ", "))
	case model == "":
		return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
			"no model was named and none is the default; name one of: %s", strings.Join(names, ", "))
	}
	return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		"model %s is not loaded; this server has: %s", quote(model), strings.Join(names, ", "))
}

// inputErrorFor maps the error of input i (of c's texts) to an API
// error. A token count is reported only when the engine knows it.
func (s *Server) inputErrorFor(c *call, i int, err error) *APIError {
	var ie *embed.InputError
	inner := err // the error without the "input %d:" of an InputError
	if errors.As(err, &ie) {
		inner = ie.Err
	}
	what := fmt.Sprintf("%s[%d]", c.input, i)
	switch {
	case errors.Is(err, embed.ErrTooLong):
		msg := what + " is too long for the model's context"
		switch {
		case ie != nil && ie.Tokens > 0 && ie.Limit > 0:
			msg = fmt.Sprintf("%s has %d tokens; the model's context holds %d", what, ie.Tokens, ie.Limit)
		case ie != nil && ie.Limit > 0:
			msg = fmt.Sprintf("%s is longer than the model's context of %d tokens", what, ie.Limit)
		}
		return apiError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", c.input, "%s", msg)
	case errors.Is(err, embed.ErrEmptyInput):
		return badRequest(c.input, "%s is empty", what)
	case errors.Is(err, embed.ErrInvalidUTF8):
		return badRequest(c.input, "%s is not valid UTF-8", what)
	case errors.Is(err, embed.ErrNULByte):
		return badRequest(c.input, "%s contains a NUL character", what)
	case errors.Is(err, embed.ErrInvalidToken):
		return badRequest(c.input, "%s has a token id outside the model's vocabulary", what)
	case errors.Is(err, embed.ErrInvalidChunking): // late chunking a text that is not additive, a character over the size
		return badRequest("chunking", "%s: %s", what, c.message(inner))
	case errors.Is(err, embed.ErrInvalidOption):
		return badRequest(c.input, "%s: %s", what, c.message(inner))
	case errors.Is(err, embed.ErrModelUnloaded):
		return s.unavailable()
	}
	s.log.Error("an input failed", "input", i, "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error on %s", what)
}

// requestError maps an error of reading a request body (through [body])
// or of decoding it ([jsonread.Error]), or returns nil: a body over the
// limit (413), the budget spent (429), a client too slow (408), a broken
// connection (400), a limit of the decoder (413) or a body that is not a
// valid request (400, naming the field the decoder names).
func requestError(err error) *APIError {
	var mbe *http.MaxBytesError
	var slow *slowBodyError
	var je *jsonread.Error
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, errBudget):
		return overloaded()
	case errors.As(err, &slow):
		return apiError(http.StatusRequestTimeout, "invalid_request_error", "request_timeout", "", "%s", slow.Error())
	case errors.Is(err, errBodyRead), errors.Is(err, jsonread.ErrRead):
		return badRequest("", "cannot read the request body")
	case !errors.As(err, &je):
		return nil
	case errors.Is(err, jsonread.ErrTooManyInputs):
		return tooManyInputs(je.Field, je.Limit)
	case errors.Is(err, jsonread.ErrTooManyTokens):
		return tooManyTokens(je.Limit)
	case errors.Is(err, jsonread.ErrTextTooLong):
		return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "input_too_large", je.Field,
			"%s is longer than %d bytes, the most this server accepts for one text", je.Path, je.Limit)
	}
	return badRequest(je.Field, "%s", je.Reason)
}

func tooLarge(limit int64) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "", "request body exceeds %d bytes", limit)
}

func overloaded() *APIError {
	return apiError(http.StatusTooManyRequests, "rate_limit_error", "overloaded", "",
		"the server is decoding as many request bodies as its memory budget allows; retry later")
}

func tooManyInputs(param string, limit int) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", param,
		"more than %d inputs in one request; this server accepts at most %d", limit, limit)
}

func tooManyTokens(limit int) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_tokens", "input",
		"the request has more than %d tokens; this server accepts at most %d per request", limit, limit)
}

// notImplemented answers a retrieval route on an engine that is no
// [Retriever].
func notImplemented() *APIError {
	return apiError(http.StatusNotImplemented, "server_error", "not_implemented", "", "this engine does not rerank, tokenize or chunk")
}

// maxMessage bounds an error message.
const maxMessage = 2048

func (s *Server) writeError(w http.ResponseWriter, e *APIError) {
	if e.status >= 500 || e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if e.status == http.StatusRequestTimeout { // the body was not read to its end
		w.Header().Set("Connection", "close")
	}
	if len(e.Message) > maxMessage { // a last guard: a message never carries a client's megabytes back
		e.Message = cut(e.Message, maxMessage) + "…"
	}
	status := e.status
	if status == 499 { // nobody is listening; keep the log tidy
		status = http.StatusRequestTimeout
	}
	writeJSON(w, status, ErrorResponse{Error: *e})
}

// writeJSON writes v as the JSON body of a status answer: by its own
// appendJSON when it is an [appender], else by encoding/json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if a, ok := v.(appender); ok {
		writeAppended(w, status, a)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
