package embedbeam

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestOneEnginePerWorker checks that the DoFn instances of a process
// share one engine, closed after the last Teardown.
func TestOneEnginePerWorker(t *testing.T) {
	ctx := context.Background()
	model := testenv.Model(t, testenv.DefaultModel)
	cfg := Config{ModelPath: model, Library: testenv.Library(t), Backend: "cpu"}
	a, b := &EmbedFn{Config: cfg}, &EmbedFn{Config: cfg}
	require.NoError(t, a.Setup(ctx))
	require.NoError(t, b.Setup(ctx))
	assert.Same(t, a.engine, b.engine)
	e := a.engine
	require.NoError(t, a.Teardown())
	_, err := e.Embed(ctx, "", "still open")
	require.NoError(t, err, "b still holds the engine")
	require.NoError(t, b.Teardown())
	_, err = e.Embed(ctx, "", "closed")
	assert.ErrorIs(t, err, embed.ErrClosed)

	bad := &EmbedFn{Config: Config{ModelPath: model, Backend: "no-such-backend"}}
	assert.Error(t, bad.Setup(ctx))
}
