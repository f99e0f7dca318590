package llama

// The Go mirrors of llama.h's parameter structs, field for field, with the
// C padding spelled out. layout_test.go checks every offset and size
// against a C probe compiled with the pinned headers; change them only
// together with LLAMA_CPP_VERSION.

import "github.com/embellama/embellama/internal/gguf"

// SplitMode is enum llama_split_mode.
type SplitMode int32

// Split modes.
const (
	SplitModeNone  SplitMode = 0
	SplitModeLayer SplitMode = 1
	SplitModeRow   SplitMode = 2
)

// LoadMode is enum llama_load_mode.
type LoadMode int32

// Load modes.
const (
	LoadModeAuto LoadMode = -1
	LoadModeNone LoadMode = 0
	LoadModeMmap LoadMode = 1
)

// PoolingType is enum llama_pooling_type: the pooling type of the GGUF
// reader (internal/gguf), defined once there, so that what a file
// declares and what a context is given cannot drift apart.
type PoolingType = gguf.Pooling

// Pooling types.
const (
	PoolingUnspecified = gguf.PoolingUnspecified
	PoolingNone        = gguf.PoolingNone
	PoolingMean        = gguf.PoolingMean
	PoolingCLS         = gguf.PoolingCLS
	PoolingLast        = gguf.PoolingLast
	PoolingRank        = gguf.PoolingRank
)

// AttentionType is enum llama_attention_type.
type AttentionType int32

// Attention types.
const (
	AttentionUnspecified AttentionType = -1
	AttentionCausal      AttentionType = 0
	AttentionNonCausal   AttentionType = 1
)

// FlashAttnType is enum llama_flash_attn_type.
type FlashAttnType int32

// Flash attention settings.
const (
	FlashAttnAuto     FlashAttnType = -1
	FlashAttnDisabled FlashAttnType = 0
	FlashAttnEnabled  FlashAttnType = 1
)

// ModelParams mirrors struct llama_model_params. Pointer fields are kept as
// uintptr: this package always leaves them NULL.
type ModelParams struct {
	Devices                  uintptr // ggml_backend_dev_t *
	TensorBuftOverrides      uintptr // const struct llama_model_tensor_buft_override *
	NGPULayers               int32
	SplitMode                SplitMode
	LoadMode                 LoadMode
	LazyMode                 int32 // enum llama_lazy_mode
	MainGPU                  int32
	_                        [4]byte
	TensorSplit              uintptr // const float *
	ProgressCallback         uintptr // llama_progress_callback
	ProgressCallbackUserData uintptr // void *
	KVOverrides              uintptr // const struct llama_model_kv_override *
	VocabOnly                bool
	CheckTensors             bool
	UseExtraBufts            bool
	NoHost                   bool
	NoAlloc                  bool
	LoadMTP                  bool
	_                        [2]byte
}

// ContextParams mirrors struct llama_context_params.
type ContextParams struct {
	NCtx              uint32
	NBatch            uint32
	NUbatch           uint32
	NSeqMax           uint32
	NRsSeq            uint32
	NOutputsMax       uint32
	NOutputsMaxPerSeq uint32
	NThreads          int32
	NThreadsBatch     int32
	CtxType           int32 // enum llama_context_type
	RopeScalingType   int32 // enum llama_rope_scaling_type
	PoolingType       PoolingType
	AttentionType     AttentionType
	FlashAttnType     FlashAttnType
	RopeFreqBase      float32
	RopeFreqScale     float32
	YarnExtFactor     float32
	YarnAttnFactor    float32
	YarnBetaFast      float32
	YarnBetaSlow      float32
	YarnOrigCtx       uint32
	DefragThold       float32
	CbEval            uintptr // ggml_backend_sched_eval_callback
	CbEvalUserData    uintptr // void *
	TypeK             int32   // enum ggml_type
	TypeV             int32   // enum ggml_type
	AbortCallback     uintptr // ggml_abort_callback
	AbortCallbackData uintptr // void *
	Embeddings        bool
	OffloadKQV        bool
	NoPerf            bool
	OpOffload         bool
	SwaFull           bool
	KVUnified         bool
	_                 [2]byte
	Samplers          uintptr // struct llama_sampler_seq_config *
	NSamplers         uintptr // size_t
	CtxOther          uintptr // struct llama_context *
}

// cBatch mirrors struct llama_batch. Its arrays are allocated by
// llama_batch_init in C memory; Go pointers never enter it.
type cBatch struct {
	nTokens int32
	_       [4]byte
	token   *int32
	embd    *float32
	pos     *int32
	nSeqID  *int32
	seqID   **int32
	logits  *int8
}
