package server

import (
	"context"
	"encoding/json"

	"github.com/embellama/embellama/embed"
)

// ChunkRequest is the body of POST /v1/embeddings/chunks, embellama's
// extension: long documents split into overlapping token windows, one
// vector per window with its byte offsets in the document.
type ChunkRequest struct {
	Model string `json:"model,omitempty"`
	// Input is one document or an array of them.
	Input          json.RawMessage `json:"input"`
	Chunking       ChunkSettings   `json:"chunking"`
	PromptName     *string         `json:"prompt_name,omitempty"`
	Dimensions     *int            `json:"dimensions,omitempty"`
	EncodingFormat string          `json:"encoding_format,omitempty"`
}

// ChunkSettings are embed.ChunkOptions.
type ChunkSettings struct {
	Size    int  `json:"size"`
	Overlap int  `json:"overlap"`
	Late    bool `json:"late"`
}

// ChunkResponse lists every chunk of every document.
type ChunkResponse struct {
	Object string           `json:"object"`
	Data   []ChunkEmbedding `json:"data"`
	Model  string           `json:"model"`
	Usage  Usage            `json:"usage"`
}

// ChunkEmbedding is one chunk: document index, chunk index, the byte
// offsets of its text in the document ([start, end)), its tokens, the
// tokens it shares with the chunk before, and its vector.
type ChunkEmbedding struct {
	Object    string          `json:"object"`
	Index     int             `json:"index"`
	Chunk     int             `json:"chunk"`
	Start     int             `json:"start"`
	End       int             `json:"end"`
	Tokens    int             `json:"tokens"`
	Overlap   int             `json:"overlap"`
	Embedding json.RawMessage `json:"embedding"`
}

func (s *Server) handleChunks(ctx context.Context, body []byte) (any, *APIError) {
	rt, ok := s.engine.(Retriever)
	if !ok {
		return nil, notImplemented()
	}
	var req ChunkRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	var docs []string
	var one string
	if err := json.Unmarshal(req.Input, &one); err == nil {
		docs = []string{one}
	} else if err := json.Unmarshal(req.Input, &docs); err != nil {
		return nil, badRequest("input", "input must be a string or an array of strings")
	}
	if len(docs) == 0 {
		return nil, badRequest("input", "input must not be empty")
	}
	if e := s.checkInputs("input", docs...); e != nil {
		return nil, e
	}
	c, e := s.check(common{model: req.Model, promptName: req.PromptName, encoding: &req.EncodingFormat,
		dimensions: req.Dimensions, input: "input"})
	if e != nil {
		return nil, e
	}
	if e := s.checkChunking(c, req.Chunking); e != nil {
		return nil, e
	}
	co := embed.ChunkOptions{Size: req.Chunking.Size, Overlap: req.Chunking.Overlap, Late: req.Chunking.Late}
	r, err := rt.EmbedChunks(ctx, c.resolved, docs, co, c.opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	for i, err := range r.Errors {
		if err != nil {
			return nil, s.inputErrorFor(c, i, err)
		}
	}
	out := ChunkResponse{Object: "list", Model: s.modelName(req.Model), Data: make([]ChunkEmbedding, len(r.Chunks))}
	tokens := 0
	for i, ch := range r.Chunks {
		out.Data[i] = ChunkEmbedding{Object: "embedding.chunk", Index: ch.Doc, Chunk: ch.Index, Start: ch.Start, End: ch.End,
			Tokens: ch.Tokens, Overlap: ch.Overlap, Embedding: c.encode(ch.Vector)}
		tokens += ch.Tokens
	}
	out.Usage = Usage{tokens, tokens}
	return out, nil
}

// checkChunking refuses chunk settings that cannot work on c's model:
// a size below 1 or past the model's context (a chunk, and for late
// chunking the document holding it, must fit the context), or an
// overlap outside [0, size). The engine checks the prompt's share.
func (s *Server) checkChunking(c *call, cs ChunkSettings) *APIError {
	if cs.Size < 1 || cs.Overlap < 0 || cs.Overlap >= cs.Size {
		return badRequest("chunking", "chunking.size %d and chunking.overlap %d: want 0 <= overlap < size", cs.Size, cs.Overlap)
	}
	info, err := s.engine.ModelInfo(c.resolved)
	if err != nil {
		return s.errorFor(err, c)
	}
	if cs.Size > info.ContextSize {
		return badRequest("chunking", "chunking.size %d is more than the model's context of %d tokens", cs.Size, info.ContextSize)
	}
	return nil
}
