package server

import (
	"context"
	"encoding/json"
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

// chunksCall is a decoded POST /v1/embeddings/chunks and its documents.
type chunksCall struct {
	req  ChunkRequest
	docs []string
}

func (q *chunksCall) target() any { return &q.req }

func (q *chunksCall) shared(s *Server) (common, *APIError) {
	req := &q.req
	var one string
	if err := json.Unmarshal(req.Input, &one); err == nil {
		q.docs = []string{one}
	} else if err := json.Unmarshal(req.Input, &q.docs); err != nil {
		return common{}, badRequest("input", "input must be a string or an array of strings")
	}
	if len(q.docs) == 0 {
		return common{}, badRequest("input", "input must not be empty")
	}
	if e := s.checkInputs("input", q.docs...); e != nil {
		return common{}, e
	}
	return common{model: req.Model, promptName: req.PromptName, encoding: &req.EncodingFormat,
		dimensions: req.Dimensions, chunking: &req.Chunking, input: "input"}, nil
}

func (q *chunksCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	r, err := s.retriever.EmbedChunks(ctx, c.resolved, q.docs, c.chunk, c.opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	for i, err := range r.Errors {
		if err != nil {
			return nil, s.inputErrorFor(c, i, err)
		}
	}
	out := ChunkResponse{Object: "list", Model: s.modelName(c.model), Data: make([]ChunkEmbedding, len(r.Chunks))}
	tokens := 0
	for i, ch := range r.Chunks {
		out.Data[i] = ChunkEmbedding{Object: "embedding.chunk", Index: ch.Doc, Chunk: ch.Index, Start: ch.Start, End: ch.End,
			Tokens: ch.Tokens, Overlap: ch.Overlap, Embedding: c.encode.raw(ch.Vector)}
		tokens += ch.Evaluated
	}
	out.Usage = Usage{tokens, tokens}
	return out, nil
}
