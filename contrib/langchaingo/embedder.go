// Package langchaingo adapts the embellama engine to LangChainGo: an
// [Embedder] is both an embeddings.Embedder (EmbedDocuments, EmbedQuery)
// and an embeddings.EmbedderClient (CreateEmbedding), so it plugs into
// any LangChainGo vector store, retriever or embeddings.NewEmbedder.
//
//	e, err := embed.Open(ctx, "model.gguf")
//	...
//	emb := langchaingo.New(e, "")          // "" is the engine's default model
//	store, err := pgvector.New(ctx, pgvector.WithEmbedder(emb), ...)
//
// Texts are embedded in one EmbedBatch call per LangChainGo call, so the
// engine packs them into as few decodes as it can. A text the engine
// rejects fails the call with an error that matches the engine's
// sentinel (errors.Is(err, embed.ErrEmptyInput), embed.ErrTooLong, ...).
package langchaingo

import (
	"context"
	"fmt"

	"github.com/tmc/langchaingo/embeddings"

	"github.com/embellama/embellama/embed"
)

// Embedder embeds texts with one model of an engine. It is safe for
// concurrent use; it does not own the engine (close the engine yourself).
type Embedder struct {
	engine *embed.Engine
	model  string
	opts   []embed.Option
}

var (
	_ embeddings.Embedder       = (*Embedder)(nil)
	_ embeddings.EmbedderClient = (*Embedder)(nil)
)

// New returns an Embedder for the model name of e ("" for the default
// model); opts apply to every call (embed.WithDimensions, ...).
func New(e *embed.Engine, model string, opts ...embed.Option) *Embedder {
	return &Embedder{engine: e, model: model, opts: opts}
}

// EmbedDocuments returns one vector per text, in order: the document side
// of a retrieval.
func (e *Embedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	return e.embed(ctx, document, texts)
}

// EmbedQuery returns the vector of a search query.
func (e *Embedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	v, err := e.embed(ctx, query, []string{text})
	if err != nil {
		return nil, err
	}
	return v[0], nil
}

// CreateEmbedding implements embeddings.EmbedderClient, for
// embeddings.NewEmbedder: the texts are embedded as documents.
func (e *Embedder) CreateEmbedding(ctx context.Context, texts []string) ([][]float32, error) {
	return e.embed(ctx, document, texts)
}

// purpose says which side of a retrieval a text is on.
type purpose int

const (
	document purpose = iota
	query
)

// embed is the one place that chooses between the query and the document
// path.
//
// PROMPTS: the engine does not yet apply a model's query and document
// prompts; until it does, both purposes embed the text as it is, through
// EmbedBatch. When the engine gains its query/document calls, switch on p
// here (query: the query call, document: the document call) and nothing
// else in this package changes.
func (e *Embedder) embed(ctx context.Context, p purpose, texts []string) ([][]float32, error) {
	_ = p
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	r, err := e.engine.EmbedBatch(ctx, e.model, texts, e.opts...)
	if err != nil {
		return nil, fmt.Errorf("embellama: %w", err)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("embellama: %w", err)
	}
	return r.Vectors, nil
}
