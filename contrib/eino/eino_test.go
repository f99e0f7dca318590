package eino_test

import (
	"context"
	"testing"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/components/embedding"
	"github.com/cloudwego/eino/compose"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/contrib/eino"
	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// chain compiles the smallest Eino program around the adapter: a chain
// whose only node is the embedder.
func chain(t *testing.T, e *eino.Embedder) compose.Runnable[[]string, [][]float64] {
	r, err := compose.NewChain[[]string, [][]float64]().AppendEmbedding(e).Compile(context.Background())
	require.NoError(t, err)
	return r
}

func TestChainEmbedsLikeTheEngine(t *testing.T) {
	ctx := context.Background()
	engine := testenv.Open(t, openEngine)
	r := chain(t, eino.New(engine, ""))
	texts := testenv.Texts(16)

	var started []string
	var ended *embedding.CallbackOutput
	h := callbacks.NewHandlerBuilder().
		OnStartFn(func(ctx context.Context, info *callbacks.RunInfo, in callbacks.CallbackInput) context.Context {
			if info.Component == components.ComponentOfEmbedding {
				started = embedding.ConvCallbackInput(in).Texts
			}
			return ctx
		}).
		OnEndFn(func(ctx context.Context, info *callbacks.RunInfo, out callbacks.CallbackOutput) context.Context {
			if info.Component == components.ComponentOfEmbedding {
				ended = embedding.ConvCallbackOutput(out)
			}
			return ctx
		}).Build()

	got, err := r.Invoke(ctx, texts, compose.WithCallbacks(h))
	require.NoError(t, err)
	require.Len(t, got, len(texts))
	assert.Equal(t, texts, started)
	require.NotNil(t, ended)
	assert.Len(t, ended.Embeddings, len(texts))
	require.NotNil(t, ended.TokenUsage)
	assert.Positive(t, ended.TokenUsage.PromptTokens)

	for i, text := range texts {
		single, err := engine.Embed(ctx, "", text)
		require.NoError(t, err)
		v := make([]float32, len(got[i]))
		for j, x := range got[i] {
			v[j] = float32(x)
		}
		assert.GreaterOrEqual(t, testenv.CosineOf(v, single), 0.9999, "batch vs single, text %d", i)

		// A query equal to a document ranks that document first.
		q, err := r.Invoke(ctx, []string{text})
		require.NoError(t, err)
		best, bestSim := -1, -2.0
		for j := range got {
			if s := testenv.CosineOf(q[0], got[j]); s > bestSim {
				best, bestSim = j, s
			}
		}
		assert.Equal(t, i, best)
	}
}

func TestErrorsSurfaceThroughEino(t *testing.T) {
	ctx := context.Background()
	r := chain(t, eino.New(testenv.Open(t, openEngine), ""))

	var failed error
	h := callbacks.NewHandlerBuilder().OnErrorFn(func(ctx context.Context, info *callbacks.RunInfo, err error) context.Context {
		if info.Component == components.ComponentOfEmbedding {
			failed = err
		}
		return ctx
	}).Build()
	_, err := r.Invoke(ctx, []string{"fine", " "}, compose.WithCallbacks(h))
	assert.ErrorIs(t, err, embed.ErrEmptyInput)
	assert.ErrorIs(t, failed, embed.ErrEmptyInput, "OnError saw the engine's error")

	_, err = r.Invoke(ctx, []string{"hi"}, compose.WithEmbeddingOption(embedding.WithModel("no-such-model")))
	assert.ErrorIs(t, err, embed.ErrUnknownModel)

	got, err := r.Invoke(ctx, []string{"hi"}, compose.WithEmbeddingOption(embedding.WithModel("default")))
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
