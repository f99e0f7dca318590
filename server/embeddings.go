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
	c, apiErr := s.check(common{model: req.Model, promptName: req.PromptName, encoding: &req.EncodingFormat,
		dimensions: req.Dimensions, input: "input"})
	if apiErr != nil {
		fail(apiErr)
		return
	}
	s.metrics.inputs.Add(float64(in.len()))

	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	var res *embed.Result
	var err error
	if in.tokens != nil {
		res, err = s.engine.EmbedBatchTokens(ctx, c.resolved, in.tokens, c.opts...)
	} else {
		res, err = s.engine.EmbedBatch(ctx, c.resolved, in.texts, c.opts...)
	}
	if err != nil {
		fail(s.errorFor(err, c))
		return
	}
	for i, e := range res.Errors {
		if e != nil {
			fail(s.inputErrorFor(c, i, e))
			return
		}
	}
	tokens := 0
	for _, n := range res.Tokens {
		tokens += n
	}
	s.metrics.tokens.Add(float64(tokens))
	writeJSON(w, http.StatusOK, s.response(c, res, tokens))
}

// response builds the answer of a successful request; it names the model
// as the client did (an alias stays an alias).
func (s *Server) response(c *call, res *embed.Result, tokens int) EmbeddingResponse {
	out := EmbeddingResponse{Object: "list", Data: make([]Embedding, len(res.Vectors)), Model: s.modelName(c.model), Usage: Usage{tokens, tokens}}
	for i, v := range res.Vectors {
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: c.encode(v)}
	}
	return out
}
