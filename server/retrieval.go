package server

import (
	"context"
	"unicode/utf8"
)

// TokenizeRequest is the body of POST /tokenize (llama.cpp's shape, with
// embellama's model and prompt_name).
type TokenizeRequest struct {
	Content      string `json:"content"`
	AddSpecial   bool   `json:"add_special"`
	ParseSpecial bool   `json:"parse_special"`
	WithPieces   bool   `json:"with_pieces"`
	Model        string `json:"model,omitempty"`
	// PromptName puts the model's prompt of that name in front, to count
	// tokens as an embedding with prompt_name sees them.
	PromptName string `json:"prompt_name,omitempty"`
}

// TokenPiece is a token with its text, for with_pieces: the piece is a
// string when it is valid UTF-8, else an array of its bytes (as
// llama.cpp's server answers).
type TokenPiece struct {
	ID    int32 `json:"id"`
	Piece any   `json:"piece"`
}

// tokenizeCall is a decoded POST /tokenize.
type tokenizeCall struct{ req TokenizeRequest }

func (q *tokenizeCall) target() any { return &q.req }

func (q *tokenizeCall) shared(s *Server) (common, *APIError) {
	if e := s.checkInputs("content", q.req.Content); e != nil {
		return common{}, e
	}
	return common{model: q.req.Model, promptName: &q.req.PromptName, input: "content",
		addSpecial: q.req.AddSpecial, parseSpecial: q.req.ParseSpecial}, nil
}

func (q *tokenizeCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	req, rt := &q.req, s.retriever
	toks, err := rt.TokenizeWith(c.resolved, req.Content, c.tokenize)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	if !req.WithPieces {
		return map[string]any{"tokens": toks}, nil
	}
	pieces, err := s.pieces(ctx, c.resolved, toks, "content", true)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	out := make([]TokenPiece, len(toks))
	for i, t := range toks {
		out[i] = TokenPiece{ID: t, Piece: pieces[i]}
		if !utf8.ValidString(pieces[i]) {
			b := make([]int, len(pieces[i]))
			for k := range b {
				b[k] = int(pieces[i][k])
			}
			out[i].Piece = b
		}
	}
	return map[string]any{"tokens": out}, nil
}

// DetokenizeRequest is the body of POST /detokenize.
type DetokenizeRequest struct {
	Tokens []int32 `json:"tokens"`
	Model  string  `json:"model,omitempty"`
}

// detokenizeCall is a decoded POST /detokenize.
type detokenizeCall struct{ req DetokenizeRequest }

func (q *detokenizeCall) target() any { return &q.req }

func (q *detokenizeCall) shared(*Server) (common, *APIError) {
	return common{model: q.req.Model, input: "tokens", whole: true}, nil
}

// run refuses, before building it, a text longer than the answer's
// limit: the sum of the tokens' pieces bounds it (detokenizing drops
// special tokens and may drop spaces, never adds).
func (q *detokenizeCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	if _, err := s.pieces(ctx, c.resolved, q.req.Tokens, "tokens", false); err != nil {
		return nil, s.errorFor(err, c)
	}
	if err := ctx.Err(); err != nil {
		return nil, s.errorFor(err, c)
	}
	text, err := s.retriever.Detokenize(c.resolved, q.req.Tokens, false)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	return map[string]string{"content": text}, nil
}
