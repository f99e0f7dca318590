package server

import (
	"context"

	"github.com/embellama/embellama/embed"
)

// embeddingsCall is a decoded POST /v1/embeddings: the request's fields
// and its input, texts or token ids.
type embeddingsCall struct {
	req *EmbeddingRequest
	in  input
}

func (q *embeddingsCall) shared(*Server) (common, *APIError) {
	r := q.req
	return common{model: r.Model, promptName: r.PromptName, encoding: &r.EncodingFormat, dimensions: r.Dimensions, input: "input"}, nil
}

func (q *embeddingsCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	res, tokens, e := s.embedInput(ctx, c, q.in)
	if e != nil {
		return nil, e
	}
	return s.response(c, res, tokens), nil
}

// embedInput embeds in, texts or token ids, for c: the one embedding
// step of every dialect's embeddings route. It returns the result and
// its tokens, summed, or the error of the call or of its first failed
// input.
func (s *Server) embedInput(ctx context.Context, c *call, in input) (*embed.Result, int, *APIError) {
	s.metrics.inputs.Add(float64(in.len()))
	var res *embed.Result
	var err error
	if in.tokens != nil {
		res, err = s.engine.EmbedBatchTokens(ctx, c.resolved, in.tokens, c.opts...)
	} else {
		res, err = s.engine.EmbedBatch(ctx, c.resolved, in.texts, c.opts...)
	}
	if err != nil {
		return nil, 0, s.errorFor(err, c)
	}
	for i, e := range res.Errors {
		if e != nil {
			return nil, 0, s.inputErrorFor(c, i, e)
		}
	}
	tokens := 0
	for _, n := range res.Tokens {
		tokens += n
	}
	s.metrics.tokens.Add(float64(tokens))
	return res, tokens, nil
}

// response builds the answer of a successful request, an
// [EmbeddingResponse] that writes itself (vecjson.go); it names the
// model as the client did (an alias stays an alias).
func (s *Server) response(c *call, res *embed.Result, tokens int) *embeddingsAnswer {
	return &embeddingsAnswer{model: s.modelName(c.model), vectors: res.Vectors, tokens: tokens, encode: c.encode}
}

// modelName is the name a response reports for model: the default
// model's for "".
func (s *Server) modelName(model string) string {
	if model == "" {
		if s.opts.DefaultModel != "" {
			return s.opts.DefaultModel
		}
		if info, err := s.engine.ModelInfo(""); err == nil {
			return info.Name
		}
	}
	return model
}
