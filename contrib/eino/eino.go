// Package eino adapts the embellama engine to CloudWeGo Eino: an
// [Embedder] is an embedding.Embedder, usable as a node of an Eino chain
// or graph (Chain.AppendEmbedding, Graph.AddEmbeddingNode) or by any
// indexer or retriever that takes one.
//
//	e, err := embed.Open(ctx, "model.gguf")
//	...
//	chain := compose.NewChain[[]string, [][]float64]().AppendEmbedding(eino.New(e, ""))
//
// Eino's vectors are [][]float64; the engine's float32 components are
// widened exactly. embedding.WithModel picks another model of the engine
// for one call. The adapter reports to Eino's callbacks (OnStart with the
// texts, OnEnd with the vectors and the token count, OnError).
package eino

import (
	"context"
	"fmt"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/components/embedding"

	"github.com/embellama/embellama/embed"
)

// Embedder embeds texts with one model of an engine (or the one named by
// embedding.WithModel). It is safe for concurrent use and does not own the
// engine.
type Embedder struct {
	engine *embed.Engine
	model  string
	opts   []embed.Option
}

var (
	_ embedding.Embedder = (*Embedder)(nil)
	_ components.Typer   = (*Embedder)(nil)
	_ components.Checker = (*Embedder)(nil)
)

// New returns an Embedder for the model name of e ("" for the default
// model); opts apply to every call.
func New(e *embed.Engine, model string, opts ...embed.Option) *Embedder {
	return &Embedder{engine: e, model: model, opts: opts}
}

// GetType names the component in Eino's callbacks and graphs.
func (e *Embedder) GetType() string { return "Embellama" }

// IsCallbacksEnabled tells Eino that the component calls the callbacks
// itself.
func (e *Embedder) IsCallbacksEnabled() bool { return true }

// EmbedStrings returns one vector per text, in order. A text the engine
// rejects fails the call with an error matching the engine's sentinel
// (embed.ErrEmptyInput, embed.ErrTooLong, ...).
func (e *Embedder) EmbedStrings(ctx context.Context, texts []string, opts ...embedding.Option) (out [][]float64, err error) {
	o := embedding.GetCommonOptions(&embedding.Options{Model: &e.model}, opts...)
	ctx = callbacks.EnsureRunInfo(ctx, e.GetType(), components.ComponentOfEmbedding)
	cfg := &embedding.Config{Model: *o.Model}
	ctx = callbacks.OnStart(ctx, &embedding.CallbackInput{Texts: texts, Config: cfg})
	defer func() {
		if err != nil {
			callbacks.OnError(ctx, err)
		}
	}()
	vecs, tokens, err := e.embed(ctx, *o.Model, texts)
	if err != nil {
		return nil, err
	}
	out = make([][]float64, len(vecs))
	for i, v := range vecs {
		out[i] = make([]float64, len(v))
		for j, x := range v {
			out[i][j] = float64(x)
		}
	}
	callbacks.OnEnd(ctx, &embedding.CallbackOutput{
		Embeddings: out, Config: cfg,
		TokenUsage: &embedding.TokenUsage{PromptTokens: tokens, TotalTokens: tokens},
	})
	return out, nil
}

// embed is the one place that chooses between the query and the document
// path.
//
// PROMPTS: Eino's Embedder has one method for both sides of a retrieval
// (indexers and retrievers call the same EmbedStrings), so the texts are
// embedded as they are, through EmbedBatch. When the engine gains its
// query/document calls, this is where a per-call implementation-specific
// option (embedding.WrapImplSpecificOptFn) would pick the query path.
func (e *Embedder) embed(ctx context.Context, model string, texts []string) ([][]float32, int, error) {
	if len(texts) == 0 {
		return nil, 0, nil
	}
	r, err := e.engine.EmbedBatch(ctx, model, texts, e.opts...)
	if err != nil {
		return nil, 0, fmt.Errorf("embellama: %w", err)
	}
	if err := r.Err(); err != nil {
		return nil, 0, fmt.Errorf("embellama: %w", err)
	}
	tokens := 0
	for _, n := range r.Tokens {
		tokens += n
	}
	return r.Vectors, tokens, nil
}
