package embed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// ModelInfo describes a loaded model: what its GGUF file says, and how the
// engine runs it.
type ModelInfo struct {
	Name string
	Path string
	// Architecture is general.architecture, such as "bert" or "qwen3".
	Architecture string
	// Dim is the length of the vectors the model returns.
	Dim int
	// ContextSize is the longest text accepted, in tokens.
	ContextSize int
	// TrainedContext is the context length the model was trained with.
	TrainedContext int
	// Pooling is the pooling used when a call does not choose one.
	Pooling Pooling
	// DeclaredPooling is the pooling the GGUF file declares: "mean", "cls",
	// "last", "rank", or "none" when it declares none.
	DeclaredPooling string
	// IsEmbeddingModel reports whether the file declares a sentence
	// pooling, which is how llama.cpp recognizes embedding models.
	IsEmbeddingModel bool
	// Causal reports whether attention is causal (decoder-style models).
	Causal bool
	// FileType is the quantization, such as "F16" or "Q8_0".
	FileType string
	// Parameters is the number of weights.
	Parameters uint64
	// FileSize is the size of the GGUF file in bytes.
	FileSize int64
	// VocabSize is the number of tokens; Tokenizer the tokenizer model.
	VocabSize int
	Tokenizer string
	// AddBOS, AddEOS and AddSEP report the special tokens tokenization
	// adds: BOS (or CLS) in front, EOS or SEP at the end.
	AddBOS, AddEOS, AddSEP bool
	// BatchSize, BatchTarget, MaxSequences, Threads and Contexts are the
	// settings in use.
	BatchSize, BatchTarget, MaxSequences, Threads, Contexts int
	// FlashAttention is the attention kernel the engine asked llama.cpp
	// for: on, off, or auto when llama.cpp decides (Config.FlashAttention).
	FlashAttention FlashAttention
	// HeadSize is the width of one attention head's values.
	HeadSize int
	// EstimatedMemory is the footprint checked against Config.MemoryLimit.
	EstimatedMemory int64
}

// model is a loaded model with its queue and workers.
type model struct {
	id      uint64
	name    string
	cfg     Config
	info    ModelInfo
	pooling Pooling
	encode  bool
	lmodel  *llama.Model
	vocab   *llama.Vocab
	// specials is the number of special tokens around every text; see
	// specialCount.
	specialsOnce sync.Once
	specials     int

	mu      sync.Mutex
	idle    []*worker // waiting for work, the most recently active last
	jobs    []*job    // jobs with items not yet taken, served round-robin
	next    int       // round-robin position in jobs
	queued  int       // items not yet taken
	free    int       // CPU threads no decode is using (of cfg.Threads)
	busy    int       // workers evaluating a batch
	closing bool
	workers sync.WaitGroup

	onBatch                    func(BatchInfo)
	batches, sequences, tokens atomic.Uint64
}

// item is one text of a job, tokenized.
type item struct {
	job    *job
	idx    int
	tokens []int32
}

// job is one call's texts, as the workers see them.
type job struct {
	ctx      context.Context
	pooling  Pooling
	perToken bool
	items    []item // sorted longest first; [lo, hi) not yet taken
	lo, hi   int

	out      [][]float32   // raw pooled vector per input
	tokOut   [][][]float32 // per-token vectors per input (perToken)
	errs     []error
	pending  atomic.Int64
	finished atomic.Int64
	progress chan struct{}
	done     chan struct{}
	doneOnce sync.Once
	err      error // set before done closes when the whole job failed
	canceled atomic.Bool
}

func (j *job) close(err error) {
	j.doneOnce.Do(func() {
		j.err = err
		close(j.done)
	})
}

// finish records the outcome of item it.
func (j *job) finish(idx int, vec []float32, toks [][]float32, err error) {
	switch {
	case err != nil:
		j.errs[idx] = err
	case j.perToken:
		j.tokOut[idx] = toks
	default:
		j.out[idx] = vec
	}
	j.finished.Add(1)
	select {
	case j.progress <- struct{}{}:
	default:
	}
	if j.pending.Add(-1) == 0 {
		j.close(nil)
	}
}

var modelIDs atomic.Uint64

// loadModel validates the file with the Go GGUF reader, loads it in
// llama.cpp, and starts its workers.
func loadModel(ctx context.Context, lib *llama.Library, name string, cfg Config) (*model, error) {
	fi, err := os.Stat(cfg.ModelPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: %s", ErrModelNotFound, cfg.ModelPath)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	case fi.IsDir():
		return nil, fmt.Errorf("%w: %s is a directory", ErrModelLoad, cfg.ModelPath)
	}
	// The Go reader checks the whole header before llama.cpp's C parser,
	// which aborts the process on some malformed files, sees it.
	gf, err := gguf.Open(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrModelLoad, cfg.ModelPath, err)
	}
	m := &model{id: modelIDs.Add(1), name: name, onBatch: cfg.OnBatch}
	cpu := cfg.NoGPU || !lib.HasGPU()
	if err := m.plan(gf, fi.Size(), cfg, cpu); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	mp, err := llama.DefaultModelParams()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	switch {
	case m.cfg.NoGPU:
		mp.NGPULayers = 0
	case m.cfg.GPULayers > 0:
		mp.NGPULayers = int32(m.cfg.GPULayers)
	}
	mp.MainGPU = int32(m.cfg.MainGPU)
	if !cfg.MapModel && fi.Size() <= MapThreshold {
		mp.LoadMode = llama.LoadModeNone
	}
	lm, err := llama.LoadModel(cfg.ModelPath, mp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModelLoad, err)
	}
	m.info.FlashAttention = chooseFlashAttention(m.cfg.FlashAttention, m.info.HeadSize, cpu)
	m.lmodel, m.vocab = lm, lm.Vocab()
	m.encode = lm.HasEncoder() && !lm.HasDecoder()
	if d := lm.NEmbdOut(); d > 0 {
		m.info.Dim = d
	}
	m.info.AddBOS, m.info.AddEOS, m.info.AddSEP = m.vocab.AddBOS(), m.vocab.AddEOS(), m.vocab.AddSEP()
	m.free = m.cfg.Threads

	// The first context is created now, so that a configuration llama.cpp
	// cannot serve fails the load rather than the first call.
	w, err := newWorker(m, 0)
	if err == nil {
		_, err = w.context(m.pooling, false)
	}
	if err != nil {
		if w != nil {
			w.close()
		}
		lm.Close()
		return nil, err
	}
	workers := []*worker{w}
	for i := 1; i < m.cfg.Contexts; i++ {
		w, err := newWorker(m, i)
		if err != nil {
			for _, w := range workers {
				w.close()
			}
			lm.Close()
			return nil, err
		}
		workers = append(workers, w)
	}
	for _, w := range workers {
		m.workers.Add(1)
		go m.serve(w)
	}
	return m, nil
}

// plan resolves the configuration for this file and fills m.info; cpu
// reports that the model is evaluated on the CPU.
func (m *model) plan(f *gguf.File, size int64, cfg Config, cpu bool) error {
	arch := f.Architecture()
	causal, ok := f.Causal()
	if !ok {
		causal = !isEncoderArch(arch)
	}
	declared := "none"
	if p, ok := f.PoolingType(); ok {
		declared = p.String()
	}
	m.pooling = cfg.Pooling
	if m.pooling == PoolingDefault {
		switch declared {
		case "mean":
			m.pooling = PoolingMean
		case "cls":
			m.pooling = PoolingCLS
		case "last":
			m.pooling = PoolingLast
		case "rank":
			return fmt.Errorf("%w: %s declares rank pooling (a reranker): it scores pairs, it does not embed; set Config.Pooling to embed with it",
				ErrNotEmbeddingModel, cfg.ModelPath)
		default:
			return fmt.Errorf("%w: %s (%s) declares no pooling; set Config.Pooling (mean, cls or last) to embed with it anyway",
				ErrNotEmbeddingModel, cfg.ModelPath, arch)
		}
	}

	train := f.ContextLength()
	if cfg.ContextSize == 0 {
		cfg.ContextSize = DefaultContextSize
		if train > 0 {
			cfg.ContextSize = min(cfg.ContextSize, train)
		}
	}
	if cfg.BatchSize == 0 {
		// A multiple of 64, so that many sequences divide it (see
		// MaxSequences below): 514-token models exist.
		cfg.BatchSize = (max(cfg.ContextSize, DefaultBatchSize) + 63) &^ 63
	}
	if cfg.BatchSize < cfg.ContextSize {
		return &ConfigError{Field: "BatchSize", Value: cfg.BatchSize, Reason: fmt.Sprintf("must be at least the context size (%d)", cfg.ContextSize)}
	}
	if cfg.Threads == 0 {
		cfg.Threads = platform.PhysicalCores()
	}
	if cfg.Contexts == 0 {
		cfg.Contexts = 1
		if cpu && cfg.Threads > 1 {
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
	// Encoders evaluate each sequence in one ubatch: llama.cpp aborts
	// otherwise, so the ubatch is the whole batch.
	if cfg.UBatchSize == 0 || !causal || cfg.UBatchSize > cfg.BatchSize {
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
		return &ConfigError{Field: "MaxSequences", Value: cfg.MaxSequences, Reason: fmt.Sprintf("must be at most the batch size (%d)", cfg.BatchSize)}
	}
	if cfg.UBatchSize%cfg.MaxSequences != 0 {
		return &ConfigError{Field: "MaxSequences", Value: cfg.MaxSequences,
			Reason: fmt.Sprintf("must divide the ubatch size (%d): llama.cpp aborts otherwise when it prepares mean pooling", cfg.UBatchSize)}
	}
	m.cfg = cfg
	m.info = ModelInfo{
		Name:             m.name,
		Path:             cfg.ModelPath,
		Architecture:     arch,
		Dim:              f.EmbeddingLength(),
		ContextSize:      cfg.ContextSize,
		TrainedContext:   train,
		Pooling:          m.pooling,
		DeclaredPooling:  declared,
		IsEmbeddingModel: f.IsEmbeddingModel(),
		Causal:           causal,
		FileType:         f.FileType(),
		Parameters:       f.ParameterCount(),
		FileSize:         size,
		VocabSize:        f.VocabSize(),
		Tokenizer:        f.TokenizerModel(),
		BatchSize:        cfg.BatchSize,
		BatchTarget:      cfg.BatchTarget,
		MaxSequences:     cfg.MaxSequences,
		Threads:          cfg.Threads,
		Contexts:         cfg.Contexts,
		HeadSize:         f.HeadSize(),
		EstimatedMemory:  estimateMemory(f, cfg, causal),
	}
	if cfg.MemoryLimit > 0 && m.info.EstimatedMemory > cfg.MemoryLimit {
		return fmt.Errorf("%w: %s needs about %d MiB, the limit is %d MiB",
			ErrMemoryLimit, cfg.ModelPath, m.info.EstimatedMemory>>20, cfg.MemoryLimit>>20)
	}
	return nil
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
// plain matrix path (on this project's machine, stories260K with 8-wide
// heads embedded 1.3x faster without it, while 32-wide heads were a little
// faster with it). On GPUs, llama.cpp's own choice stands.
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
// footprint: its weights, plus per context the KV cache (causal models),
// the activations of one ubatch with the attention scores, and the
// output buffer.
func estimateMemory(f *gguf.File, cfg Config, causal bool) int64 {
	embd := int64(max(f.EmbeddingLength(), 1))
	heads := int64(max(f.HeadCount(), 1))
	layers := int64(max(f.BlockCount(), 1))
	ff := int64(4 * embd)
	if n, ok := f.Uint(f.Architecture() + ".feed_forward_length"); ok && n < 1<<24 {
		ff = int64(n)
	}
	ub, batch := int64(cfg.UBatchSize), int64(cfg.BatchSize)
	perCtx := ub*(6*embd+2*ff)*4 + ub*ub*heads*4 + batch*embd*4
	// llama.cpp's output buffer keeps a row of n_vocab floats per output
	// (every token of the largest batch so far), even in embedding mode.
	perCtx += int64(max(f.VocabSize(), 0)) * batch * 4
	if causal {
		perCtx += batch * layers * 2 * embd * 2
	}
	return int64(f.TensorBytes()) + int64(cfg.Contexts)*perCtx + 64<<20
}

// tokenize returns the tokens of text within the context size, applying
// truncation, and whether it truncated.
func (m *model) tokenize(text string, trunc Truncation) ([]int32, bool, error) {
	switch {
	case !utf8.ValidString(text):
		return nil, false, ErrInvalidUTF8
	case strings.IndexByte(text, 0) >= 0:
		return nil, false, ErrNULByte
	case strings.TrimSpace(text) == "":
		return nil, false, ErrEmptyInput
	}
	toks, err := m.vocab.Tokenize(text, true, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	if len(toks) <= m.specialCount() { // only characters the tokenizer drops, such as U+200B
		return nil, false, ErrEmptyInput
	}
	limit := m.cfg.ContextSize
	if len(toks) <= limit {
		return toks, false, nil
	}
	if trunc == TruncateNone {
		return toks, false, ErrTooLong
	}
	// Cut the text's own tokens, keeping the special tokens around them:
	// toks = toks[:head] + body + toks[head+len(body):].
	body, err := m.vocab.Tokenize(text, false, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	specials := len(toks) - len(body)
	head := -1
	for h := 0; h <= specials && specials >= 0; h++ {
		if slices.Equal(toks[h:h+len(body)], body) {
			head = h
			break
		}
	}
	if head < 0 || specials >= limit {
		return toks, false, ErrTooLong
	}
	keep := limit - specials
	kept := body[:keep]
	if trunc == TruncateStart {
		kept = body[len(body)-keep:]
	}
	out := make([]int32, 0, limit)
	out = append(out, toks[:head]...)
	out = append(out, kept...)
	out = append(out, toks[head+len(body):]...)
	return out, true, nil
}

// checkTokens validates token ids given by the caller, applying
// truncation by plain slicing (no special tokens are involved).
func (m *model) checkTokens(ids []int32, trunc Truncation) ([]int32, bool, error) {
	if len(ids) == 0 {
		return nil, false, ErrEmptyInput
	}
	for _, id := range ids {
		if id < 0 || int(id) >= m.info.VocabSize {
			return nil, false, fmt.Errorf("%w: %d (vocabulary of %d)", ErrInvalidToken, id, m.info.VocabSize)
		}
	}
	limit := m.cfg.ContextSize
	switch {
	case len(ids) <= limit:
		return ids, false, nil
	case trunc == TruncateEnd:
		return ids[:limit:limit], true, nil
	case trunc == TruncateStart:
		return ids[len(ids)-limit:], true, nil
	}
	return ids, false, ErrTooLong
}

func (m *model) libErr(err error) error {
	if errors.Is(err, llama.ErrClosed) {
		return ErrModelUnloaded
	}
	return err
}

// submit queues j, or fails at once when the model is unloading or its
// queue is full.
func (m *model) submit(j *job) error {
	n := j.hi - j.lo
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closing:
		return ErrModelUnloaded
	case m.cfg.MaxQueue > 0 && m.queued+n > m.cfg.MaxQueue:
		return fmt.Errorf("%w: %d queued, %d more would exceed %d", ErrOverloaded, m.queued, n, m.cfg.MaxQueue)
	}
	m.jobs = append(m.jobs, j)
	m.queued += n
	m.wake()
	return nil
}

// withdraw removes a canceled job's untaken items from the queue.
func (m *model) withdraw(j *job) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.jobs, j); i >= 0 {
		m.queued -= j.hi - j.lo
		j.lo = j.hi
		m.jobs = slices.Delete(m.jobs, i, i+1)
		if m.next > i {
			m.next--
		}
	}
}

// wake wakes the idle worker that was active last, if any, when a thread
// is free for it (otherwise the worker holding the threads takes the work
// when it is done). It holds m.mu. The last one is chosen because its
// OpenMP threads may still be spinning and its caches are warm: waking
// workers in turn slowed single texts by 10-20% (MiniLM shape, 2 cores),
// as the other worker's idle threads spun on the cores the decode needed.
func (m *model) wake() {
	if n := len(m.idle); n > 0 && (m.free > 0 || m.closing) {
		w := m.idle[n-1]
		m.idle = m.idle[:n-1]
		w.wake.Signal()
	}
}

// pack takes the next batch of items for w and the CPU threads to
// evaluate it with, or reports that the model is closing. It holds m.mu.
// Jobs are served round-robin, one pooling kind per batch; within a job
// the longest items go first, and the gaps are filled with the shortest.
func (m *model) pack(w *worker, seqs []item) ([]item, int, bool) {
	for (len(m.jobs) == 0 || m.free == 0) && !m.closing {
		m.idle = append(m.idle, w)
		w.wake.Wait()
	}
	if m.closing {
		return nil, 0, false
	}
	if m.next >= len(m.jobs) {
		m.next = 0
	}
	first := m.jobs[m.next]
	// Pack up to the target; a longer text goes alone, and the budget
	// grows to hold it (it is at most BatchSize).
	budget, slots := m.cfg.BatchTarget, m.cfg.MaxSequences
	if first.lo < first.hi {
		budget = max(budget, len(first.items[first.lo].tokens))
	}
	take := func(it item) {
		seqs = append(seqs, it)
		budget -= len(it.tokens)
		slots--
	}
	for k := 0; k < len(m.jobs) && slots > 0; k++ {
		j := m.jobs[(m.next+k)%len(m.jobs)]
		if j.pooling != first.pooling || j.perToken != first.perToken || j.canceled.Load() {
			continue
		}
		for slots > 0 && j.lo < j.hi {
			if len(j.items[j.lo].tokens) <= budget {
				take(j.items[j.lo])
				j.lo++
			} else if len(j.items[j.hi-1].tokens) <= budget {
				take(j.items[j.hi-1])
				j.hi--
			} else {
				break
			}
		}
	}
	m.queued -= len(seqs)
	// Drop exhausted and canceled jobs; the next batch starts with the job
	// after the first one served here.
	kept, next := m.jobs[:0], 0
	for i, j := range m.jobs {
		live := j.lo < j.hi && !j.canceled.Load()
		if !live {
			m.queued -= j.hi - j.lo
			j.lo = j.hi
			continue
		}
		kept = append(kept, j)
		if i <= m.next {
			next = len(kept)
		}
	}
	clear(m.jobs[len(kept):])
	m.jobs, m.next = kept, next
	threads := m.threads()
	// submit woke one worker; if work is left, pass it on to the next.
	if len(m.jobs) > 0 {
		m.wake()
	}
	return seqs, threads, true
}

// threads takes CPU threads for a batch about to be evaluated. A batch
// evaluated alone, with nothing else waiting, gets every free thread: a
// single text is answered as fast as the cores allow. When batches run
// side by side, each gets its share of Config.Threads: ggml's threads
// wait for each other after every operation of a decode, and on small
// batches two decodes of one thread each outrun one decode of two
// (measured: 1.2x the texts per second on 2 cores, MiniLM shape).
// It holds m.mu; release gives the threads back.
func (m *model) threads() int {
	n := m.free
	if m.busy > 0 || len(m.jobs) > 0 {
		n = min(n, (m.cfg.Threads+m.cfg.Contexts-1)/m.cfg.Contexts)
	}
	m.free -= n
	m.busy++
	return n
}

// release gives back the threads of an evaluated batch. The worker then
// packs the next batch itself, and wakes another if work is left.
func (m *model) release(threads int) {
	m.mu.Lock()
	m.free += threads
	m.busy--
	m.mu.Unlock()
}

// serve is a worker's loop: take a batch, evaluate it, deliver.
//
// The goroutine keeps one OS thread: ggml's OpenMP build keeps a pool of
// worker threads per calling thread, so decodes issued from whichever
// thread the scheduler picked would spread over several pools whose
// threads then sleep and wake in the kernel at every barrier (measured:
// 5% of MiniLM's throughput, 13% of stories260K's time in futex calls).
func (m *model) serve(w *worker) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer m.workers.Done()
	defer w.close()
	var seqs []item
	for {
		m.mu.Lock()
		var (
			threads int
			ok      bool
		)
		seqs, threads, ok = m.pack(w, seqs[:0])
		m.mu.Unlock()
		if !ok {
			return
		}
		w.threads = threads
		w.run(seqs)
		m.release(threads)
	}
}

// count adds a batch to the counters of Stats and returns its tokens.
func (m *model) count(seqs []item) int {
	tokens := 0
	for _, it := range seqs {
		tokens += len(it.tokens)
	}
	m.batches.Add(1)
	m.sequences.Add(uint64(len(seqs)))
	m.tokens.Add(uint64(tokens))
	return tokens
}

// observe reports an evaluated batch to Config.OnBatch.
func (m *model) observe(b BatchInfo) {
	if m.onBatch != nil {
		b.Model, b.Budget = m.name, m.cfg.BatchSize
		m.onBatch(b)
	}
}

// close stops the workers after their current batch, fails every queued
// job with ErrModelUnloaded, and frees the model.
func (m *model) close() {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return
	}
	m.closing = true
	jobs := m.jobs
	m.jobs, m.queued = nil, 0
	for len(m.idle) > 0 {
		m.wake()
	}
	m.mu.Unlock()
	for _, j := range jobs {
		j.close(ErrModelUnloaded)
	}
	m.workers.Wait()
	m.lmodel.Close()
}

// parallel runs f(i) for i in [0, n) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+63)/64)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
