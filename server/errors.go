package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/embellama/embellama/embed"
)

// engineError maps a call-level engine error for the requested model
// name to an API error. Conditions of the server (loading, shutting
// down, a model unloaded under the request, a full queue) answer 503 or
// 429 with Retry-After; the client's faults answer 4xx.
func (s *Server) engineError(err error, model string) *APIError {
	switch {
	case errors.Is(err, embed.ErrUnknownModel):
		if s.loading(s.resolve(model)) {
			return loadingError()
		}
		return s.unknownModel(model)
	case errors.Is(err, embed.ErrModelUnloaded), errors.Is(err, embed.ErrClosed):
		return s.unavailable()
	case errors.Is(err, embed.ErrUnknownPrompt):
		return badRequest("prompt_name", "%s", strings.TrimPrefix(err.Error(), "embed: "))
	case errors.Is(err, embed.ErrNotEmbeddingModel):
		return badRequest("model", "%s", strings.TrimPrefix(err.Error(), "embed: "))
	case errors.Is(err, embed.ErrInvalidOption):
		return badRequest("dimensions", "%s", strings.TrimPrefix(err.Error(), "embed: "))
	case errors.Is(err, embed.ErrTooManyTokens):
		return tooManyTokens(s.opts.MaxRequestTokens)
	case errors.Is(err, embed.ErrTooManyInputs):
		return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", "input",
			"more than %d inputs in one request; this server accepts at most %d", s.opts.MaxInputs, s.opts.MaxInputs)
	case errors.Is(err, embed.ErrNoInput):
		return badRequest("input", "input must not be empty")
	case errors.Is(err, embed.ErrOverloaded):
		return apiError(http.StatusTooManyRequests, "rate_limit_error", "overloaded", "", "the server is busy; retry later")
	case errors.Is(err, context.DeadlineExceeded):
		return apiError(http.StatusServiceUnavailable, "server_error", "timeout", "", "the request took longer than %v", s.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return apiError(499, "invalid_request_error", "canceled", "", "the client closed the request")
	}
	s.log.Error("embedding failed", "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error")
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
	if model == "" {
		return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
			"no model was named and none is the default; name one of: %s", strings.Join(names, ", "))
	}
	return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model",
		"model %q is not loaded; this server has: %s", model, strings.Join(names, ", "))
}

// inputError maps the error of input i to an API error.
func (s *Server) inputError(i int, err error) *APIError {
	var ie *embed.InputError
	errors.As(err, &ie)
	switch {
	case errors.Is(err, embed.ErrTooLong):
		msg := fmt.Sprintf("input[%d] is too long", i)
		if ie != nil {
			msg = fmt.Sprintf("input[%d] has %d tokens; the model's context holds %d", i, ie.Tokens, ie.Limit)
		}
		return apiError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "input", "%s", msg)
	case errors.Is(err, embed.ErrEmptyInput):
		return badRequest("input", "input[%d] is empty", i)
	case errors.Is(err, embed.ErrInvalidUTF8):
		return badRequest("input", "input[%d] is not valid UTF-8", i)
	case errors.Is(err, embed.ErrNULByte):
		return badRequest("input", "input[%d] contains a NUL character", i)
	case errors.Is(err, embed.ErrInvalidToken):
		return badRequest("input", "input[%d] has a token id outside the model's vocabulary", i)
	case errors.Is(err, embed.ErrModelUnloaded):
		return s.unavailable()
	}
	s.log.Error("embedding an input failed", "input", i, "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error embedding input[%d]", i)
}

func (s *Server) writeError(w http.ResponseWriter, e *APIError) {
	if e.status >= 500 || e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	if e.status == http.StatusRequestTimeout { // the body was not read to its end
		w.Header().Set("Connection", "close")
	}
	status := e.status
	if status == 499 { // nobody is listening; keep the log tidy
		status = http.StatusRequestTimeout
	}
	writeJSON(w, status, ErrorResponse{Error: *e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
