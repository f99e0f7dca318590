package embed

import (
	"fmt"

	"github.com/embellama/embellama/embed/internal/layout"
	"github.com/embellama/embellama/internal/gguf"
)

// The planner turns what a GGUF header says and a ModelConfig into the
// settings llama.cpp is given. It is pure (no native library, no file
// other than the header already read), so it is table-tested on headers
// written with internal/gguf's writer. Every setting that could reach a
// GGML_ASSERT in llama.cpp is refused here with a *ConfigError.

// host is what the planner needs to know of the machine.
type host struct {
	cpu   bool // the model is evaluated on the CPU
	cores int  // physical cores, the default of Threads
	cpus  int  // logical CPUs the process may use; 0: unknown
}

// plan is the planner's outcome: the configuration with every default
// resolved, the pooling used when a call names none, and the model's
// description (less what only llama.cpp knows once it has loaded it).
type plan struct {
	cfg     ModelConfig
	pooling Pooling
	info    ModelInfo
	ret     retrieval // retrieval.go
	// layout places a deterministic encoder's sequences (determinism.go).
	layout layout.Rule
	// clamped says which settings were lowered to what the machine can
	// do, and why; the engine logs them.
	clamped []string
}

// planModel resolves cfg for the model whose header is f.
func planModel(f *gguf.File, cfg ModelConfig, h host) (plan, error) {
	if err := cfg.Validate(); err != nil {
		return plan{}, err
	}
	arch := f.Architecture()
	causal, ok := f.Causal()
	if !ok {
		causal = !isEncoderArch(arch)
	}
	declared, hasPooling := f.PoolingType()
	pooling, err := choosePooling(cfg.Pooling, declared, hasPooling, cfg.ModelPath, arch)
	if err != nil {
		return plan{}, err
	}
	seqs := cfg.MaxSequences // as set: planBatch resolves it
	train := f.ContextLength()
	if err := planContext(&cfg, train, absolutePositions(f)); err != nil {
		return plan{}, err
	}
	clamped, err := planBatch(&cfg, causal, f.VocabSize(), h)
	if err != nil {
		return plan{}, err
	}
	rank := pooling == poolingRank
	fa := chooseFlashAttention(cfg.FlashAttention, f.HeadSize(), h.cpu)
	det, rule := planDeterminism(&cfg, seqs, causal, rank, h.cpu, fa)
	if rank && !det && h.cpu && fa == FlashAttentionAuto {
		// Packed back to back, F16 keys and values move a reranker's
		// one logit with its neighbours (5.5e-3 of the largest score on
		// the tiny cross-encoder); laid out, packed equals alone.
		fa = FlashAttentionOff
	}
	declaredName := "none"
	if hasPooling {
		declaredName = declared.String()
	}
	info := ModelInfo{
		Path:             cfg.ModelPath,
		Architecture:     arch,
		Dim:              f.EmbeddingLength(),
		ContextSize:      cfg.ContextSize,
		TrainedContext:   train,
		Pooling:          pooling,
		DeclaredPooling:  declaredName,
		IsEmbeddingModel: f.IsEmbeddingModel(),
		Causal:           causal,
		FileType:         f.FileType(),
		Parameters:       f.ParameterCount(),
		FileSize:         f.Size,
		VocabSize:        f.VocabSize(),
		Tokenizer:        f.TokenizerModel(),
		BatchSize:        cfg.BatchSize,
		UBatchSize:       cfg.UBatchSize,
		BatchTarget:      cfg.BatchTarget,
		MaxSequences:     cfg.MaxSequences,
		Threads:          cfg.Threads,
		Contexts:         cfg.Contexts,
		HeadSize:         f.HeadSize(),
		FlashAttention:   fa,
		Deterministic:    det,
		EstimatedMemory:  estimateMemory(f, cfg, causal),
		ContextMemory:    contextMemory(f, cfg, causal),
	}
	if cfg.MemoryLimit > 0 && info.EstimatedMemory > cfg.MemoryLimit {
		return plan{}, fmt.Errorf("%w: %s needs about %d MiB, the limit is %d MiB",
			ErrMemoryLimit, cfg.ModelPath, info.EstimatedMemory>>20, cfg.MemoryLimit>>20)
	}
	ret := planRetrieval(f, cfg, declaredName)
	if d := cfg.DefaultPrompt; d != "" && d != PromptQuery && d != PromptDocument {
		if _, ok := ret.prompts[d]; !ok {
			// Accepted, every call without a prompt of its own would fail.
			return plan{}, &ConfigError{Field: "DefaultPrompt", Value: d,
				Reason: fmt.Sprintf("the model has no prompt of that name (it has %v)", ret.prompts.Names())}
		}
	}
	ret.describe(&info)
	return plan{cfg: cfg, pooling: pooling, info: info, ret: ret, layout: rule, clamped: clamped}, nil
}

// choosePooling returns the pooling used when a call names none: the
// configured one, else the one the file declares.
func choosePooling(set Pooling, declared gguf.Pooling, ok bool, path, arch string) (Pooling, error) {
	if set != PoolingDefault {
		return set, nil
	}
	if p, known := poolingFromGGUF(declared); ok && known {
		return p, nil
	}
	if ok && declared == gguf.PoolingRank {
		return poolingRank, nil // a reranker: Engine.Rerank scores pairs with it
	}
	return 0, fmt.Errorf("%w: %s (%s) declares no pooling; set Config.Pooling (mean, cls or last) to embed with it anyway",
		ErrNotEmbeddingModel, path, arch)
}

// planContext resolves ContextSize. A model with learned absolute
// positions has a row of position embeddings per position it was trained
// with, and llama.cpp aborts (GGML_ASSERT in get_rows) when a text reaches
// past the last one, so a larger ContextSize is refused. A set value is
// refused rather than clamped: the caller asked for longer texts than the
// model can take, and a silent clamp would turn into ErrTooLong later.
func planContext(cfg *ModelConfig, train, positions int) error {
	if cfg.ContextSize == 0 {
		cfg.ContextSize = DefaultContextSize
		if train > 0 {
			cfg.ContextSize = min(cfg.ContextSize, train)
		}
		if positions > 0 {
			cfg.ContextSize = min(cfg.ContextSize, positions)
		}
		if cfg.ContextSize < 8 {
			return &ConfigError{Field: "ContextSize", Value: cfg.ContextSize,
				Reason: fmt.Sprintf("the model's file allows only %d tokens (trained context %d)", cfg.ContextSize, train)}
		}
		return nil
	}
	if positions > 0 && cfg.ContextSize > positions {
		return &ConfigError{Field: "ContextSize", Value: cfg.ContextSize,
			Reason: fmt.Sprintf("the model has learned positions for %d tokens (its trained context): a longer text would abort llama.cpp", positions)}
	}
	return nil
}

// clampThreads lowers Threads to the logical CPUs the process may use,
// and Contexts to Threads, on the CPU: ggml's threads spin while they
// wait for each other, so threads past the CPUs slow every decode down
// (513 threads on 2 CPUs took minutes per text and the machine with
// them), and a context without a thread of its own never runs beside the
// others while each costs its buffers. It returns what it lowered.
func clampThreads(cfg *ModelConfig, h host) []string {
	if !h.cpu || h.cpus <= 0 {
		return nil
	}
	var clamped []string
	if cfg.Threads > h.cpus {
		clamped = append(clamped, fmt.Sprintf("Threads %d lowered to the %d CPUs this process may use", cfg.Threads, h.cpus))
		cfg.Threads = h.cpus
	}
	if cfg.Contexts > cfg.Threads {
		clamped = append(clamped, fmt.Sprintf("Contexts %d lowered to the %d threads they share", cfg.Contexts, cfg.Threads))
		cfg.Contexts = cfg.Threads
	}
	return clamped
}

// planBatch resolves the batch, thread and context settings, and returns
// those it lowered (see clampThreads).
func planBatch(cfg *ModelConfig, causal bool, vocab int, h host) ([]string, error) {
	if cfg.BatchSize == 0 {
		// A multiple of 64, so that many sequences divide it (see
		// MaxSequences below): 514-token models exist.
		cfg.BatchSize = (max(cfg.ContextSize, DefaultBatchSize) + 63) &^ 63
	}
	if cfg.BatchSize < cfg.ContextSize {
		return nil, &ConfigError{Field: "BatchSize", Value: cfg.BatchSize, Reason: fmt.Sprintf("must be at least the context size (%d)", cfg.ContextSize)}
	}
	if cfg.Threads == 0 {
		cfg.Threads = max(h.cores, 1)
	}
	clamped := clampThreads(cfg, h)
	if cfg.Contexts == 0 {
		cfg.Contexts = 1
		if h.cpu && cfg.Threads > 1 {
			cfg.Contexts = 2
		}
	}
	if cfg.BatchTarget == 0 {
		cfg.BatchTarget = DefaultBatchTarget
		if cfg.Contexts > 1 {
			cfg.BatchTarget = DefaultBatchTarget / 2
		}
	}
	cfg.BatchTarget = min(cfg.BatchTarget, cfg.BatchSize)
	// UBatchSize is at most BatchSize, for every model; checked here
	// because BatchSize may have been planned above.
	if cfg.UBatchSize > cfg.BatchSize {
		return nil, &ConfigError{Field: "UBatchSize", Value: cfg.UBatchSize, Reason: fmt.Sprintf("must be at most the batch size (%d)", cfg.BatchSize)}
	}
	// Encoders evaluate each sequence in one ubatch: llama.cpp aborts
	// otherwise, so the ubatch is the whole batch. A decoder's ubatch
	// bounds its vocabulary-sized buffers (see outputTokens).
	if cfg.UBatchSize == 0 && causal {
		cfg.UBatchSize = outputTokens(vocab, cfg.BatchSize)
		if q := cfg.MaxSequences; q > 0 && q <= cfg.BatchSize {
			// A set MaxSequences must divide the ubatch.
			cfg.UBatchSize = min(max(cfg.UBatchSize/q, 1)*q, cfg.BatchSize/q*q)
		}
	}
	if cfg.UBatchSize == 0 || !causal {
		cfg.UBatchSize = cfg.BatchSize
	}
	// llama.cpp asserts (aborts) unless n_seq_max <= n_batch, and, when
	// it reserves a context for mean pooling, unless n_seq_max divides
	// n_ubatch. A batch holds more than BatchTarget tokens only when it is
	// one long text, so more sequences than that are never packed; and
	// llama.cpp keeps n_vocab floats per sequence in every context's
	// output buffer.
	if cfg.MaxSequences == 0 {
		cfg.MaxSequences = largestDivisor(cfg.UBatchSize, min(DefaultMaxSequences, cfg.BatchTarget))
	}
	if cfg.MaxSequences > cfg.BatchSize {
		return nil, &ConfigError{Field: "MaxSequences", Value: cfg.MaxSequences, Reason: fmt.Sprintf("must be at most the batch size (%d)", cfg.BatchSize)}
	}
	if cfg.UBatchSize%cfg.MaxSequences != 0 {
		return nil, &ConfigError{Field: "MaxSequences", Value: cfg.MaxSequences,
			Reason: fmt.Sprintf("must divide the ubatch size (%d): llama.cpp aborts otherwise when it prepares mean pooling", cfg.UBatchSize)}
	}
	return clamped, nil
}

// logitsBudget is what a decoder context may spend on each of its two
// vocabulary-sized buffers. llama.cpp (llama_context::output_reserve of
// the pinned source) reserves n_vocab logits per output token even with
// embeddings on, where every token of a llama_decode call is an output,
// and the graph's LM head writes as many in the compute buffer per
// ubatch: with Qwen3's 151,936 tokens that is 594 KiB per token, 2.3 GiB
// each for a 4,096-token text in one call. Embedding never reads them.
// 256 MiB gives Qwen3 ubatches of 384 tokens, above the batch target, so
// only texts longer than that take several calls: with 128 MiB (192
// tokens) texts of 200 tokens took two, and a batch of 256 texts of 80 to
// 232 tokens on qwen3-last took 25% longer than in one call each.
const logitsBudget = 256 << 20

// outputTokens is a decoder's default ubatch: the most tokens whose
// logits fit logitsBudget, a multiple of 64 from 64 to batch. The
// evaluator gives llama.cpp one ubatch per call (evaluator.Decode), so
// both buffers stay within the budget; a 32,000-token vocabulary gets
// ubatches of 2,048.
func outputTokens(vocab, batch int) int {
	n := logitsBudget / (4 * max(vocab, 1))
	n = max(n&^63, 64)
	return min(n, batch)
}

// absolutePositions returns how many positions a model with learned
// absolute position embeddings has rows for, or 0 when positions are
// relative (RoPE, ALiBi). In llama.cpp v0.5.0 the graphs of bert, gpt2,
// starcoder and mpt (when the file has the tensor) add rows of
// position_embd, which holds n_ctx_train rows.
func absolutePositions(f *gguf.File) int {
	for _, t := range f.Tensors {
		if t.Name == "position_embd.weight" && len(t.Dims) == 2 && t.Dims[1] > 0 && t.Dims[1] < 1<<31 {
			return int(t.Dims[1])
		}
	}
	switch f.Architecture() {
	case "bert", "gpt2", "starcoder":
		return f.ContextLength()
	}
	return 0
}

// largestDivisor returns the largest divisor of n that is at most limit.
func largestDivisor(n, limit int) int {
	for d := min(n, limit); d > 1; d-- {
		if n%d == 0 {
			return d
		}
	}
	return 1
}

// chooseFlashAttention resolves FlashAttentionAuto. ggml's CPU
// flash-attention kernel is vectorized only when a head's values are a
// multiple of the SIMD width (16 floats with AVX-512); other heads go
// through a scalar loop with an exp per score, which costs more than the
// plain matrix path (BENCHMARKS.md, "Which attention kernel"). On GPUs,
// llama.cpp's own choice stands.
func chooseFlashAttention(set FlashAttention, headSize int, cpu bool) FlashAttention {
	if set == FlashAttentionAuto && cpu && headSize > 0 && headSize%16 != 0 {
		return FlashAttentionOff
	}
	return set
}

// isEncoderArch reports architectures llama.cpp runs with non-causal
// attention when their file does not say.
func isEncoderArch(arch string) bool {
	switch arch {
	case "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert", "neo-bert", "eurobert", "t5encoder":
		return true
	}
	return false
}

// estimateMemory is a deliberately generous estimate of a model's
// footprint: its weights, plus contextMemory per context.
func estimateMemory(f *gguf.File, cfg ModelConfig, causal bool) int64 {
	return int64(f.TensorBytes()) + int64(cfg.Contexts)*contextMemory(f, cfg, causal) + 64<<20
}

// contextMemory bounds what one llama context of the model holds once it
// has evaluated the longest batch (ModelInfo.ContextMemory): the KV cache
// (decoders: n_ctx = BatchSize cells, K and V in F16, every layer), the
// compute buffer of one ubatch (activations, attention scores against
// the whole cache as without flash attention, the LM head's logits), and
// the output buffer, which llama.cpp sizes for the outputs of one
// llama_decode call (the evaluator makes a call one ubatch) with a
// vocabulary-sized row of logits and an embedding each. llama.cpp never
// shrinks these buffers, so the bound is also what a context keeps.
func contextMemory(f *gguf.File, cfg ModelConfig, causal bool) int64 {
	embd := int64(max(f.EmbeddingLength(), 1))
	heads := int64(max(f.HeadCount(), 1))
	layers := int64(max(f.BlockCount(), 1))
	vocab := int64(max(f.VocabSize(), 0))
	ff := int64(4 * embd)
	if n, ok := f.Uint(f.Architecture() + ".feed_forward_length"); ok && n < 1<<24 {
		ff = int64(n)
	}
	ub, batch := int64(cfg.UBatchSize), int64(cfg.BatchSize)
	outputs := max(ub, int64(cfg.MaxSequences))
	compute := ub*(6*embd+2*ff)*4 + ub*batch*heads*4 + ub*vocab*4
	output := outputs * (vocab + embd) * 4
	var kv int64
	if causal {
		kv = batch * layers * 2 * embd * 2
	}
	return kv + compute + output + 16<<20
}
