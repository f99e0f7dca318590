package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/embellama/embellama/embed"
)

// notImplemented answers a retrieval route on an engine that is no
// [Retriever].
func notImplemented() *APIError {
	return apiError(http.StatusNotImplemented, "server_error", "not_implemented", "", "this engine does not rerank, tokenize or chunk")
}

// request wraps a JSON handler: metrics, shutdown, body limit, timeout.
func (s *Server) request(h func(ctx context.Context, body []byte) (any, *APIError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		code := http.StatusOK
		defer func() { s.metrics.observeRequest(code, time.Since(start)) }()
		b, e := s.admit(w, r)
		if e != nil {
			code = e.status
			s.writeError(w, e)
			return
		}
		defer b.release()
		body, err := io.ReadAll(b)
		if err != nil {
			e := bodyError(err)
			code = e.status
			s.writeError(w, e)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
		defer cancel()
		out, e := h(ctx, body)
		if e != nil {
			code = e.status
			s.writeError(w, e)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// modelName is the name a response reports for model.
func (s *Server) modelName(model string) string {
	if model == "" {
		if info, err := s.engine.ModelInfo(""); err == nil {
			return info.Name
		}
	}
	return model
}

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

func (s *Server) handleTokenize(_ context.Context, body []byte) (any, *APIError) {
	rt, ok := s.engine.(Retriever)
	if !ok {
		return nil, notImplemented()
	}
	var req TokenizeRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	if e := s.checkInputs("content", req.Content); e != nil {
		return nil, e
	}
	c, e := s.check(common{model: req.Model, promptName: &req.PromptName, input: "content"})
	if e != nil {
		return nil, e
	}
	toks, err := rt.TokenizeWith(c.resolved, req.Content,
		embed.TokenizeOptions{AddSpecial: req.AddSpecial, ParseSpecial: req.ParseSpecial, Prompt: req.PromptName})
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	if !req.WithPieces {
		return map[string]any{"tokens": toks}, nil
	}
	pieces, err := rt.TokenPieces(c.resolved, toks)
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

func (s *Server) handleDetokenize(_ context.Context, body []byte) (any, *APIError) {
	rt, ok := s.engine.(Retriever)
	if !ok {
		return nil, notImplemented()
	}
	var req DetokenizeRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	c, e := s.check(common{model: req.Model, input: "tokens"})
	if e != nil {
		return nil, e
	}
	text, err := rt.Detokenize(c.resolved, req.Tokens, false)
	if errors.Is(err, embed.ErrInvalidToken) {
		return nil, badRequest("tokens", "a token id is outside the model's vocabulary")
	}
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	return map[string]string{"content": text}, nil
}
