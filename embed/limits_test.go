package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// TestCallLimits checks the per-call limits: each is refused with its
// typed error before anything is queued, and an input over WithMaxTokens
// fails alone.
func TestCallLimits(t *testing.T) {
	e := open(t, "bert-mean", embed.Config{ModelConfig: embed.ModelConfig{Threads: 1}})
	m := e.Model("")
	long := strings.Repeat("word ", 40)
	n, err := m.CountTokens(long)
	require.NoError(t, err)
	require.Greater(t, n, 20)

	_, err = m.EmbedBatch(bg, []string{"a", "b", "c"}, embed.WithMaxInputs(2))
	require.ErrorIs(t, err, embed.ErrTooManyInputs)
	before, err := m.Stats()
	require.NoError(t, err)

	r, err := m.EmbedBatch(bg, []string{"short text", long}, embed.WithMaxTokens(20))
	require.NoError(t, err)
	assert.NoError(t, r.Errors[0])
	require.ErrorIs(t, r.Errors[1], embed.ErrTooLong)
	var ie *embed.InputError
	require.ErrorAs(t, r.Errors[1], &ie)
	assert.Equal(t, 20, ie.Limit)
	assert.Equal(t, n, ie.Tokens)

	r, err = m.EmbedBatch(bg, []string{long}, embed.WithMaxTokens(20), embed.WithTruncation(embed.TruncateEnd))
	require.NoError(t, err)
	require.NoError(t, r.Err())
	assert.Equal(t, 20, r.Tokens[0], "truncated to the call's limit")
	assert.True(t, r.Truncated[0])

	_, err = m.EmbedBatch(bg, []string{long, long}, embed.WithMaxTotalTokens(n+1))
	require.ErrorIs(t, err, embed.ErrTooManyTokens)
	_, err = m.EmbedBatchTokens(bg, [][]int32{{101, 102}, {101, 7, 102}}, embed.WithMaxTotalTokens(4))
	require.ErrorIs(t, err, embed.ErrTooManyTokens)
	r, err = m.EmbedBatchTokens(bg, [][]int32{{101, 7, 7, 102}}, embed.WithMaxTokens(3))
	require.NoError(t, err)
	require.ErrorIs(t, r.Errors[0], embed.ErrTooLong)

	after, err := m.Stats()
	require.NoError(t, err)
	assert.Equal(t, before.Sequences+2, after.Sequences, "only the accepted texts were evaluated")

	for _, o := range []embed.Option{embed.WithMaxInputs(-1), embed.WithMaxTokens(-1), embed.WithMaxTotalTokens(-1)} {
		_, err = m.Embed(bg, "a", o)
		assert.ErrorIs(t, err, embed.ErrInvalidOption)
	}
}

// TestModelHandle checks that a handle and the engine-level calls agree,
// and that a handle follows its name across unload and load.
func TestModelHandle(t *testing.T) {
	e := open(t, "bert-mean", embed.Config{ModelConfig: embed.ModelConfig{Threads: 1}})
	ctx := context.Background()
	h := e.Model(embed.DefaultModelName)
	assert.Equal(t, embed.DefaultModelName, h.Name())
	v1, err := h.Embed(ctx, "hello world")
	require.NoError(t, err)
	v2, err := e.Embed(ctx, "", "hello world")
	require.NoError(t, err)
	assert.Equal(t, v1, v2, "same process, same text: the same vector")
	info, err := h.Info()
	require.NoError(t, err)
	einfo, err := e.ModelInfo("")
	require.NoError(t, err)
	assert.Equal(t, einfo, info)
	toks, err := h.EmbedTokens(ctx, "hello world")
	require.NoError(t, err)
	n, err := h.CountTokens("hello world")
	require.NoError(t, err)
	assert.Len(t, toks, n)
	for _, tv := range toks {
		assert.Len(t, tv, info.Dim)
	}

	path := info.Path
	require.NoError(t, e.UnloadModel(embed.DefaultModelName))
	_, err = h.Embed(ctx, "hello world")
	require.ErrorIs(t, err, embed.ErrUnknownModel)
	require.NoError(t, e.LoadModel(ctx, embed.DefaultModelName, embed.ModelConfig{ModelPath: path, Threads: 1}))
	v3, err := h.Embed(ctx, "hello world")
	require.NoError(t, err)
	assert.Equal(t, v1, v3)
}
