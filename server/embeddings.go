package server

import (
	"context"
	"net/http"
	"time"

	"github.com/embellama/embellama/embed"
)

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := http.StatusOK
	defer func() { s.metrics.observeRequest(code, time.Since(start)) }()
	fail := func(e *APIError) {
		code = e.status
		s.writeError(w, e)
	}
	b, e := s.admit(w, r)
	if e != nil {
		fail(e)
		return
	}
	defer b.release()

	lim := limits{inputs: s.opts.MaxInputs, tokens: s.opts.MaxRequestTokens, textBytes: s.opts.MaxInputBytes, bodyBytes: s.opts.MaxBodyBytes}
	req, in, apiErr := decodeRequest(b, lim)
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
	opts := s.callOptions(req)
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

// callOptions returns the engine options of a request. The limits are
// the engine's per-call options, checked once, after tokenizing and
// before anything is queued (token ids were also counted while they were
// decoded, so an oversized id array is refused before it is held).
func (s *Server) callOptions(req *EmbeddingRequest) []embed.Option {
	opts := []embed.Option{embed.WithMaxInputs(s.opts.MaxInputs)}
	if s.opts.MaxRequestTokens > 0 {
		opts = append(opts, embed.WithMaxTotalTokens(s.opts.MaxRequestTokens))
	}
	if req.Dimensions != nil {
		opts = append(opts, embed.WithDimensions(*req.Dimensions))
	}
	if req.PromptName != nil {
		opts = append(opts, embed.WithPrompt(*req.PromptName))
	}
	return opts
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
