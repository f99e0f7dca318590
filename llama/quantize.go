package llama

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/embellama/embellama/loader"
)

var (
	// struct llama_model_quantize_params llama_model_quantize_default_params(void);
	llamaModelQuantizeDefaultParams func() QuantizeParams
	// uint32_t llama_model_quantize(const char * fname_inp, const char * fname_out, const llama_model_quantize_params * params);
	llamaModelQuantize func(fnameInp, fnameOut string, params *QuantizeParams) uint32
)

var quantizeFuncs = []loader.Binding{
	{Fn: &llamaModelQuantizeDefaultParams, Name: "llama_model_quantize_default_params"},
	{Fn: &llamaModelQuantize, Name: "llama_model_quantize"},
}

// FileType is enum llama_ftype: the type most 2-D weights of a model file
// have (general.file_type).
type FileType int32

// The file types [Quantize] is known to write for embedding models. The
// other values of enum llama_ftype exist but are not offered.
const (
	FileTypeF32   FileType = 0  // LLAMA_FTYPE_ALL_F32
	FileTypeF16   FileType = 1  // LLAMA_FTYPE_MOSTLY_F16
	FileTypeQ4_0  FileType = 2  // LLAMA_FTYPE_MOSTLY_Q4_0
	FileTypeQ8_0  FileType = 7  // LLAMA_FTYPE_MOSTLY_Q8_0
	FileTypeQ4_KM FileType = 15 // LLAMA_FTYPE_MOSTLY_Q4_K_M
	FileTypeQ5_KM FileType = 17 // LLAMA_FTYPE_MOSTLY_Q5_K_M
	FileTypeQ6_K  FileType = 18 // LLAMA_FTYPE_MOSTLY_Q6_K
	FileTypeIQ4NL FileType = 25 // LLAMA_FTYPE_MOSTLY_IQ4_NL
	FileTypeBF16  FileType = 32 // LLAMA_FTYPE_MOSTLY_BF16
)

// String returns llama_ftype_name, such as "Q8_0" or "Q4_K - Medium",
// once the library is loaded, and the number before.
func (t FileType) String() string {
	if Loaded() == nil {
		return fmt.Sprintf("ftype(%d)", int32(t))
	}
	return llamaFtypeName(int32(t))
}

// TensorType is enum ggml_type: the type of one tensor.
type TensorType int32

// The tensor types a [TensorOverride] is known to set.
const (
	TensorTypeF32   TensorType = 0  // GGML_TYPE_F32
	TensorTypeF16   TensorType = 1  // GGML_TYPE_F16
	TensorTypeQ4_0  TensorType = 2  // GGML_TYPE_Q4_0
	TensorTypeQ8_0  TensorType = 8  // GGML_TYPE_Q8_0
	TensorTypeIQ4NL TensorType = 20 // GGML_TYPE_IQ4_NL
	TensorTypeBF16  TensorType = 30 // GGML_TYPE_BF16
)

// TensorOverride gives the tensors whose names match Pattern (a
// std::regex, searched as llama-quantize's --tensor-type does) the type
// Type instead of the one the file type would choose. llama.cpp compiles
// Pattern with std::regex and throws (aborting the process) on an
// invalid one: pass only patterns known to compile.
type TensorOverride struct {
	Pattern string
	Type    TensorType
}

// cTensorOverride mirrors struct llama_model_tensor_override.
type cTensorOverride struct {
	pattern *byte
	typ     TensorType
	_       [4]byte
}

// QuantizeParams mirrors struct llama_model_quantize_params. Pointer
// fields are kept as uintptr: this package leaves them NULL (no
// importance matrix or pruning), except the tensor overrides [Quantize]
// sets for one call.
type QuantizeParams struct {
	NThread              int32
	FType                FileType
	OutputTensorType     int32 // enum ggml_type; GGML_TYPE_COUNT = by ftype
	TokenEmbeddingType   int32 // enum ggml_type; GGML_TYPE_COUNT = by ftype
	AllowRequantize      bool
	QuantizeOutputTensor bool
	OnlyCopy             bool
	Pure                 bool
	KeepSplit            bool
	DryRun               bool
	_                    [2]byte
	Imatrix              uintptr // const struct llama_model_imatrix_data *
	KVOverrides          uintptr // const struct llama_model_kv_override *
	TTOverrides          uintptr // const struct llama_model_tensor_override *
	PruneLayers          uintptr // const int32_t *
	MaxBufSize           uintptr // size_t
}

// DefaultQuantizeParams returns llama_model_quantize_default_params().
func DefaultQuantizeParams() (QuantizeParams, error) {
	if Loaded() == nil {
		return QuantizeParams{}, ErrNotLoaded
	}
	return llamaModelQuantizeDefaultParams(), nil
}

// quantizeMu serialises Quantize: its error lines are captured from the
// process-wide log.
var quantizeMu sync.Mutex

// Quantize writes the model file in to out with its weights converted as
// p says, through llama_model_quantize. It runs to the end in C (it
// cannot be interrupted) on p.NThread threads. The pointer fields of p
// must be zero (Quantize sets TTOverrides from overrides).
//
// llama.cpp parses in with its own GGUF reader and asserts on some
// malformed files: callers validate in first. A failure llama.cpp reports
// is an [ErrQuantize] carrying the error lines it logged. Overrides, if
// any, become p's tensor overrides for this call.
func Quantize(in, out string, p QuantizeParams, overrides ...TensorOverride) error {
	if Loaded() == nil {
		return ErrNotLoaded
	}
	if p.Imatrix != 0 || p.KVOverrides != 0 || p.TTOverrides != 0 || p.PruneLayers != 0 {
		return fmt.Errorf("%w: pointer fields must be zero", ErrQuantize)
	}
	if strings.IndexByte(in, 0) >= 0 || strings.IndexByte(out, 0) >= 0 {
		return fmt.Errorf("%w: path contains a NUL byte", ErrQuantize)
	}
	for _, o := range overrides {
		if o.Pattern == "" || strings.IndexByte(o.Pattern, 0) >= 0 {
			return fmt.Errorf("%w: tensor override pattern %q is empty or contains a NUL byte", ErrQuantize, o.Pattern)
		}
	}
	// The overrides live in Go memory, which does not move, kept alive
	// until llama_model_quantize returns; the array ends with a NULL
	// pattern as llama.cpp expects.
	var tt []cTensorOverride
	if len(overrides) > 0 {
		tt = make([]cTensorOverride, len(overrides)+1)
		for i, o := range overrides {
			tt[i] = cTensorOverride{pattern: &append([]byte(o.Pattern), 0)[0], typ: o.Type}
		}
		p.TTOverrides = uintptr(unsafe.Pointer(&tt[0]))
	}
	defer runtime.KeepAlive(tt)
	quantizeMu.Lock()
	defer quantizeMu.Unlock()
	var lines []string
	capture.Lock()
	capture.lines = &lines
	capture.Unlock()
	code := llamaModelQuantize(in, out, &p)
	capture.Lock()
	capture.lines = nil
	capture.Unlock()
	if code != 0 {
		return fmt.Errorf("%w (status %d): %s", ErrQuantize, code, strings.Join(lines, "; "))
	}
	return nil
}
