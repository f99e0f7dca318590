package server

import (
	"context"
	"io"
	"net/http"

	"github.com/embellama/embellama/internal/jsonread"
)

// The request frame: every route with a body (the OpenAI, Cohere, Jina,
// text-embeddings-inference and llama.cpp shapes alike) is one
// [Server.frame] around the route's decoder, and passes the same steps
// in the same order:
//
//  1. admission ([Server.admit]): not while shutting down, not over
//     MaxBodyBytes;
//  2. the body, read through [body] (each read's bytes reserved of the
//     pending-bytes budget once they arrive, the minimum body rate),
//     and decoded strictly by
//     [jsonread]: as a stream for /v1/embeddings ([decodeEmbeddings]),
//     whole for the others ([jsonBody]);
//  3. the route's checks of the request alone ([request].shared);
//  4. the shared checks and model resolution ([Server.check]: alias,
//     default, loading, unknown), which build the engine's options;
//  5. the operation ([request].run), under Options.Timeout: past it,
//     503, also when an engine call that takes no context (a
//     tokenization, of at most MaxInputBytes) returned after it.
//
// A failure of any step is an *APIError from the one mapper
// ([Server.errorFor]); the frame writes it or the answer, records the
// request's metrics, and only then returns the body's reservation.

// request is a decoded request body, one type per route.
type request interface {
	// shared checks the request alone, before its model is resolved,
	// and returns the fields that every route shares.
	shared(s *Server) (common, *APIError)
	// run performs the operation of c, the checked call with its model
	// resolved, and returns the body of the answer.
	run(ctx context.Context, s *Server, c *call) (any, *APIError)
}

// decodeFunc reads a route's request from its body.
type decodeFunc func(s *Server, body io.Reader) (request, *APIError)

// frame is the handler of a route whose requests decode reads.
func (s *Server) frame(decode decodeFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, e := s.admit(w, r)
		if e == nil {
			defer b.release() // after the answer is written: it is part of what the request holds
			var out any
			if out, e = s.serve(r.Context(), b, decode); e == nil {
				writeJSON(w, http.StatusOK, out)
				return
			}
		}
		s.writeError(w, e)
	}
}

// serve runs steps 2 to 5 of the frame on an admitted body.
func (s *Server) serve(ctx context.Context, b io.Reader, decode decodeFunc) (any, *APIError) {
	rq, e := decode(s, b)
	if e != nil {
		return nil, e
	}
	shared, e := rq.shared(s)
	if e != nil {
		return nil, e
	}
	if len(shared.model) <= jsonread.MaxFieldBytes {
		// A longer name is refused by check: it never reaches the log.
		noteModel(ctx, s.modelName(s.resolve(shared.model)))
	}
	c, e := s.check(shared)
	if e != nil {
		return nil, e
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	out, e := rq.run(ctx, s, c)
	if err := ctx.Err(); err != nil && e == nil {
		// An engine call that takes no context (a tokenization) ran past
		// the deadline: the answer is late, and is not given.
		return nil, s.errorFor(err, c)
	}
	return out, e
}

// jsonRequest is a request decoded whole, by [jsonBody].
type jsonRequest interface {
	request
	// target returns what the body's JSON fills.
	target() any
}

// jsonBody is the decoder of the retrieval routes: it reads the whole
// body, answers 501 on an engine that is no [Retriever], and decodes
// the body strictly into a new R.
func jsonBody[R any, P interface {
	*R
	jsonRequest
}](s *Server, body io.Reader) (request, *APIError) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, s.errorFor(err, nil)
	}
	if s.retriever == nil {
		return nil, notImplemented()
	}
	rq := P(new(R))
	if e := decodeJSON(raw, rq.target()); e != nil {
		return nil, e
	}
	return rq, nil
}

// decodeJSON decodes body strictly into v, a pointer to a request
// struct (see [jsonread.Strict]).
func decodeJSON(body []byte, v any) *APIError {
	if err := jsonread.Strict(body, v); err != nil {
		return requestError(err)
	}
	return nil
}

// decodeEmbeddings is the decoder of /v1/embeddings: a stream, within
// the server's limits.
func decodeEmbeddings(s *Server, body io.Reader) (request, *APIError) {
	lim := jsonread.Limits{Inputs: s.opts.MaxInputs, Tokens: s.opts.MaxRequestTokens, TextBytes: s.opts.MaxInputBytes}
	req, in, e := decodeRequest(body, lim)
	if e != nil {
		return nil, e
	}
	return &embeddingsCall{req: req, in: in}, nil
}

// decodeRequest reads an embeddings request from r (see
// [jsonread.DecodeEmbeddings]).
func decodeRequest(r io.Reader, lim jsonread.Limits) (*EmbeddingRequest, input, *APIError) {
	e, err := jsonread.DecodeEmbeddings(r, lim)
	if err != nil {
		return nil, input{}, requestError(err)
	}
	req := &EmbeddingRequest{Model: e.Model, EncodingFormat: e.EncodingFormat, Dimensions: e.Dimensions, User: e.User, PromptName: e.PromptName}
	return req, input{texts: e.Texts, tokens: e.Tokens}, nil
}
