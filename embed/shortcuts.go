package embed

import "context"

// The engine-level calls name their model on each call ("" for the only
// one); each is the same call on [Engine.Model].

// ModelInfo describes the named model ("" for the only one).
func (e *Engine) ModelInfo(name string) (ModelInfo, error) { return e.Model(name).Info() }

// Stats reports the named model's queue and batch counters.
func (e *Engine) Stats(name string) (Stats, error) { return e.Model(name).Stats() }

// Tokenize is [Model.Tokenize] on the named model.
func (e *Engine) Tokenize(name, text string) ([]int32, error) { return e.Model(name).Tokenize(text) }

// CountTokens is [Model.CountTokens] on the named model.
func (e *Engine) CountTokens(name, text string) (int, error) { return e.Model(name).CountTokens(text) }

// Embed is [Model.Embed] on the named model.
func (e *Engine) Embed(ctx context.Context, name, text string, opts ...Option) ([]float32, error) {
	return e.Model(name).Embed(ctx, text, opts...)
}

// EmbedBatch is [Model.EmbedBatch] on the named model.
func (e *Engine) EmbedBatch(ctx context.Context, name string, texts []string, opts ...Option) (*Result, error) {
	return e.Model(name).EmbedBatch(ctx, texts, opts...)
}

// EmbedBatchTokens is [Model.EmbedBatchTokens] on the named model.
func (e *Engine) EmbedBatchTokens(ctx context.Context, name string, inputs [][]int32, opts ...Option) (*Result, error) {
	return e.Model(name).EmbedBatchTokens(ctx, inputs, opts...)
}

// EmbedTokens is [Model.EmbedTokens] on the named model.
func (e *Engine) EmbedTokens(ctx context.Context, name, text string, opts ...Option) ([][]float32, error) {
	return e.Model(name).EmbedTokens(ctx, text, opts...)
}

// Warmup is [Model.Warmup] on the named model.
func (e *Engine) Warmup(ctx context.Context, name string) error { return e.Model(name).Warmup(ctx) }

// Rerank is [Model.Rerank] on the named model.
func (e *Engine) Rerank(ctx context.Context, name, query string, docs []string, opts ...Option) (*RerankResult, error) {
	return e.Model(name).Rerank(ctx, query, docs, opts...)
}

// EmbedQuery is [Model.EmbedQuery] on the named model.
func (e *Engine) EmbedQuery(ctx context.Context, name, query string, opts ...Option) ([]float32, error) {
	return e.Model(name).EmbedQuery(ctx, query, opts...)
}

// EmbedDocuments is [Model.EmbedDocuments] on the named model.
func (e *Engine) EmbedDocuments(ctx context.Context, name string, docs []string, opts ...Option) (*Result, error) {
	return e.Model(name).EmbedDocuments(ctx, docs, opts...)
}

// EmbedChunks is [Model.EmbedChunks] on the named model.
func (e *Engine) EmbedChunks(ctx context.Context, name string, docs []string, co ChunkOptions, opts ...Option) (*ChunkResult, error) {
	return e.Model(name).EmbedChunks(ctx, docs, co, opts...)
}

// TokenizeWith is [Model.TokenizeWith] on the named model.
func (e *Engine) TokenizeWith(name, text string, o TokenizeOptions) ([]int32, error) {
	return e.Model(name).TokenizeWith(text, o)
}

// Detokenize is [Model.Detokenize] on the named model.
func (e *Engine) Detokenize(name string, tokens []int32, unparseSpecial bool) (string, error) {
	return e.Model(name).Detokenize(tokens, unparseSpecial)
}

// TokenPieces is [Model.TokenPieces] on the named model.
func (e *Engine) TokenPieces(name string, tokens []int32) ([]string, error) {
	return e.Model(name).TokenPieces(tokens)
}

// Classify is [Model.Classify] on the named model.
func (e *Engine) Classify(ctx context.Context, name string, inputs [][]string, opts ...Option) (*ClassifyResult, error) {
	return e.Model(name).Classify(ctx, inputs, opts...)
}
