package llama

import (
	"fmt"
	"sync"

	"github.com/embellama/embellama/loader"
)

var (
	// struct llama_model_params llama_model_default_params(void);
	llamaModelDefaultParams func() ModelParams
	// struct llama_model * llama_model_load_from_file(const char * path_model, struct llama_model_params params);
	llamaModelLoadFromFile func(path string, params ModelParams) uintptr
	// void llama_model_free(struct llama_model * model);
	llamaModelFree func(model uintptr)
	// const struct llama_vocab * llama_model_get_vocab(const struct llama_model * model);
	llamaModelGetVocab func(model uintptr) uintptr
	// int32_t llama_model_n_ctx_train(const struct llama_model * model);
	llamaModelNCtxTrain func(model uintptr) int32
	// int32_t llama_model_n_embd(const struct llama_model * model);
	llamaModelNEmbd func(model uintptr) int32
	// int32_t llama_model_n_embd_out(const struct llama_model * model);
	llamaModelNEmbdOut func(model uintptr) int32
	// int32_t llama_model_n_layer(const struct llama_model * model);
	llamaModelNLayer func(model uintptr) int32
	// int32_t llama_model_n_head(const struct llama_model * model);
	llamaModelNHead func(model uintptr) int32
	// uint64_t llama_model_n_params(const struct llama_model * model);
	llamaModelNParams func(model uintptr) uint64
	// uint64_t llama_model_size(const struct llama_model * model);
	llamaModelSize func(model uintptr) uint64
	// int32_t llama_model_meta_val_str(const struct llama_model * model, const char * key, char * buf, size_t buf_size);
	llamaModelMetaValStr func(model uintptr, key string, buf *byte, size uintptr) int32
	// bool llama_model_has_encoder(const struct llama_model * model);
	llamaModelHasEncoder func(model uintptr) bool
	// bool llama_model_has_decoder(const struct llama_model * model);
	llamaModelHasDecoder func(model uintptr) bool
	// enum llama_ftype llama_model_ftype(const struct llama_model * model);
	llamaModelFtype func(model uintptr) int32
	// const char * llama_ftype_name(enum llama_ftype ftype);
	llamaFtypeName func(ftype int32) string
)

var modelFuncs = []loader.Binding{
	{Fn: &llamaModelDefaultParams, Name: "llama_model_default_params"},
	{Fn: &llamaModelLoadFromFile, Name: "llama_model_load_from_file"},
	{Fn: &llamaModelFree, Name: "llama_model_free"},
	{Fn: &llamaModelGetVocab, Name: "llama_model_get_vocab"},
	{Fn: &llamaModelNCtxTrain, Name: "llama_model_n_ctx_train"},
	{Fn: &llamaModelNEmbd, Name: "llama_model_n_embd"},
	{Fn: &llamaModelNEmbdOut, Name: "llama_model_n_embd_out"},
	{Fn: &llamaModelNLayer, Name: "llama_model_n_layer"},
	{Fn: &llamaModelNHead, Name: "llama_model_n_head"},
	{Fn: &llamaModelNParams, Name: "llama_model_n_params"},
	{Fn: &llamaModelSize, Name: "llama_model_size"},
	{Fn: &llamaModelMetaValStr, Name: "llama_model_meta_val_str"},
	{Fn: &llamaModelHasEncoder, Name: "llama_model_has_encoder"},
	{Fn: &llamaModelHasDecoder, Name: "llama_model_has_decoder"},
	{Fn: &llamaModelFtype, Name: "llama_model_ftype"},
	{Fn: &llamaFtypeName, Name: "llama_ftype_name"},
}

// DefaultModelParams returns llama_model_default_params().
func DefaultModelParams() (ModelParams, error) {
	if Loaded() == nil {
		return ModelParams{}, ErrNotLoaded
	}
	return llamaModelDefaultParams(), nil
}

// Model is a loaded model. Its methods are safe for concurrent use, but
// Close must not race with contexts still using the model: close every
// [Context] first.
type Model struct {
	mu sync.RWMutex
	p  uintptr
}

// LoadModel loads the GGUF file at path. llama.cpp parses the file in C;
// callers that accept untrusted files should validate them first.
func LoadModel(path string, params ModelParams) (*Model, error) {
	if Loaded() == nil {
		return nil, ErrNotLoaded
	}
	p := llamaModelLoadFromFile(path, params)
	if p == 0 {
		return nil, fmt.Errorf("%w: %s", ErrModelLoad, path)
	}
	return &Model{p: p}, nil
}

// Close frees the model. It is idempotent.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.p != 0 {
		llamaModelFree(m.p)
		m.p = 0
	}
	return nil
}

// handle returns the C pointer, or ErrClosed. The read lock is held until
// done is called, so Close waits for calls in flight.
func (m *Model) handle() (p uintptr, done func(), err error) {
	m.mu.RLock()
	if m.p == 0 {
		m.mu.RUnlock()
		return 0, nil, ErrClosed
	}
	return m.p, m.mu.RUnlock, nil
}

func modelInt[T any](m *Model, f func(uintptr) T) T {
	p, done, err := m.handle()
	if err != nil {
		var zero T
		return zero
	}
	defer done()
	return f(p)
}

// NEmbd returns the model's hidden size, llama_model_n_embd.
func (m *Model) NEmbd() int { return int(modelInt(m, llamaModelNEmbd)) }

// NEmbdOut returns the size of the embeddings the model outputs,
// llama_model_n_embd_out.
func (m *Model) NEmbdOut() int { return int(modelInt(m, llamaModelNEmbdOut)) }

// NCtxTrain returns the context length the model was trained with.
func (m *Model) NCtxTrain() int { return int(modelInt(m, llamaModelNCtxTrain)) }

// NLayer returns the number of layers.
func (m *Model) NLayer() int { return int(modelInt(m, llamaModelNLayer)) }

// NHead returns the number of attention heads.
func (m *Model) NHead() int { return int(modelInt(m, llamaModelNHead)) }

// NParams returns the number of parameters.
func (m *Model) NParams() uint64 { return modelInt(m, llamaModelNParams) }

// Size returns the total size of the model's tensors in bytes.
func (m *Model) Size() uint64 { return modelInt(m, llamaModelSize) }

// HasEncoder reports whether the model has an encoder (llama_encode).
func (m *Model) HasEncoder() bool { return modelInt(m, llamaModelHasEncoder) }

// HasDecoder reports whether the model has a decoder (llama_decode).
func (m *Model) HasDecoder() bool { return modelInt(m, llamaModelHasDecoder) }

// FileType returns the name of the model's file type, such as "F16" or
// "Q8_0".
func (m *Model) FileType() string {
	return llamaFtypeName(modelInt(m, llamaModelFtype))
}

// Meta returns the value of a GGUF metadata key as a string, and whether
// the model has it. Arrays are not supported by llama.cpp here.
func (m *Model) Meta(key string) (string, bool) {
	p, done, err := m.handle()
	if err != nil {
		return "", false
	}
	defer done()
	found := true
	s := cString(func(buf *byte, n uintptr) int32 {
		r := llamaModelMetaValStr(p, key, buf, n)
		found = r >= 0
		return r
	})
	return s, found
}

// Vocab returns the model's vocabulary. It is valid while the model is
// open.
func (m *Model) Vocab() *Vocab {
	return &Vocab{model: m}
}

// cString calls f, a C function that writes a NUL-terminated string of up
// to n bytes into buf and returns the full length (or < 0), growing the
// buffer when the result did not fit.
func cString(f func(buf *byte, n uintptr) int32) string {
	buf := make([]byte, 256)
	for {
		r := f(&buf[0], uintptr(len(buf)))
		if r < 0 {
			return ""
		}
		if int(r) < len(buf) {
			return string(buf[:r])
		}
		buf = make([]byte, int(r)+1)
	}
}
