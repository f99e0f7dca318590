// Package genkit is a Genkit for Go plugin that serves the embellama
// engine's models as Genkit embedders, named "embellama/<model>" (the
// engine's default model is "embellama/default").
//
//	e, err := embed.Open(ctx, "model.gguf")
//	...
//	g := genkit.Init(ctx, genkit.WithPlugins(&embgenkit.Plugin{Engine: e}))
//	res, err := genkit.Embed(ctx, g, ai.WithEmbedderName("embellama/default"), ai.WithTextDocs("hello"))
//
// Each document of a request is embedded from its text parts, joined; the
// documents of one request go to the engine in one EmbedBatch call. A
// document the engine rejects fails the request with an error that
// matches the engine's sentinel (errors.Is(err, embed.ErrEmptyInput), ...).
package genkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/core/api"

	"github.com/embellama/embellama/embed"
)

// Provider is the namespace of the plugin's embedders.
const Provider = "embellama"

// ErrNonText reports a document with a part that is not text (an image,
// a tool call, ...): the engine embeds text only.
var ErrNonText = errors.New("embellama: genkit document part is not text")

// Plugin registers one Genkit embedder per model of Engine. The engine is
// the caller's: the plugin never closes it.
type Plugin struct {
	// Engine embeds; required.
	Engine *embed.Engine
	// Models are the engine's models to register. Default: all of them.
	Models []string
	// Options apply to every call (embed.WithDimensions, ...).
	Options []embed.Option
}

// Name implements api.Plugin.
func (p *Plugin) Name() string { return Provider }

// Init implements api.Plugin: it returns the embedders, which Genkit
// registers. Init has no error result, so without an Engine it logs the
// mistake (slog's default logger) and registers nothing: looking the
// embedders up then finds none.
func (p *Plugin) Init(ctx context.Context) []api.Action {
	if p.Engine == nil {
		slog.ErrorContext(ctx, "embellama genkit plugin: Engine is required; no embedders registered")
		return nil
	}
	models := p.Models
	if len(models) == 0 {
		models = p.Engine.Models()
	}
	var actions []api.Action
	for _, m := range models {
		opts := &ai.EmbedderOptions{Label: "embellama " + m, Supports: &ai.EmbedderSupports{Input: []string{"text"}}}
		if info, err := p.Engine.ModelInfo(m); err == nil {
			opts.Dimensions = info.Dim
		}
		if a, ok := ai.NewEmbedder(api.NewName(Provider, m), opts, p.embedFunc(m)).(api.Action); ok {
			actions = append(actions, a)
		}
	}
	return actions
}

// EmbedderName returns the Genkit name of the engine model's embedder,
// for ai.WithEmbedderName or genkit.LookupEmbedder.
func EmbedderName(model string) string { return api.NewName(Provider, model) }

func (p *Plugin) embedFunc(model string) ai.EmbedderFunc {
	return func(ctx context.Context, req *ai.EmbedRequest) (*ai.EmbedResponse, error) {
		texts := make([]string, len(req.Input))
		for i, doc := range req.Input {
			var b strings.Builder
			for _, part := range doc.Content {
				if !part.IsText() {
					return nil, fmt.Errorf("%w: document %d has a part of kind %d", ErrNonText, i, part.Kind)
				}
				b.WriteString(part.Text)
			}
			texts[i] = b.String()
		}
		vecs, err := p.embed(ctx, model, req, texts)
		if err != nil {
			return nil, err
		}
		res := &ai.EmbedResponse{Embeddings: make([]*ai.Embedding, len(vecs))}
		for i, v := range vecs {
			res.Embeddings[i] = &ai.Embedding{Embedding: v}
		}
		return res, nil
	}
}

// embed is the one place that chooses between the query and the document
// path.
//
// PROMPTS: Genkit indexers and retrievers send both sides of a retrieval
// as the same EmbedRequest (a retriever's query is one document), so the
// texts are embedded as they are, through EmbedBatch. When the engine
// gains its query/document calls, req.Options (the embedder's config,
// set with ai.WithConfig) is where a caller would ask for the query path.
func (p *Plugin) embed(ctx context.Context, model string, req *ai.EmbedRequest, texts []string) ([][]float32, error) {
	_ = req
	if len(texts) == 0 {
		return nil, nil
	}
	r, err := p.Engine.EmbedBatch(ctx, model, texts, p.Options...)
	if err != nil {
		return nil, fmt.Errorf("embellama: %w", err)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("embellama: %w", err)
	}
	return r.Vectors, nil
}
