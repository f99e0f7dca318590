package embed_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func TestRegistry(t *testing.T) {
	e := newEngine(t, embed.Config{})
	assert.Empty(t, e.Models())
	_, err := e.Embed(bg, "", "x")
	assert.ErrorIs(t, err, embed.ErrUnknownModel)

	bert, qwen := testenv.Model(t, "bert-mean.gguf"), testenv.Model(t, "qwen3-last.gguf")
	require.NoError(t, e.LoadModel(bg, "a", embed.ModelConfig{ModelPath: bert, Threads: 2}))
	require.NoError(t, e.LoadModel(bg, "b", embed.ModelConfig{ModelPath: qwen, ContextSize: 1024}))
	assert.ErrorIs(t, e.LoadModel(bg, "a", embed.ModelConfig{ModelPath: qwen}), embed.ErrModelExists)
	assert.Equal(t, []string{"a", "b"}, e.Models())

	ia, err := e.ModelInfo("a")
	require.NoError(t, err)
	assert.Equal(t, embed.ModelInfo{
		Name: "a", Path: bert, Architecture: "bert", Dim: 128, ContextSize: 512, TrainedContext: 512,
		Pooling: embed.PoolingMean, DeclaredPooling: "mean", IsEmbeddingModel: true, Causal: false,
		FileType: "F16", Parameters: ia.Parameters, FileSize: 9112288, VocabSize: 30522, Tokenizer: "bert",
		AddBOS: true, AddEOS: false, AddSEP: true, BatchSize: 512, BatchTarget: 128, MaxSequences: 128, Threads: 2, Contexts: 2,
		HeadSize: 32, EstimatedMemory: ia.EstimatedMemory, ContextMemory: ia.ContextMemory, UBatchSize: 512, Kind: embed.KindEmbedding,
	}, ia)
	assert.Greater(t, ia.Parameters, uint64(4_000_000))
	assert.Greater(t, ia.EstimatedMemory, ia.FileSize)
	ib, err := e.ModelInfo("b")
	require.NoError(t, err)
	assert.Equal(t, "qwen3", ib.Architecture)
	assert.Equal(t, 64, ib.Dim)
	assert.Equal(t, 1024, ib.ContextSize)
	assert.Equal(t, 32768, ib.TrainedContext)
	assert.Equal(t, embed.PoolingLast, ib.Pooling)
	assert.True(t, ib.Causal)
	assert.False(t, ib.AddBOS)
	assert.True(t, ib.AddEOS, "Qwen3-Embedding style: EOS appended")
	assert.Equal(t, 151936, ib.VocabSize)

	_, err = e.Embed(bg, "", "x")
	assert.ErrorIs(t, err, embed.ErrUnknownModel, "two models and none named")
	va, err := e.Embed(bg, "a", "hello world")
	require.NoError(t, err)
	assert.Len(t, va, 128)
	vb, err := e.Embed(bg, "b", "hello world")
	require.NoError(t, err)
	assert.Len(t, vb, 64)
	n, err := e.CountTokens("b", "hello world")
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	require.NoError(t, e.Warmup(bg, "a"))
	require.NoError(t, e.UnloadModel("a"))
	assert.ErrorIs(t, e.UnloadModel("a"), embed.ErrUnknownModel)
	_, err = e.Embed(bg, "a", "hello world")
	assert.ErrorIs(t, err, embed.ErrUnknownModel)
	_, err = e.ModelInfo("a")
	assert.ErrorIs(t, err, embed.ErrUnknownModel)
	again, err := e.Embed(bg, "", "hello world")
	require.NoError(t, err, "with one model left, it is the default")
	assert.Equal(t, vb, again)

	require.NoError(t, e.LoadModel(bg, "a", embed.ModelConfig{ModelPath: bert, Threads: 2}))
	va2, err := e.Embed(bg, "a", "hello world")
	require.NoError(t, err)
	assert.Equal(t, va, va2, "a reloaded model gives the same vector")
}

// TestConcurrentUse hammers shared models from 32 goroutines mixing
// Embed, EmbedBatch, LoadModel, UnloadModel and canceled calls; every
// vector returned is checked against the single-call vector of its text,
// and no goroutine is left behind.
func TestConcurrentUse(t *testing.T) {
	e := newEngine(t, embed.Config{})
	bert, qwen := testenv.Model(t, "bert-mean.gguf"), testenv.Model(t, "qwen3-last.gguf")
	require.NoError(t, e.LoadModel(bg, "bert", embed.ModelConfig{ModelPath: bert, Contexts: 2}))
	require.NoError(t, e.LoadModel(bg, "qwen", embed.ModelConfig{ModelPath: qwen, ContextSize: 512}))

	texts := make([]string, 40)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d: %s", i, strings.Repeat("lorem ipsum ", i%7+1))
	}
	want := map[string][][]float32{}
	for _, m := range []string{"bert", "qwen"} {
		for _, text := range texts {
			v, err := e.Embed(bg, m, text)
			require.NoError(t, err)
			want[m] = append(want[m], v)
		}
	}
	goroutines := runtime.NumGoroutine()

	var wg sync.WaitGroup
	var failures sync.Map
	fail := func(format string, args ...any) { failures.Store(fmt.Sprintf(format, args...), true) }
	for g := range 32 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 12 {
				m := []string{"bert", "qwen", "churn"}[r.IntN(3)]
				switch op := r.IntN(10); {
				case op == 0 && g%4 == 0:
					err := e.LoadModel(bg, "churn", embed.ModelConfig{ModelPath: bert})
					if err != nil && !errors.Is(err, embed.ErrModelExists) {
						fail("load: %v", err)
					}
				case op == 1 && g%4 == 1:
					if err := e.UnloadModel("churn"); err != nil && !errors.Is(err, embed.ErrUnknownModel) {
						fail("unload: %v", err)
					}
				case op == 2:
					ctx, cancel := context.WithTimeout(bg, time.Duration(r.IntN(3))*time.Millisecond)
					_, err := e.EmbedBatch(ctx, m, texts[:10])
					cancel()
					if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, embed.ErrUnknownModel) && !errors.Is(err, embed.ErrModelUnloaded) {
						fail("canceled call: %v", err)
					}
				case op < 6:
					i := r.IntN(len(texts))
					v, err := e.Embed(bg, m, texts[i])
					check1(m, i, v, err, want, fail)
				default:
					idx := r.Perm(len(texts))[:1+r.IntN(15)]
					batch := make([]string, len(idx))
					for k, i := range idx {
						batch[k] = texts[i]
					}
					res, err := e.EmbedBatch(bg, m, batch)
					if err != nil {
						check1(m, -1, nil, err, want, fail)
						continue
					}
					for k, i := range idx {
						check1(m, i, res.Vectors[k], res.Errors[k], want, fail)
					}
				}
			}
		})
	}
	wg.Wait()
	failures.Range(func(k, _ any) bool { t.Error(k); return true })

	_ = e.UnloadModel("churn")
	time.Sleep(50 * time.Millisecond)
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines+1, "no goroutine leaked")
}

// check1 checks one result of the hammer: the churn model may be absent
// or unloaded under the call, which must say so; the others must succeed
// with the single-call vector (packing changes it by at most 1e-3).
func check1(m string, i int, v []float32, err error, want map[string][][]float32, fail func(string, ...any)) {
	if m == "churn" {
		if err != nil && !errors.Is(err, embed.ErrUnknownModel) && !errors.Is(err, embed.ErrModelUnloaded) {
			fail("churn: unexpected error %v", err)
		}
		if err == nil && i >= 0 && len(v) != 128 {
			fail("churn: vector of %d", len(v))
		}
		return
	}
	if err != nil {
		fail("%s: %v", m, err)
		return
	}
	if i < 0 {
		return
	}
	w := want[m][i]
	if len(v) != len(w) {
		fail("%s text %d: %d dimensions, want %d", m, i, len(v), len(w))
		return
	}
	for k := range w {
		if d := v[k] - w[k]; d > 1e-3 || d < -1e-3 {
			fail("%s text %d: component %d is %g, want %g", m, i, k, v[k], w[k])
			return
		}
	}
}

// TestCancelPromptly cancels a long EmbedBatch midway: it must return
// context.Canceled at once, and the engine must keep working.
func TestCancelPromptly(t *testing.T) {
	e := open(t, "qwen3-last", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 512}})
	texts := make([]string, 2000)
	for i := range texts {
		texts[i] = fmt.Sprintf("document %d %s", i, strings.Repeat("some words here ", 10))
	}
	ctx, cancel := context.WithCancel(bg)
	var canceledAt time.Time
	var once sync.Once
	start := time.Now()
	_, err := e.EmbedBatch(ctx, "", texts, embed.WithProgress(func(done, total int) {
		if done > 0 {
			once.Do(func() { canceledAt = time.Now(); cancel() })
		}
	}))
	returned := time.Now()
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, canceledAt.IsZero(), "progress was reported before the end")
	t.Logf("canceled after %v; returned %v after cancel", canceledAt.Sub(start), returned.Sub(canceledAt))
	assert.Less(t, returned.Sub(canceledAt), time.Second)

	v, err := e.Embed(bg, "", "hello world")
	require.NoError(t, err)
	assert.Len(t, v, 64)
}

// TestDefaultSettings checks how the batching defaults follow from
// Threads, Contexts and the batch sizes, and that settings llama.cpp
// would abort on are refused. Every model is used once, with mean
// pooling, where a bad sequence count aborts.
func TestDefaultSettings(t *testing.T) {
	bert := testenv.Model(t, "bert-mean.gguf")
	tests := []struct {
		name                        string
		cfg                         embed.Config
		contexts, target, sequences int
		err                         string
	}{
		{"one thread", embed.Config{ModelConfig: embed.ModelConfig{Threads: 1}}, 1, 256, 256, ""},
		{"two threads", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2}}, 2, 128, 128, ""},
		{"eight threads", embed.Config{ModelConfig: embed.ModelConfig{Threads: 8}}, 2, 128, 128, ""},
		{"one context asked for", embed.Config{ModelConfig: embed.ModelConfig{Threads: 4, Contexts: 1}}, 1, 256, 256, ""},
		{"three contexts on two threads get two", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2, Contexts: 3}}, 2, 128, 128, ""},
		{"target asked for", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2, BatchTarget: 64}}, 2, 64, 64, ""},
		{"target not dividing the batch", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2, BatchTarget: 100}}, 2, 100, 64, ""},
		{"batch of 600", embed.Config{ModelConfig: embed.ModelConfig{Threads: 1, BatchSize: 600}}, 1, 256, 200, ""},
		{"sequences asked for", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2, MaxSequences: 32}}, 2, 128, 32, ""},
		{"sequences not dividing the batch", embed.Config{ModelConfig: embed.ModelConfig{Threads: 2, MaxSequences: 200}}, 0, 0, 0, "MaxSequences"},
		{"sequences above the batch", embed.Config{ModelConfig: embed.ModelConfig{BatchSize: 64, MaxSequences: 128}}, 0, 0, 0, "MaxSequences"},
	}
	e := newEngine(t, embed.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ModelPath = bert
			err := e.LoadModel(bg, tt.name, cfg.ModelConfig)
			if tt.err != "" {
				var ce *embed.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.err, ce.Field)
				assert.ErrorIs(t, err, embed.ErrInvalidConfig)
				return
			}
			require.NoError(t, err)
			defer e.UnloadModel(tt.name)
			info, err := e.ModelInfo(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.contexts, info.Contexts, "contexts")
			assert.Equal(t, tt.target, info.BatchTarget, "batch target")
			assert.Equal(t, tt.sequences, info.MaxSequences, "sequences")
			// Each context holds an output row of the vocabulary's size
			// per token of one llama_decode call (one ubatch).
			assert.GreaterOrEqual(t, info.ContextMemory, int64(info.VocabSize)*int64(max(info.UBatchSize, info.MaxSequences))*4)
			assert.GreaterOrEqual(t, info.EstimatedMemory, info.FileSize+int64(info.Contexts)*info.ContextMemory)
			_, err = e.Embed(bg, tt.name, "a text", embed.WithPooling(embed.PoolingMean))
			assert.NoError(t, err)
		})
	}
}

// TestContextsShareThreads checks that a model's contexts evaluate
// batches side by side within its thread budget, and that a batch
// evaluated alone gets every thread.
func TestContextsShareThreads(t *testing.T) {
	type span struct {
		from, to time.Time
		context  int
		threads  int
	}
	var (
		mu    sync.Mutex
		spans []span
	)
	e := newEngine(t, embed.Config{})
	require.NoError(t, e.LoadModel(bg, "m", embed.ModelConfig{
		ModelPath: testenv.Model(t, "bert-mean.gguf"), Threads: 2, Contexts: 2, BatchTarget: 32,
		OnBatch: func(b embed.BatchInfo) {
			now := time.Now()
			mu.Lock()
			spans = append(spans, span{now.Add(-b.Duration), now, b.Context, b.Threads})
			mu.Unlock()
		},
	}))
	taken := func() []span {
		mu.Lock()
		defer mu.Unlock()
		s := spans
		spans = nil
		return s
	}

	texts := make([]string, 300)
	for i := range texts {
		texts[i] = fmt.Sprintf("text number %d about %s", i, strings.Repeat("things ", i%9+1))
	}
	// One text at a time: every batch runs alone, with both threads.
	want := make([][]float32, len(texts))
	for i, text := range texts[:40] {
		v, err := e.Embed(bg, "m", text)
		require.NoError(t, err)
		want[i] = v
	}
	alone := taken()
	for _, s := range alone {
		assert.Equal(t, 2, s.threads, "a batch evaluated alone")
		// The worker active last is woken first: its threads are warm.
		assert.Equal(t, alone[0].context, s.context, "context of a batch evaluated alone")
	}

	// Many batches at once: both contexts work, never more than 2
	// threads at any moment, and the vectors do not change.
	res, err := e.EmbedBatch(bg, "m", texts)
	require.NoError(t, err)
	for i := range 40 {
		near(t, want[i], res.Vectors[i], 1e-5, "text %d", i)
	}
	got := taken()
	used, sideBySide := map[int]int{}, 0
	for _, s := range got {
		used[s.context]++
		inUse := 0
		for _, o := range got {
			if !o.from.After(s.from) && o.to.After(s.from) {
				inUse += o.threads
			}
		}
		assert.LessOrEqual(t, inUse, 2, "threads in use when a batch of context %d started", s.context)
		if inUse > s.threads {
			sideBySide++
		}
	}
	assert.Len(t, used, 2, "batches per context: %v", used)
	assert.Positive(t, sideBySide, "batches that started while another was being evaluated")
}
