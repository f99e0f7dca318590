package chromem_test

import (
	"context"
	"math"
	"strconv"
	"testing"

	chromem "github.com/philippgille/chromem-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	embchromem "github.com/embellama/embellama/contrib/chromem"
	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// engineNoNorm opens an engine configured not to normalize, to check the
// adapter normalizes anyway.
func engineNoNorm(t *testing.T) *embed.Engine {
	return testenv.Open(t, func(library, model string) (*embed.Engine, error) {
		return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library},
			ModelConfig: embed.ModelConfig{ModelPath: model, Normalize: embed.NormalizeNone}})
	})
}

func TestPersistentDBAddReopenQuery(t *testing.T) {
	ctx := context.Background()
	e := engineNoNorm(t)
	fn := embchromem.EmbeddingFunc(e, "")
	dir := t.TempDir()
	texts := testenv.Texts(12)

	db, err := chromem.NewPersistentDB(dir, false)
	require.NoError(t, err)
	c, err := db.CreateCollection("docs", nil, fn)
	require.NoError(t, err)
	docs := make([]chromem.Document, len(texts))
	for i, text := range texts {
		docs[i] = chromem.Document{ID: "doc" + strconv.Itoa(i), Content: text}
	}
	require.NoError(t, c.AddDocuments(ctx, docs, 4))
	require.Equal(t, len(texts), c.Count())

	// Reopen from disk: the vectors come back from the files, not the engine.
	db2, err := chromem.NewPersistentDB(dir, false)
	require.NoError(t, err)
	c2 := db2.GetCollection("docs", fn)
	require.NotNil(t, c2)
	require.Equal(t, len(texts), c2.Count())

	batch, err := e.EmbedBatch(ctx, "", texts)
	require.NoError(t, err)
	require.NoError(t, batch.Err())
	qfn := embchromem.QueryFunc(e, "")
	for i, text := range texts {
		stored, err := c2.GetByID(ctx, "doc"+strconv.Itoa(i))
		require.NoError(t, err)
		assert.InDelta(t, 1, norm(stored.Embedding), 1e-5, "chromem-go needs unit vectors")
		assert.GreaterOrEqual(t, testenv.CosineOf(stored.Embedding, batch.Vectors[i]), 0.9999, "one at a time vs EmbedBatch, doc %d", i)

		res, err := c2.Query(ctx, text, 3, nil, nil)
		require.NoError(t, err)
		require.Len(t, res, 3)
		assert.Equal(t, "doc"+strconv.Itoa(i), res[0].ID, "a query equal to a document retrieves it first")
		assert.InDelta(t, 1, res[0].Similarity, 1e-4)

		qv, err := qfn(ctx, text)
		require.NoError(t, err)
		res, err = c2.QueryEmbedding(ctx, qv, 1, nil, nil)
		require.NoError(t, err)
		assert.Equal(t, "doc"+strconv.Itoa(i), res[0].ID)
	}
}

func TestErrorsSurfaceThroughChromem(t *testing.T) {
	ctx := context.Background()
	e := testenv.Open(t, openEngine)
	db := chromem.NewDB()
	c, err := db.CreateCollection("docs", nil, embchromem.EmbeddingFunc(e, ""))
	require.NoError(t, err)

	err = c.AddDocuments(ctx, []chromem.Document{{ID: "a", Content: "fine"}, {ID: "b", Content: "bad \xff"}}, 2)
	assert.ErrorIs(t, err, embed.ErrInvalidUTF8)
	err = c.AddDocument(ctx, chromem.Document{ID: "c", Content: "nul\x00byte"})
	assert.ErrorIs(t, err, embed.ErrNULByte)

	require.NoError(t, c.AddDocument(ctx, chromem.Document{ID: "d", Content: "fine"}))
	_, err = c.Query(ctx, "\xfe\xff", 1, nil, nil)
	assert.ErrorIs(t, err, embed.ErrInvalidUTF8)

	_, err = embchromem.EmbeddingFunc(e, "missing")(ctx, "hi")
	assert.ErrorIs(t, err, embed.ErrUnknownModel)
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
