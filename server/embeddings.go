package server

import (
	"context"
	"net/http"
	"time"

	"github.com/embellama/embellama/embed"
)

// minReservation is what a request with a tiny or empty body reserves of
// the pending-bytes budget: the decoder's buffer and the answer.
const minReservation = 64 << 10

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := http.StatusOK
	defer func() { s.metrics.observeRequest(code, time.Since(start)) }()
	fail := func(e *APIError) {
		code = e.status
		s.writeError(w, e)
	}
	if s.closing.Load() {
		fail(shuttingDown())
		return
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		fail(apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "", "request body exceeds %d bytes", s.opts.MaxBodyBytes))
		return
	}
	reserve := s.opts.MaxBodyBytes
	if r.ContentLength >= 0 {
		reserve = min(max(r.ContentLength, minReservation), s.opts.MaxBodyBytes)
	}
	if !s.budget.reserve(reserve) {
		fail(apiError(http.StatusTooManyRequests, "rate_limit_error", "overloaded", "",
			"the server is decoding as many requests as its memory budget allows; retry later"))
		return
	}
	defer s.budget.release(reserve)

	lim := limits{inputs: s.opts.MaxInputs, tokens: s.opts.MaxRequestTokens, textBytes: s.opts.MaxInputBytes, bodyBytes: s.opts.MaxBodyBytes}
	req, in, apiErr := decodeRequest(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), lim)
	if apiErr != nil {
		fail(apiErr)
		return
	}
	model := s.resolve(req.Model)
	if s.loading(model) {
		fail(loadingError())
		return
	}
	s.metrics.inputs.Add(float64(in.len()))

	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	opts, apiErr := s.callOptions(ctx, model, req, in)
	if apiErr != nil {
		fail(apiErr)
		return
	}
	var res *embed.Result
	var err error
	if in.tokens != nil {
		res, err = s.engine.EmbedBatchTokens(ctx, model, in.tokens, opts...)
	} else {
		res, err = s.engine.EmbedBatch(ctx, model, in.texts, opts...)
	}
	if err != nil {
		fail(s.engineError(err, req.Model))
		return
	}
	for i, e := range res.Errors {
		if e != nil {
			fail(s.inputError(i, e))
			return
		}
	}
	tokens := 0
	for _, n := range res.Tokens {
		tokens += n
	}
	s.metrics.tokens.Add(float64(tokens))
	writeJSON(w, http.StatusOK, s.response(req, model, res, tokens))
}

// callOptions returns the engine options of a request, after checking
// its limits. Token ids were counted against MaxRequestTokens while they
// were decoded; texts are counted here, one by one, stopping at the first
// that crosses the bound or when ctx ends.
//
// This is the one place to change when the engine checks the limits per
// call (embed.WithMaxTokens, embed.WithMaxInputs): then it returns those
// options instead of counting, so that each text is tokenized once, and
// engineError maps the engine's limit error to too_many_tokens.
func (s *Server) callOptions(ctx context.Context, model string, req *EmbeddingRequest, in input) ([]embed.Option, *APIError) {
	var opts []embed.Option
	if req.Dimensions != nil {
		opts = append(opts, embed.WithDimensions(*req.Dimensions))
	}
	if s.opts.MaxRequestTokens <= 0 || in.tokens != nil {
		return opts, nil
	}
	total := 0
	for _, t := range in.texts {
		if err := ctx.Err(); err != nil {
			return nil, s.engineError(err, req.Model)
		}
		n, err := s.engine.CountTokens(model, t)
		if err != nil {
			continue // reported per input by the embedding call
		}
		if total += n; total > s.opts.MaxRequestTokens {
			return nil, tooManyTokens(s.opts.MaxRequestTokens)
		}
	}
	return opts, nil
}

// response builds the answer of a successful request; it names the model
// as the client did (an alias stays an alias).
func (s *Server) response(req *EmbeddingRequest, model string, res *embed.Result, tokens int) EmbeddingResponse {
	name := req.Model
	if name == "" {
		if info, err := s.engine.ModelInfo(model); err == nil {
			name = info.Name
		}
	}
	enc := encodeFloats
	if req.EncodingFormat == "base64" {
		enc = encodeBase64
	}
	out := EmbeddingResponse{Object: "list", Data: make([]Embedding, len(res.Vectors)), Model: name, Usage: Usage{tokens, tokens}}
	for i, v := range res.Vectors {
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: enc(v)}
	}
	return out
}
