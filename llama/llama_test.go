package llama_test

import (
	"context"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
)

func load(t *testing.T) *llama.Library {
	t.Helper()
	lib, err := llama.Load(testenv.Library(t))
	require.NoError(t, err)
	return lib
}

func TestLoad(t *testing.T) {
	lib := load(t)
	assert.Contains(t, lib.Version(), llama.PinnedVersion)
	assert.NotEmpty(t, lib.SystemInfo())
	assert.Contains(t, lib.Backends(), "CPU", "ggml_backend_load_all_from_path loaded a CPU variant")
	devs := lib.Devices()
	require.NotEmpty(t, devs)
	assert.Equal(t, llama.DeviceCPU, devs[0].Type)

	again, err := llama.Load(lib.Path())
	require.NoError(t, err)
	assert.Same(t, lib, again, "Load is idempotent for the same library")
}

func TestDefaultParams(t *testing.T) {
	load(t)
	mp, err := llama.DefaultModelParams()
	require.NoError(t, err)
	// Values set by llama_model_default_params in the pinned release; a
	// field in the wrong place would read as something else.
	assert.Equal(t, int32(-1), mp.NGPULayers)
	assert.Equal(t, llama.SplitModeLayer, mp.SplitMode)
	assert.Zero(t, mp.MainGPU)
	assert.False(t, mp.VocabOnly)
	assert.True(t, mp.UseExtraBufts)

	cp, err := llama.DefaultContextParams()
	require.NoError(t, err)
	assert.Equal(t, uint32(512), cp.NCtx)
	assert.Equal(t, uint32(2048), cp.NBatch)
	assert.Equal(t, uint32(512), cp.NUbatch)
	assert.Equal(t, uint32(1), cp.NSeqMax)
	assert.Equal(t, llama.PoolingUnspecified, cp.PoolingType)
	assert.Equal(t, llama.AttentionUnspecified, cp.AttentionType)
	assert.Equal(t, llama.FlashAttnAuto, cp.FlashAttnType)
	assert.False(t, cp.Embeddings)
	assert.True(t, cp.OffloadKQV)
	assert.Zero(t, cp.AbortCallback)
}

func TestEmbedOneText(t *testing.T) {
	load(t)
	llama.SetLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	defer llama.SetLogger(nil)

	mp, _ := llama.DefaultModelParams()
	m, err := llama.LoadModel(testenv.Model(t, "bert-mean.gguf"), mp)
	require.NoError(t, err)
	defer m.Close()

	assert.Equal(t, 128, m.NEmbd())
	assert.Equal(t, 128, m.NEmbdOut())
	assert.Equal(t, 512, m.NCtxTrain())
	arch, ok := m.Meta("general.architecture")
	assert.True(t, ok)
	assert.Equal(t, "bert", arch)
	_, ok = m.Meta("no.such.key")
	assert.False(t, ok)

	v := m.Vocab()
	assert.Equal(t, 30522, v.NTokens())
	assert.Equal(t, llama.VocabWPM, v.Type())
	toks, err := v.Tokenize("hello world", true, false)
	require.NoError(t, err)
	assert.Equal(t, []llama.Token{101, 7592, 2088, 102}, toks)
	empty, err := v.Tokenize("", false, false)
	require.NoError(t, err)
	assert.Empty(t, empty)

	cp, _ := llama.DefaultContextParams()
	cp.Embeddings = true
	cp.NCtx, cp.NBatch, cp.NUbatch = 512, 512, 512
	ctx, err := llama.NewContext(m, cp)
	require.NoError(t, err)
	defer ctx.Close()
	assert.Equal(t, llama.PoolingMean, ctx.PoolingType())

	b, err := llama.NewBatch(512)
	require.NoError(t, err)
	defer b.Close()
	for i, tok := range toks {
		require.NoError(t, b.Add(tok, int32(i), 0, true))
	}
	require.NoError(t, ctx.Decode(b))
	emb, err := ctx.EmbeddingsSeq(0, nil)
	require.NoError(t, err)
	require.Len(t, emb, 128)
	var sum float64
	for _, x := range emb {
		require.False(t, math.IsNaN(float64(x)) || math.IsInf(float64(x), 0))
		sum += float64(x) * float64(x)
	}
	assert.Greater(t, sum, 0.0)

	_, err = ctx.EmbeddingsSeq(7, nil)
	assert.ErrorIs(t, err, llama.ErrNoEmbeddings)

	b.Clear()
	assert.ErrorIs(t, ctx.Decode(b), llama.ErrInvalidBatch)

	require.NoError(t, ctx.Close())
	_, err = ctx.EmbeddingsSeq(0, nil)
	assert.ErrorIs(t, err, llama.ErrClosed)
	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	_, err = v.Tokenize("x", true, false)
	assert.ErrorIs(t, err, llama.ErrClosed)
}

// recorder is a slog.Handler that keeps the records it receives.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func TestLogRoutedToSlog(t *testing.T) {
	load(t)
	rec := &recorder{}
	llama.SetLogger(slog.New(rec))
	defer llama.SetLogger(nil)

	mp, _ := llama.DefaultModelParams()
	// stories260K has no separator or padding token; llama.cpp warns.
	m, err := llama.LoadModel(testenv.Model(t, "stories260K.gguf"), mp)
	require.NoError(t, err)
	defer m.Close()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var warned bool
	for _, r := range rec.records {
		assert.NotContains(t, r.Message, "\n", "one record per line")
		r.Attrs(func(a slog.Attr) bool {
			assert.Equal(t, "source", a.Key)
			assert.Equal(t, "llama.cpp", a.Value.String())
			return true
		})
		if r.Level == slog.LevelWarn && strings.Contains(r.Message, "bad special token") {
			warned = true
		}
	}
	assert.NotEmpty(t, rec.records)
	assert.True(t, warned, "llama.cpp's warning about the missing special tokens arrives at WARN")
}
