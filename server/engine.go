package server

import (
	"context"

	"github.com/embellama/embellama/embed"
)

// Engine is what the server uses of an engine; [*embed.Engine] is one.
// Tests give the server a fake to pin its status mapping without a
// model. New routes that need more of the engine assert for it on the
// value they are given, so that this interface stays small.
type Engine interface {
	// Models returns the names of the loaded models.
	Models() []string
	// ModelInfo describes a loaded model.
	ModelInfo(name string) (embed.ModelInfo, error)
	// Stats reports a model's queue (for the queue-depth metric).
	Stats(name string) (embed.Stats, error)
	// EmbedBatch embeds texts.
	EmbedBatch(ctx context.Context, name string, texts []string, opts ...embed.Option) (*embed.Result, error)
	// EmbedBatchTokens embeds inputs given as token ids.
	EmbedBatchTokens(ctx context.Context, name string, inputs [][]int32, opts ...embed.Option) (*embed.Result, error)
}

// batchSource is the optional part of an [Engine] that lets the server
// attach its batch metrics after the engine was built.
type batchSource interface {
	ObserveBatches(f func(embed.BatchInfo)) (remove func())
}

// Retriever is the optional part of an [Engine] that the reranking,
// tokenizer and chunking routes use; [*embed.Engine] is one. An engine
// without it answers those routes with 501.
type Retriever interface {
	// Rerank scores documents against a query.
	Rerank(ctx context.Context, name, query string, docs []string, opts ...embed.Option) (*embed.RerankResult, error)
	// EmbedChunks embeds documents in chunks.
	EmbedChunks(ctx context.Context, name string, docs []string, co embed.ChunkOptions, opts ...embed.Option) (*embed.ChunkResult, error)
	// TokenizeWith tokenizes a text.
	TokenizeWith(name, text string, o embed.TokenizeOptions) ([]int32, error)
	// TokenPieces returns the text of each token.
	TokenPieces(name string, tokens []int32) ([]string, error)
	// Detokenize turns tokens back into text.
	Detokenize(name string, tokens []int32, special bool) (string, error)
}

var (
	_ Engine    = (*embed.Engine)(nil)
	_ Retriever = (*embed.Engine)(nil)
)
