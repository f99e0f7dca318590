package langchaingo_test

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tmc/langchaingo/embeddings"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/vectorstores"

	"github.com/embellama/embellama/contrib/langchaingo"
	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// memoryStore is an in-process vectorstores.VectorStore: LangChainGo
// v0.1.14 ships none that runs without a server, so the test keeps the
// vectors in a slice and ranks by cosine. Everything else (documents,
// options, the retriever, the embedder interface) is LangChainGo's.
type memoryStore struct {
	embedder embeddings.Embedder
	docs     []schema.Document
	vecs     [][]float32
}

func (s *memoryStore) AddDocuments(ctx context.Context, docs []schema.Document, opts ...vectorstores.Option) ([]string, error) {
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.PageContent
	}
	vecs, err := s.options(opts).Embedder.EmbedDocuments(ctx, texts)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(docs))
	for i := range docs {
		ids[i] = docs[i].Metadata["id"].(string)
		s.docs, s.vecs = append(s.docs, docs[i]), append(s.vecs, vecs[i])
	}
	return ids, nil
}

func (s *memoryStore) SimilaritySearch(ctx context.Context, q string, n int, opts ...vectorstores.Option) ([]schema.Document, error) {
	o := s.options(opts)
	qv, err := o.Embedder.EmbedQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []schema.Document
	for i, d := range s.docs {
		d.Score = float32(testenv.CosineOf(qv, s.vecs[i]))
		if d.Score >= o.ScoreThreshold {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out[:min(n, len(out))], nil
}

func (s *memoryStore) options(opts []vectorstores.Option) vectorstores.Options {
	o := vectorstores.Options{Embedder: s.embedder}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

var corpus = []string{
	"The lighthouse keeper lit the lamp at dusk.",
	"Copper wires carry the signal across the valley.",
	"A violet meadow hums with bees in June.",
	"Thunder rolled over the harbor all night.",
	"Quartz crystals grow slowly in the cave.",
	"The cedar forest smells of resin after rain.",
}

func TestRetrieverFindsEachDocumentFirst(t *testing.T) {
	ctx := context.Background()
	emb := langchaingo.New(testenv.Open(t, openEngine), "")
	store := &memoryStore{embedder: emb}
	docs := make([]schema.Document, len(corpus))
	for i, text := range corpus {
		docs[i] = schema.Document{PageContent: text, Metadata: map[string]any{"id": text[:8]}}
	}
	ids, err := store.AddDocuments(ctx, docs)
	require.NoError(t, err)
	require.Len(t, ids, len(corpus))

	retriever := vectorstores.ToRetriever(store, 3)
	for _, text := range corpus {
		got, err := retriever.GetRelevantDocuments(ctx, text)
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, text, got[0].PageContent, "a query equal to a document retrieves it first")
		assert.InDelta(t, 1, got[0].Score, 1e-4)
		assert.Greater(t, got[0].Score, got[1].Score)
	}
}

func TestBatchMatchesSingle(t *testing.T) {
	ctx := context.Background()
	emb := langchaingo.New(testenv.Open(t, openEngine), "")
	texts := testenv.Texts(16)
	batch, err := emb.EmbedDocuments(ctx, texts)
	require.NoError(t, err)
	require.Len(t, batch, len(texts))

	// LangChainGo's own embedder, splitting the texts into batches of 5,
	// over the adapter as its EmbedderClient.
	impl, err := embeddings.NewEmbedder(emb, embeddings.WithBatchSize(5))
	require.NoError(t, err)
	viaImpl, err := impl.EmbedDocuments(ctx, texts)
	require.NoError(t, err)
	require.Len(t, viaImpl, len(texts))

	for i, text := range texts {
		single, err := emb.EmbedQuery(ctx, text)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, testenv.CosineOf(batch[i], single), 0.9999, "text %d", i)
		assert.GreaterOrEqual(t, testenv.CosineOf(viaImpl[i], single), 0.9999, "text %d", i)
	}
}

func TestErrorsSurfaceThroughLangChainGo(t *testing.T) {
	ctx := context.Background()
	emb := langchaingo.New(testenv.Open(t, openEngine), "")
	impl, err := embeddings.NewEmbedder(emb)
	require.NoError(t, err)

	_, err = impl.EmbedQuery(ctx, "   ")
	assert.ErrorIs(t, err, embed.ErrEmptyInput)
	_, err = impl.EmbedDocuments(ctx, []string{"fine", "bad \xff utf-8"})
	assert.ErrorIs(t, err, embed.ErrInvalidUTF8)
	var inErr *embed.InputError
	require.True(t, errors.As(err, &inErr))
	assert.Equal(t, 1, inErr.Index)

	_, err = langchaingo.New(testenv.Open(t, openEngine), "no-such-model").EmbedQuery(ctx, "hi")
	assert.ErrorIs(t, err, embed.ErrUnknownModel)

	store := &memoryStore{embedder: impl}
	_, err = store.AddDocuments(ctx, []schema.Document{{PageContent: "", Metadata: map[string]any{"id": "x"}}})
	assert.ErrorIs(t, err, embed.ErrEmptyInput)

	got, err := emb.EmbedDocuments(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
