package genkit_test

import (
	"context"
	"testing"

	"github.com/firebase/genkit/go/ai"
	"github.com/firebase/genkit/go/genkit"
	"github.com/firebase/genkit/go/plugins/localvec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	embgenkit "github.com/embellama/embellama/contrib/genkit"
	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func initGenkit(t *testing.T) (*genkit.Genkit, *embed.Engine) {
	e := testenv.Open(t, openEngine)
	return genkit.Init(context.Background(), genkit.WithPlugins(&embgenkit.Plugin{Engine: e})), e
}

func TestGenkitEmbedMatchesEngine(t *testing.T) {
	ctx := context.Background()
	g, e := initGenkit(t)
	emb := genkit.LookupEmbedder(g, embgenkit.EmbedderName("default"))
	require.NotNil(t, emb, "the plugin registered the default model")

	texts := testenv.Texts(8)
	res, err := genkit.Embed(ctx, g, ai.WithEmbedderName("embellama/default"), ai.WithTextDocs(texts...))
	require.NoError(t, err)
	require.Len(t, res.Embeddings, len(texts))
	info, err := e.ModelInfo("")
	require.NoError(t, err)
	for i, text := range texts {
		require.Len(t, res.Embeddings[i].Embedding, info.Dim)
		single, err := e.Embed(ctx, "", text)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, testenv.CosineOf(res.Embeddings[i].Embedding, single), 0.9999, "batch vs single, text %d", i)
	}

	// A document of several text parts is embedded as their concatenation.
	doc := &ai.Document{Content: []*ai.Part{ai.NewTextPart("hello "), ai.NewTextPart("world")}}
	res, err = genkit.Embed(ctx, g, ai.WithEmbedder(emb), ai.WithDocs(doc))
	require.NoError(t, err)
	whole, err := e.Embed(ctx, "", "hello world")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, testenv.CosineOf(res.Embeddings[0].Embedding, whole), 0.9999)
}

func TestLocalVectorStoreRetrievesEachDocumentFirst(t *testing.T) {
	ctx := context.Background()
	g, _ := initGenkit(t)
	store, retriever, err := localvec.DefineRetriever(g, "docs", localvec.Config{
		Dir: t.TempDir(), Embedder: genkit.LookupEmbedder(g, embgenkit.EmbedderName("default")),
	}, nil)
	require.NoError(t, err)
	texts := testenv.Texts(8)
	docs := make([]*ai.Document, len(texts))
	for i, text := range texts {
		docs[i] = ai.DocumentFromText(text, map[string]any{"n": i})
	}
	require.NoError(t, localvec.Index(ctx, docs, store))

	for _, text := range texts {
		res, err := genkit.Retrieve(ctx, g, ai.WithRetriever(retriever), ai.WithTextDocs(text),
			ai.WithConfig(&localvec.RetrieverOptions{K: 3}))
		require.NoError(t, err)
		require.Len(t, res.Documents, 3)
		assert.Equal(t, text, res.Documents[0].Content[0].Text, "a query equal to a document retrieves it first")
	}
}

func TestErrorsSurfaceThroughGenkit(t *testing.T) {
	ctx := context.Background()
	g, _ := initGenkit(t)
	_, err := genkit.Embed(ctx, g, ai.WithEmbedderName("embellama/default"), ai.WithTextDocs("fine", "  "))
	assert.ErrorIs(t, err, embed.ErrEmptyInput)

	img := &ai.Document{Content: []*ai.Part{ai.NewMediaPart("image/png", "data:image/png;base64,AAAA")}}
	_, err = genkit.Embed(ctx, g, ai.WithEmbedderName("embellama/default"), ai.WithDocs(img))
	assert.ErrorIs(t, err, embgenkit.ErrNonText)

	_, err = genkit.Embed(ctx, g, ai.WithEmbedderName("embellama/missing"), ai.WithTextDocs("hi"))
	assert.Error(t, err, "no such embedder in the registry")

	// A plugin restricted to a model the engine lacks registers an
	// embedder whose calls fail with the engine's error.
	e := testenv.Open(t, openEngine)
	g2 := genkit.Init(ctx, genkit.WithPlugins(&embgenkit.Plugin{Engine: e, Models: []string{"other"}}))
	_, err = genkit.Embed(ctx, g2, ai.WithEmbedderName("embellama/other"), ai.WithTextDocs("hi"))
	assert.ErrorIs(t, err, embed.ErrUnknownModel)

	// A plugin without an engine registers nothing instead of panicking.
	g3 := genkit.Init(ctx, genkit.WithPlugins(&embgenkit.Plugin{}))
	assert.Nil(t, genkit.LookupEmbedder(g3, embgenkit.EmbedderName("default")))
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
