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

var _ Engine = (*embed.Engine)(nil)
