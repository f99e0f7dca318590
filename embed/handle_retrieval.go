package embed

import "context"

// The retrieval calls on a model handle; each is the engine's call of
// the same name for this model.

// Rerank is [Engine.Rerank] for this model.
func (h *Model) Rerank(ctx context.Context, query string, docs []string, opts ...Option) (*RerankResult, error) {
	return h.e.Rerank(ctx, h.name, query, docs, opts...)
}

// EmbedQuery is [Engine.EmbedQuery] for this model.
func (h *Model) EmbedQuery(ctx context.Context, query string, opts ...Option) ([]float32, error) {
	return h.e.EmbedQuery(ctx, h.name, query, opts...)
}

// EmbedDocuments is [Engine.EmbedDocuments] for this model.
func (h *Model) EmbedDocuments(ctx context.Context, docs []string, opts ...Option) (*Result, error) {
	return h.e.EmbedDocuments(ctx, h.name, docs, opts...)
}

// EmbedChunks is [Engine.EmbedChunks] for this model.
func (h *Model) EmbedChunks(ctx context.Context, docs []string, co ChunkOptions, opts ...Option) (*ChunkResult, error) {
	return h.e.EmbedChunks(ctx, h.name, docs, co, opts...)
}

// TokenizeWith is [Engine.TokenizeWith] for this model.
func (h *Model) TokenizeWith(text string, o TokenizeOptions) ([]int32, error) {
	return h.e.TokenizeWith(h.name, text, o)
}

// Detokenize is [Engine.Detokenize] for this model.
func (h *Model) Detokenize(tokens []int32, unparseSpecial bool) (string, error) {
	return h.e.Detokenize(h.name, tokens, unparseSpecial)
}
