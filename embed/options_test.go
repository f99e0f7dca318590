package embed_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

var bg = context.Background()

func l2norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func unit(v []float32) []float32 {
	n := l2norm(v)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

func near(t *testing.T, want, got []float32, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		require.InDelta(t, want[i], got[i], tol, msgAndArgs...)
	}
}

func TestPoolingOptions(t *testing.T) {
	e := open(t, "bert-mean")
	const text = "The quick brown fox jumps over the lazy dog."
	raw, err := e.EmbedTokens(bg, "", text, embed.WithNormalization(embed.NormalizeNone))
	require.NoError(t, err)
	toks, err := e.Tokenize("", text)
	require.NoError(t, err)
	require.Len(t, raw, len(toks), "one vector per token")
	mean := make([]float32, len(raw[0]))
	for _, v := range raw {
		assert.Len(t, v, 128)
		for i, x := range v {
			mean[i] += x / float32(len(raw))
		}
	}
	tests := []struct {
		pooling embed.Pooling
		want    []float32
	}{
		{embed.PoolingDefault, unit(mean)},
		{embed.PoolingMean, unit(mean)},
		{embed.PoolingCLS, unit(raw[0])},
		{embed.PoolingLast, unit(raw[len(raw)-1])},
	}
	for _, tt := range tests {
		t.Run(tt.pooling.String(), func(t *testing.T) {
			got, err := e.Embed(bg, "", text, embed.WithPooling(tt.pooling))
			require.NoError(t, err)
			near(t, tt.want, got, 1e-5)
		})
	}
	cls, _ := e.Embed(bg, "", text, embed.WithPooling(embed.PoolingCLS))
	mn, _ := e.Embed(bg, "", text)
	assert.NotEqual(t, cls, mn, "poolings differ")
	_, err = e.Embed(bg, "", text, embed.WithPooling(embed.Pooling(9)))
	assert.ErrorIs(t, err, embed.ErrInvalidOption)
}

func TestNormalizationOptions(t *testing.T) {
	e := open(t, "bert-mean")
	raw, err := e.Embed(bg, "", "hello world", embed.WithNormalization(embed.NormalizeNone))
	require.NoError(t, err)
	assert.InEpsilon(t, 9.742006826119765, l2norm(raw), testenv.MaxRelativeNormDiff, "reference/bert-mean.json l2_norm_raw")

	sumPow := func(v []float32, p float64) float64 {
		var s float64
		for _, x := range v {
			s += math.Pow(math.Abs(float64(x)), p)
		}
		return s
	}
	maxAbs := func(v []float32) float64 {
		var m float64
		for _, x := range v {
			m = max(m, math.Abs(float64(x)))
		}
		return m
	}
	tests := []struct {
		name  string
		norm  embed.Normalization
		check func(t *testing.T, v []float32)
	}{
		{"l2", embed.NormalizeL2, func(t *testing.T, v []float32) { assert.InDelta(t, 1, l2norm(v), 1e-6) }},
		{"maxabs", embed.NormalizeMaxAbs, func(t *testing.T, v []float32) { assert.InDelta(t, 32760, maxAbs(v), 0.01) }},
		{"p1", embed.NormalizeP(1), func(t *testing.T, v []float32) { assert.InDelta(t, 1, sumPow(v, 1), 1e-5) }},
		{"p3", embed.NormalizeP(3), func(t *testing.T, v []float32) { assert.InDelta(t, 1, sumPow(v, 3), 1e-5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := e.Embed(bg, "", "hello world", embed.WithNormalization(tt.norm))
			require.NoError(t, err)
			tt.check(t, v)
			// Every normalization is a positive scaling of the raw vector.
			near(t, unit(raw), unit(v), 1e-6)
		})
	}
	_, err = e.Embed(bg, "", "x", embed.WithNormalization(embed.NormalizeP(0)))
	assert.ErrorIs(t, err, embed.ErrInvalidOption)
}

func TestDimensions(t *testing.T) {
	e := open(t, "bert-mean")
	raw, err := e.Embed(bg, "", "hello world", embed.WithNormalization(embed.NormalizeNone))
	require.NoError(t, err)
	for _, d := range []int{1, 32, 64, 128} {
		v, err := e.Embed(bg, "", "hello world", embed.WithDimensions(d))
		require.NoError(t, err)
		require.Len(t, v, d)
		assert.InDelta(t, 1, l2norm(v), 1e-6)
		near(t, unit(raw[:d]), v, 1e-6, "the first %d components, renormalized", d)
	}
	for _, d := range []int{-1, 129} {
		_, err := e.Embed(bg, "", "hello world", embed.WithDimensions(d))
		assert.ErrorIs(t, err, embed.ErrInvalidOption, "dimensions %d", d)
	}
}

func TestTruncation(t *testing.T) {
	e := open(t, "bert-mean")
	// Each "hello" and "world" is one WordPiece token; [CLS] and [SEP] are
	// kept, so 510 of the 600 words fit in the 512-token context.
	text := strings.Repeat("hello ", 300) + strings.Repeat("world ", 300)

	r, err := e.EmbedBatch(bg, "", []string{text})
	require.NoError(t, err)
	assert.ErrorIs(t, r.Errors[0], embed.ErrTooLong, "the default refuses")
	var ie *embed.InputError
	require.ErrorAs(t, r.Errors[0], &ie)
	assert.Equal(t, 602, ie.Tokens)
	assert.Equal(t, 512, ie.Limit)

	tests := []struct {
		trunc embed.Truncation
		same  string
	}{
		{embed.TruncateEnd, strings.Repeat("hello ", 300) + strings.Repeat("world ", 210)},
		{embed.TruncateStart, strings.Repeat("hello ", 210) + strings.Repeat("world ", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.trunc.String(), func(t *testing.T) {
			r, err := e.EmbedBatch(bg, "", []string{text, "short"}, embed.WithTruncation(tt.trunc))
			require.NoError(t, err)
			require.NoError(t, r.Err())
			assert.Equal(t, []bool{true, false}, r.Truncated)
			assert.Equal(t, 512, r.Tokens[0])
			want, err := e.Embed(bg, "", tt.same)
			require.NoError(t, err)
			near(t, want, r.Vectors[0], 1e-6, "equals the text cut at the token level")
		})
	}
}

func TestCache(t *testing.T) {
	e := open(t, "bert-mean", embed.Config{EngineConfig: embed.EngineConfig{CacheSize: 1 << 20}})
	a, err := e.Embed(bg, "", "hello world")
	require.NoError(t, err)
	assert.Equal(t, embed.CacheStats{Misses: 1, Entries: 1, Bytes: e.CacheStats().Bytes, Limit: 1 << 20}, e.CacheStats())
	r, err := e.EmbedBatch(bg, "", []string{"hello world", "other"})
	require.NoError(t, err)
	assert.Equal(t, 1, r.CacheHits)
	assert.Equal(t, a, r.Vectors[0], "a hit returns the identical vector")
	a[0] = 42 // callers own their vectors
	again, _ := e.Embed(bg, "", "hello world")
	assert.NotEqual(t, float32(42), again[0])
	d, _ := e.Embed(bg, "", "hello world", embed.WithDimensions(8))
	assert.Len(t, d, 8, "other options are another entry")
	st := e.CacheStats()
	assert.Equal(t, uint64(2), st.Hits)
	assert.Equal(t, uint64(3), st.Misses)
	assert.Equal(t, 3, st.Entries)
	assert.LessOrEqual(t, st.Bytes, st.Limit)
}

func TestProgress(t *testing.T) {
	// Progress updates coalesce when the waiting caller is not scheduled
	// between batches (a busy machine): one context, and a pause after
	// each batch, let it see them finish one by one.
	e := open(t, "bert-mean", embed.Config{EngineConfig: embed.EngineConfig{OnBatch: func(embed.BatchInfo) { time.Sleep(5 * time.Millisecond) }}, ModelConfig: embed.ModelConfig{BatchSize: 512, MaxSequences: 8, Contexts: 1}})
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = strings.Repeat("word ", 1+i%20)
	}
	texts[7] = "" // a failed input counts as done
	var calls [][2]int
	r, err := e.EmbedBatch(bg, "", texts, embed.WithProgress(func(done, total int) {
		calls = append(calls, [2]int{done, total})
	}))
	require.NoError(t, err)
	assert.ErrorIs(t, r.Errors[7], embed.ErrEmptyInput)
	require.NotEmpty(t, calls)
	assert.Greater(t, len(calls), 2, "several batches report progress")
	for i, c := range calls {
		assert.Equal(t, 100, c[1])
		if i > 0 {
			assert.Greater(t, c[0], calls[i-1][0], "counts only grow")
		}
	}
	assert.Equal(t, [2]int{100, 100}, calls[len(calls)-1])
}

func TestMaxQueue(t *testing.T) {
	e := open(t, "bert-mean", embed.Config{ModelConfig: embed.ModelConfig{MaxQueue: 10}})
	texts := make([]string, 11)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	_, err := e.EmbedBatch(bg, "", texts)
	assert.ErrorIs(t, err, embed.ErrOverloaded)
	r, err := e.EmbedBatch(bg, "", texts[:10])
	require.NoError(t, err)
	assert.NoError(t, r.Err())
}

func TestEmbedBatchTokens(t *testing.T) {
	e := open(t, "bert-mean")
	toks, err := e.Tokenize("", "hello world")
	require.NoError(t, err)
	want, err := e.Embed(bg, "", "hello world")
	require.NoError(t, err)

	long := make([]int32, 600)
	for i := range long {
		long[i] = 7592 // "hello"
	}
	r, err := e.EmbedBatchTokens(bg, "", [][]int32{toks, {}, {101, 40000}, long})
	require.NoError(t, err)
	near(t, want, r.Vectors[0], 1e-6, "token ids give the text's vector")
	assert.ErrorIs(t, r.Errors[1], embed.ErrEmptyInput)
	assert.ErrorIs(t, r.Errors[2], embed.ErrInvalidToken)
	assert.ErrorIs(t, r.Errors[3], embed.ErrTooLong)

	r, err = e.EmbedBatchTokens(bg, "", [][]int32{long}, embed.WithTruncation(embed.TruncateEnd))
	require.NoError(t, err)
	require.NoError(t, r.Err())
	assert.True(t, r.Truncated[0])
	assert.Equal(t, 512, r.Tokens[0])
}

func TestStatsAndOnBatch(t *testing.T) {
	var mu sync.Mutex
	var infos []embed.BatchInfo
	e := open(t, "bert-mean", embed.Config{EngineConfig: embed.EngineConfig{OnBatch: func(b embed.BatchInfo) {
		mu.Lock()
		infos = append(infos, b)
		mu.Unlock()
	}}, ModelConfig: embed.ModelConfig{BatchSize: 512}})
	texts := make([]string, 50)
	for i := range texts {
		texts[i] = fmt.Sprintf("%d %s", i, strings.Repeat("word ", 19)) // 22 tokens with [CLS] and [SEP]
	}
	_, err := e.EmbedBatch(bg, "", texts)
	require.NoError(t, err)
	st, err := e.Stats("")
	require.NoError(t, err)
	assert.Zero(t, st.Queued)
	assert.Equal(t, uint64(50), st.Sequences)
	assert.Equal(t, uint64(50*22), st.Tokens)
	// OnBatch runs after each batch's results are delivered: wait for the
	// last report.
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(infos) == int(st.Batches)
	}, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, len(infos), 3, "1100 tokens need at least 3 batches of 512")
	for _, b := range infos {
		assert.Equal(t, "default", b.Model)
		assert.LessOrEqual(t, b.Tokens, b.Budget)
		assert.NoError(t, b.Err)
	}
}

// TestLongestInputDoesNotShrink checks a trap of peer engines: the
// longest text accepted alone is still accepted in a wide batch.
func TestLongestInputDoesNotShrink(t *testing.T) {
	e := open(t, "bert-mean")
	long := strings.Repeat("hello ", 510) // 512 tokens with [CLS] and [SEP]
	texts := []string{long}
	for i := range 200 {
		texts = append(texts, fmt.Sprintf("short text %d", i))
	}
	texts = append(texts, long)
	r, err := e.EmbedBatch(bg, "", texts)
	require.NoError(t, err)
	require.NoError(t, r.Err())
	assert.Equal(t, 512, r.Tokens[0])
	alone, err := e.Embed(bg, "", long)
	require.NoError(t, err)
	near(t, alone, r.Vectors[0], 1e-6)
	near(t, alone, r.Vectors[len(texts)-1], 1e-6)
}

// TestRepeatedTexts: a text repeated in one call is evaluated once, and
// every copy gets its own vector (or its own error).
func TestRepeatedTexts(t *testing.T) {
	e := open(t, "bert-mean")
	before, _ := e.Stats("")
	r, err := e.EmbedBatch(bg, "", []string{"same text", "other", "same text", "", "same text", ""})
	require.NoError(t, err)
	after, _ := e.Stats("")
	assert.Equal(t, uint64(2), after.Sequences-before.Sequences, "two distinct valid texts evaluated")
	assert.Equal(t, r.Vectors[0], r.Vectors[2])
	assert.Equal(t, r.Vectors[0], r.Vectors[4])
	r.Vectors[2][0] = 42
	assert.NotEqual(t, r.Vectors[0][0], r.Vectors[2][0], "copies do not share memory")
	for _, i := range []int{3, 5} {
		var ie *embed.InputError
		require.ErrorAs(t, r.Errors[i], &ie)
		assert.Equal(t, i, ie.Index)
		assert.ErrorIs(t, r.Errors[i], embed.ErrEmptyInput)
	}
}
