// Package chromem adapts the embellama engine to chromem-go, the
// embedded vector database: [EmbeddingFunc] is a chromem.EmbeddingFunc
// for a collection's documents, [QueryFunc] the matching function for the
// vector of Collection.QueryEmbedding.
//
//	e, err := embed.Open(ctx, "model.gguf")
//	...
//	db, err := chromem.NewPersistentDB("vectors", false)
//	c, err := db.GetOrCreateCollection("docs", nil, embellamachromem.EmbeddingFunc(e, ""))
//
// chromem-go ranks by dot product and expects unit vectors, so the
// functions always L2-normalize, whatever the engine's configured
// normalization. chromem-go embeds the documents of one AddDocuments call
// concurrently, one text per call; the engine packs concurrent calls into
// shared decodes, so a concurrency of a few times the engine's contexts
// keeps its batches full.
package chromem

import (
	"context"
	"fmt"

	chromem "github.com/philippgille/chromem-go"

	"github.com/embellama/embellama/embed"
)

// EmbeddingFunc returns a chromem.EmbeddingFunc that embeds documents with
// the model name of e ("" for the default model). opts apply to every
// call; the normalization is always L2.
func EmbeddingFunc(e *embed.Engine, model string, opts ...embed.Option) chromem.EmbeddingFunc {
	return embedFunc(e, model, document, opts)
}

// QueryFunc is [EmbeddingFunc] for search queries: pass its vector to
// Collection.QueryEmbedding. (Collection.Query embeds the query with the
// collection's own function instead.)
func QueryFunc(e *embed.Engine, model string, opts ...embed.Option) chromem.EmbeddingFunc {
	return embedFunc(e, model, query, opts)
}

// purpose says which side of a retrieval a text is on.
type purpose int

const (
	document purpose = iota
	query
)

// embedFunc is the one place that chooses between the query and the
// document path.
//
// PROMPTS: the engine does not yet apply a model's query and document
// prompts; until it does, both purposes embed the text as it is. When the
// engine gains its query/document calls, switch on p here.
func embedFunc(e *embed.Engine, model string, p purpose, opts []embed.Option) chromem.EmbeddingFunc {
	_ = p
	opts = append(append([]embed.Option(nil), opts...), embed.WithNormalization(embed.NormalizeL2))
	return func(ctx context.Context, text string) ([]float32, error) {
		v, err := e.Embed(ctx, model, text, opts...)
		if err != nil {
			return nil, fmt.Errorf("embellama: %w", err)
		}
		return v, nil
	}
}
