package server

import (
	"context"
	"encoding/json"
	"errors"

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
	if len(docs) > s.opts.MaxInputs {
		return nil, apiError(413, "invalid_request_error", "too_many_inputs", "input",
			"%d inputs in one request; this server accepts at most %d", len(docs), s.opts.MaxInputs)
	}
	if e := s.checkTextBytes("input", docs...); e != nil {
		return nil, e
	}
	model, e := s.retrievalModel(req.Model)
	if e != nil {
		return nil, e
	}
	// The chunks of all documents count as the inputs of one request.
	opts := []embed.Option{embed.WithMaxInputs(s.opts.MaxInputs)}
	if s.opts.MaxRequestTokens > 0 {
		opts = append(opts, embed.WithMaxTotalTokens(s.opts.MaxRequestTokens))
	}
	if req.PromptName != nil {
		opts = append(opts, embed.WithPrompt(*req.PromptName))
	}
	if req.Dimensions != nil {
		opts = append(opts, embed.WithDimensions(*req.Dimensions))
	}
	co := embed.ChunkOptions{Size: req.Chunking.Size, Overlap: req.Chunking.Overlap, Late: req.Chunking.Late}
	r, err := rt.EmbedChunks(ctx, model, docs, co, opts...)
	if err != nil {
		e := s.retrievalError(err, req.Model)
		if errors.Is(err, embed.ErrInvalidChunking) {
			p := "chunking"
			e.Param = &p
		}
		return nil, e
	}
	for i, err := range r.Errors {
		if err != nil {
			return nil, s.inputError(i, err)
		}
	}
	enc := encodeFloats
	if req.EncodingFormat == "base64" {
		enc = encodeBase64
	}
	out := ChunkResponse{Object: "list", Model: s.modelName(req.Model), Data: make([]ChunkEmbedding, len(r.Chunks))}
	tokens := 0
	for i, c := range r.Chunks {
		out.Data[i] = ChunkEmbedding{Object: "embedding.chunk", Index: c.Doc, Chunk: c.Index, Start: c.Start, End: c.End,
			Tokens: c.Tokens, Overlap: c.Overlap, Embedding: enc(c.Vector)}
		tokens += c.Tokens
	}
	out.Usage = Usage{tokens, tokens}
	return out, nil
}
