package embed

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
)

// header describes a GGUF header for the planner tests.
type header struct {
	arch     string
	train    uint32
	pooling  int // <0: not declared
	causal   *bool
	posEmbd  uint64 // rows of position_embd.weight; 0: no such tensor
	headSize uint32 // embedding_length / head_count; 0: 16
}

// write writes h as a GGUF file with internal/gguf's writer and reads it
// back, as loadModel would.
func (h header) write(t *testing.T) *gguf.File {
	t.Helper()
	w := gguf.NewWriter()
	set := func(k string, v any) { require.NoError(t, w.Set(k, v)) }
	set("general.architecture", h.arch)
	set(h.arch+".embedding_length", uint32(32))
	set(h.arch+".context_length", h.train)
	set(h.arch+".block_count", uint32(1))
	hs := h.headSize
	if hs == 0 {
		hs = 16
	}
	set(h.arch+".attention.head_count", 32/hs)
	if h.pooling >= 0 {
		set(h.arch+".pooling_type", uint32(h.pooling))
	}
	if h.causal != nil {
		set(h.arch+".attention.causal", *h.causal)
	}
	set("tokenizer.ggml.tokens", []string{"a", "b", "c", "d"})
	if h.posEmbd > 0 {
		require.NoError(t, w.AddFloat32("position_embd.weight", gguf.TypeF32, []uint64{32, h.posEmbd}, make([]float32, 32*h.posEmbd)))
	}
	require.NoError(t, w.AddFloat32("token_embd.weight", gguf.TypeF32, []uint64{32, 4}, make([]float32, 32*4)))
	var buf bytes.Buffer
	_, err := w.WriteTo(&buf)
	require.NoError(t, err)
	f, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	return f
}

var (
	yes  = true
	no   = false
	bert = header{arch: "bert", train: 512, pooling: 1, posEmbd: 512, headSize: 16}
	qwen = header{arch: "qwen3", train: 32768, pooling: 3, causal: &yes, headSize: 16}
)

func TestPlanner(t *testing.T) {
	cpu2 := host{cpu: true, cores: 2}
	tests := []struct {
		name string
		h    header
		cfg  ModelConfig
		host host
		// want holds the settings expected (zero fields: not checked);
		// err the field of the expected *ConfigError.
		want ModelConfig
		pool Pooling
		fa   FlashAttention
		err  string
	}{
		{name: "bert defaults on 2 cores", h: bert, host: cpu2, pool: PoolingMean,
			want: ModelConfig{ContextSize: 512, BatchSize: 512, UBatchSize: 512, Threads: 2, Contexts: 2, BatchTarget: 128, MaxSequences: 128}},
		{name: "bert deterministic on 2 cores", h: bert, cfg: ModelConfig{Deterministic: DeterminismOn}, host: cpu2, pool: PoolingMean,
			want: ModelConfig{ContextSize: 512, BatchSize: 512, UBatchSize: 512, Threads: 2, Contexts: 2, BatchTarget: 128, MaxSequences: 31}},
		{name: "bert packed on one core", h: bert, cfg: ModelConfig{Deterministic: DeterminismOff}, host: host{cpu: true, cores: 1}, pool: PoolingMean,
			want: ModelConfig{Threads: 1, Contexts: 1, BatchTarget: 256, MaxSequences: 256}},
		{name: "bert on a GPU", h: bert, host: host{cores: 8}, pool: PoolingMean, want: ModelConfig{Threads: 8, Contexts: 1}},
		// The layout's lanes and tiles are the CPU kernels': on a GPU,
		// deterministic evaluates each text alone, and a reranker packs.
		{name: "bert deterministic on a GPU", h: bert, cfg: ModelConfig{Deterministic: DeterminismOn}, host: host{cores: 8}, pool: PoolingMean,
			want: ModelConfig{MaxSequences: 1, Deterministic: DeterminismOn}},
		{name: "rank pooling on a GPU", h: header{arch: "bert", train: 512, pooling: 4, posEmbd: 512}, host: host{cores: 8}, pool: poolingRank, fa: FlashAttentionAuto,
			want: ModelConfig{Deterministic: DeterminismOff}},
		{name: "bert without its tensor still has absolute positions", h: header{arch: "bert", train: 512, pooling: 2},
			cfg: ModelConfig{ContextSize: 513}, host: cpu2, err: "ContextSize"},
		{name: "bert context at its trained length", h: bert, cfg: ModelConfig{ContextSize: 512}, host: cpu2, want: ModelConfig{ContextSize: 512}, pool: PoolingMean},
		{name: "bert context past its trained length", h: bert, cfg: ModelConfig{ContextSize: 513}, host: cpu2, err: "ContextSize"},
		{name: "bert context far past", h: bert, cfg: ModelConfig{ContextSize: 1 << 20, BatchSize: 1 << 20}, host: cpu2, err: "ContextSize"},
		{name: "fewer position rows than the trained context", h: header{arch: "mpt", train: 2048, pooling: 1, posEmbd: 256, causal: &yes},
			host: cpu2, want: ModelConfig{ContextSize: 256}, pool: PoolingMean},
		{name: "RoPE models may exceed their trained context", h: header{arch: "qwen3", train: 512, pooling: 3, causal: &yes},
			cfg: ModelConfig{ContextSize: 2048}, host: cpu2, want: ModelConfig{ContextSize: 2048, BatchSize: 2048}, pool: PoolingLast},
		{name: "qwen default context is capped", h: qwen, host: cpu2, pool: PoolingLast,
			want: ModelConfig{ContextSize: DefaultContextSize, BatchSize: DefaultContextSize, UBatchSize: DefaultContextSize}},
		{name: "causal ubatch kept", h: qwen, cfg: ModelConfig{ContextSize: 1024, UBatchSize: 256, Deterministic: DeterminismOff}, host: cpu2,
			want: ModelConfig{UBatchSize: 256, BatchSize: 1024, MaxSequences: 128}, pool: PoolingLast},
		{name: "encoder ubatch is the batch", h: bert, cfg: ModelConfig{BatchSize: 1024, UBatchSize: 64}, host: cpu2,
			want: ModelConfig{UBatchSize: 1024}, pool: PoolingMean},
		{name: "sequences must divide the ubatch", h: bert, cfg: ModelConfig{MaxSequences: 200}, host: cpu2, err: "MaxSequences"},
		{name: "sequences above the batch", h: bert, cfg: ModelConfig{BatchSize: 64, ContextSize: 64, MaxSequences: 128}, host: cpu2, err: "MaxSequences"},
		{name: "batch below the context", h: qwen, cfg: ModelConfig{ContextSize: 1024, BatchSize: 512}, host: cpu2, err: "BatchSize"},
		{name: "batch below the default context", h: bert, cfg: ModelConfig{BatchSize: 256}, host: cpu2, err: "BatchSize"},
		{name: "target above the batch is clamped", h: bert, cfg: ModelConfig{BatchTarget: 100000}, host: cpu2,
			want: ModelConfig{BatchTarget: 512}, pool: PoolingMean},
		{name: "target of one", h: bert, cfg: ModelConfig{BatchTarget: 1}, host: cpu2, want: ModelConfig{BatchTarget: 1, MaxSequences: 1}, pool: PoolingMean},
		{name: "more contexts than threads", h: bert, cfg: ModelConfig{Threads: 1, Contexts: 4}, host: cpu2,
			want: ModelConfig{Threads: 1, Contexts: 4}, pool: PoolingMean},
		{name: "threads past the CPUs are lowered to them", h: bert, cfg: ModelConfig{Threads: 513}, host: host{cpu: true, cores: 2, cpus: 2},
			want: ModelConfig{Threads: 2, Contexts: 2}, pool: PoolingMean},
		{name: "contexts past the threads are lowered to them", h: bert, cfg: ModelConfig{Threads: 2, Contexts: 64}, host: host{cpu: true, cores: 2, cpus: 4},
			want: ModelConfig{Threads: 2, Contexts: 2}, pool: PoolingMean},
		{name: "a GPU keeps its threads", h: bert, cfg: ModelConfig{Threads: 16}, host: host{cores: 2, cpus: 2},
			want: ModelConfig{Threads: 16, Contexts: 1}, pool: PoolingMean},
		{name: "an unknown default prompt is refused at load", h: bert, cfg: ModelConfig{DefaultPrompt: "nope"}, host: cpu2, err: "DefaultPrompt"},
		{name: "a configured default prompt", h: bert, cfg: ModelConfig{DefaultPrompt: "mine", Prompts: map[string]string{"mine": "x: "}}, host: cpu2, pool: PoolingMean},
		{name: "no cores reported", h: bert, host: host{cpu: true}, want: ModelConfig{Threads: 1, Contexts: 1}, pool: PoolingMean},
		{name: "zero threads is the default, negative refused", h: bert, cfg: ModelConfig{Threads: -1}, host: cpu2, err: "Threads"},
		{name: "huge threads refused", h: bert, cfg: ModelConfig{Threads: 1 << 20}, host: cpu2, err: "Threads"},
		{name: "negative contexts", h: bert, cfg: ModelConfig{Contexts: -1}, host: cpu2, err: "Contexts"},
		{name: "huge contexts", h: bert, cfg: ModelConfig{Contexts: 1000}, host: cpu2, err: "Contexts"},
		{name: "negative batch", h: bert, cfg: ModelConfig{BatchSize: -8}, host: cpu2, err: "BatchSize"},
		{name: "batch of one", h: bert, cfg: ModelConfig{BatchSize: 1}, host: cpu2, err: "BatchSize"},
		{name: "context of one", h: bert, cfg: ModelConfig{ContextSize: 1}, host: cpu2, err: "ContextSize"},
		{name: "negative ubatch", h: qwen, cfg: ModelConfig{UBatchSize: -1}, host: cpu2, err: "UBatchSize"},
		// At most BatchSize, as documented; above it was silently lowered
		// to BatchSize when BatchSize was planned, not set.
		{name: "causal ubatch above the planned batch", h: qwen, cfg: ModelConfig{ContextSize: 1024, UBatchSize: 2048}, host: cpu2, err: "UBatchSize"},
		{name: "encoder ubatch above the planned batch", h: bert, cfg: ModelConfig{UBatchSize: 1024}, host: cpu2, err: "UBatchSize"},
		{name: "ubatch equal to the planned batch", h: qwen, cfg: ModelConfig{ContextSize: 1024, UBatchSize: 1024}, host: cpu2,
			want: ModelConfig{UBatchSize: 1024, BatchSize: 1024}, pool: PoolingLast},
		{name: "sequences of zero is the default, 257 refused", h: bert, cfg: ModelConfig{MaxSequences: 257}, host: cpu2, err: "MaxSequences"},
		{name: "tiny trained context", h: header{arch: "bert", train: 4, pooling: 1, posEmbd: 4}, host: cpu2, err: "ContextSize"},
		{name: "configured pooling wins", h: bert, cfg: ModelConfig{Pooling: PoolingCLS}, host: cpu2, pool: PoolingCLS},
		{name: "no pooling declared", h: header{arch: "llama", train: 512, pooling: -1, causal: &yes}, host: cpu2, err: "!" + ErrNotEmbeddingModel.Error()},
		{name: "pooling none declared", h: header{arch: "llama", train: 512, pooling: 0}, host: cpu2, err: "!" + ErrNotEmbeddingModel.Error()},
		// A reranker loads (Engine.Rerank scores pairs with it),
		// deterministic by default, laid out, with llama.cpp's attention
		// kernel; packed back to back, without flash attention on the CPU
		// (planModel says why).
		{name: "rank pooling", h: header{arch: "bert", train: 512, pooling: 4, posEmbd: 512}, host: cpu2, pool: poolingRank, fa: FlashAttentionAuto,
			want: ModelConfig{MaxSequences: 31, Deterministic: DeterminismOn}},
		{name: "rank pooling packed", h: header{arch: "bert", train: 512, pooling: 4, posEmbd: 512}, cfg: ModelConfig{Deterministic: DeterminismOff},
			host: cpu2, pool: poolingRank, fa: FlashAttentionOff, want: ModelConfig{MaxSequences: 128}},
		{name: "rank pooling alone", h: header{arch: "bert", train: 512, pooling: 4, posEmbd: 512}, cfg: ModelConfig{Deterministic: DeterminismOn, MaxSequences: 1},
			host: cpu2, pool: poolingRank, fa: FlashAttentionAuto, want: ModelConfig{MaxSequences: 1}},
		{name: "pooling given to a model without one", h: header{arch: "llama", train: 512, pooling: -1, causal: &yes},
			cfg: ModelConfig{Pooling: PoolingLast}, host: cpu2, pool: PoolingLast},
		{name: "memory limit", h: bert, cfg: ModelConfig{MemoryLimit: 1 << 20}, host: cpu2, err: "!" + ErrMemoryLimit.Error()},
		{name: "flash attention off for 8-wide heads on the CPU", h: header{arch: "llama", train: 512, pooling: 1, causal: &no, headSize: 8},
			host: cpu2, pool: PoolingMean, fa: FlashAttentionOff},
		{name: "flash attention auto on a GPU", h: header{arch: "llama", train: 512, pooling: 1, headSize: 8}, host: host{cores: 2}, pool: PoolingMean, fa: FlashAttentionAuto},
		{name: "flash attention as set", h: header{arch: "llama", train: 512, pooling: 1, headSize: 8}, cfg: ModelConfig{FlashAttention: FlashAttentionOn},
			host: cpu2, pool: PoolingMean, fa: FlashAttentionOn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planModel(tt.h.write(t), tt.cfg, tt.host)
			if tt.err != "" {
				require.Error(t, err)
				if tt.err[0] == '!' {
					assert.Contains(t, err.Error(), tt.err[1:])
					return
				}
				var ce *ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.err, ce.Field)
				assert.ErrorIs(t, err, ErrInvalidConfig)
				return
			}
			require.NoError(t, err)
			checkPlan(t, p, tt.want)
			if tt.pool != PoolingDefault {
				assert.Equal(t, tt.pool, p.pooling)
				assert.Equal(t, tt.pool, p.info.Pooling)
			}
			assert.Equal(t, tt.fa, p.info.FlashAttention)
		})
	}
}

// TestPlanDeterminism pins how Deterministic resolves for an embedding
// encoder: on lays texts out (MaxSequences 31 of a 512-token batch, one
// sequence id left for the filler), or evaluates each alone when
// MaxSequences 1 is set or the batch cannot be laid out; auto and off
// pack; on with packing set is refused.
func TestPlanDeterminism(t *testing.T) {
	cpu2 := host{cpu: true, cores: 2}
	tests := []struct {
		name string
		cfg  ModelConfig
		det  bool
		seqs int
		laid bool
		err  string
	}{
		{name: "auto is off", seqs: 128},
		{name: "on", cfg: ModelConfig{Deterministic: DeterminismOn}, det: true, seqs: 31, laid: true},
		{name: "on with a batch off the lane", cfg: ModelConfig{Deterministic: DeterminismOn, BatchSize: 520}, det: true, seqs: 1},
		{name: "on with flash attention off", cfg: ModelConfig{Deterministic: DeterminismOn, FlashAttention: FlashAttentionOff}, det: true, seqs: 31, laid: true},
		{name: "on with one sequence", cfg: ModelConfig{Deterministic: DeterminismOn, MaxSequences: 1}, det: true, seqs: 1},
		{name: "off packs", cfg: ModelConfig{Deterministic: DeterminismOff}, seqs: 128},
		{name: "auto with packing asked for", cfg: ModelConfig{MaxSequences: 8}, seqs: 8},
		{name: "auto with one sequence", cfg: ModelConfig{MaxSequences: 1}, seqs: 1},
		{name: "on with packing asked for", cfg: ModelConfig{Deterministic: DeterminismOn, MaxSequences: 8}, err: "MaxSequences"},
		{name: "unknown", cfg: ModelConfig{Deterministic: 7}, err: "Deterministic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planModel(bert.write(t), tt.cfg, cpu2)
			if tt.err != "" {
				var ce *ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tt.err, ce.Field)
				return
			}
			require.NoError(t, err)
			checkPlan(t, p, ModelConfig{MaxSequences: tt.seqs})
			assert.Equal(t, tt.det, p.info.Deterministic)
			assert.Equal(t, tt.det, p.cfg.Deterministic == DeterminismOn, "the resolved setting")
			assert.Equal(t, tt.laid, p.layout.Aligned())
			if tt.laid {
				assert.Equal(t, tt.cfg.FlashAttention != FlashAttentionOff, p.layout.Tile > 0, "tiles only for flash attention")
			}
		})
	}
}

// checkPlan checks the invariants every plan keeps (what llama.cpp
// asserts), then the fields of want that are set.
func checkPlan(t *testing.T, p plan, want ModelConfig) {
	t.Helper()
	c := p.cfg
	assert.GreaterOrEqual(t, c.ContextSize, 8)
	assert.GreaterOrEqual(t, c.BatchSize, c.ContextSize)
	assert.LessOrEqual(t, c.UBatchSize, c.BatchSize)
	assert.Positive(t, c.UBatchSize)
	assert.LessOrEqual(t, c.BatchTarget, c.BatchSize)
	assert.Positive(t, c.BatchTarget)
	assert.Positive(t, c.MaxSequences)
	assert.LessOrEqual(t, c.MaxSequences, DefaultMaxSequences)
	assert.Zero(t, c.UBatchSize%seqIDs(c.MaxSequences, p.layout), "n_seq_max divides n_ubatch")
	assert.LessOrEqual(t, seqIDs(c.MaxSequences, p.layout), maxSeqIDs)
	assert.Positive(t, c.Threads)
	assert.Positive(t, c.Contexts)
	if !p.info.Causal {
		assert.Equal(t, c.BatchSize, c.UBatchSize, "an encoder evaluates a sequence in one ubatch")
	}
	if p.info.TrainedContext > 0 && p.info.Architecture == "bert" {
		assert.LessOrEqual(t, c.ContextSize, p.info.TrainedContext, "absolute positions")
	}
	check := func(name string, want, got int) {
		if want != 0 {
			assert.Equal(t, want, got, name)
		}
	}
	check("ContextSize", want.ContextSize, c.ContextSize)
	check("BatchSize", want.BatchSize, c.BatchSize)
	check("UBatchSize", want.UBatchSize, c.UBatchSize)
	check("BatchTarget", want.BatchTarget, c.BatchTarget)
	check("MaxSequences", want.MaxSequences, c.MaxSequences)
	check("Threads", want.Threads, c.Threads)
	check("Contexts", want.Contexts, c.Contexts)
	if want.Deterministic != DeterminismAuto {
		assert.Equal(t, want.Deterministic, c.Deterministic, "Deterministic")
	}
	assert.Equal(t, c.Deterministic == DeterminismOn, p.info.Deterministic)
	assert.Equal(t, c.ContextSize, p.info.ContextSize)
	assert.Equal(t, c.BatchSize, p.info.BatchSize)
	assert.Equal(t, c.MaxSequences, p.info.MaxSequences)
}

func TestPoolingConversions(t *testing.T) {
	for gp, want := range map[gguf.Pooling]Pooling{gguf.PoolingMean: PoolingMean, gguf.PoolingCLS: PoolingCLS, gguf.PoolingLast: PoolingLast} {
		got, ok := poolingFromGGUF(gp)
		assert.True(t, ok)
		assert.Equal(t, want, got)
		assert.Equal(t, gp.String(), got.String(), "the names agree")
		assert.Equal(t, int(gp), int(llamaPooling[got]), "llama.cpp's numbers")
	}
	for _, gp := range []gguf.Pooling{gguf.PoolingNone, gguf.PoolingRank, 9} {
		_, ok := poolingFromGGUF(gp)
		assert.False(t, ok, "%v has no sentence vector", gp)
	}
}
