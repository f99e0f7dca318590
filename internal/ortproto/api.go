package ortproto

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/embellama/embellama/loader"
)

// apiVersion is the ORT_API_VERSION asked of GetApi. The entries used
// exist since version 1 and the table is append-only, so any ONNX Runtime
// from 1.13 on (onnxruntime-node 1.30.0 included) serves it.
const apiVersion = 13

// Indices into struct OrtApi (onnxruntime_c_api.h, counted from its first
// member, CreateStatus = 0). Each is a function pointer, 8 bytes on the
// 64-bit targets purego supports.
const (
	fnGetErrorMessage                  = 2   // const char* (const OrtStatus*)
	fnCreateEnv                        = 3   // OrtStatus* (OrtLoggingLevel, const char* logid, OrtEnv**)
	fnCreateSession                    = 7   // OrtStatus* (const OrtEnv*, const ORTCHAR_T* path, const OrtSessionOptions*, OrtSession**)
	fnRun                              = 9   // OrtStatus* (OrtSession*, const OrtRunOptions*, const char* const* in_names, const OrtValue* const* in, size_t, const char* const* out_names, size_t, OrtValue** out)
	fnCreateSessionOptions             = 10  // OrtStatus* (OrtSessionOptions**)
	fnSetSessionExecutionMode          = 13  // OrtStatus* (OrtSessionOptions*, ExecutionMode)
	fnSetSessionGraphOptimizationLevel = 23  // OrtStatus* (OrtSessionOptions*, GraphOptimizationLevel)
	fnSetIntraOpNumThreads             = 24  // OrtStatus* (OrtSessionOptions*, int)
	fnSetInterOpNumThreads             = 25  // OrtStatus* (OrtSessionOptions*, int)
	fnSessionGetInputCount             = 30  // OrtStatus* (const OrtSession*, size_t*)
	fnSessionGetOutputCount            = 31  // OrtStatus* (const OrtSession*, size_t*)
	fnSessionGetInputName              = 36  // OrtStatus* (const OrtSession*, size_t, OrtAllocator*, char**)
	fnSessionGetOutputName             = 37  // OrtStatus* (const OrtSession*, size_t, OrtAllocator*, char**)
	fnCreateTensorWithDataAsOrtValue   = 49  // OrtStatus* (const OrtMemoryInfo*, void*, size_t, const int64_t* shape, size_t, ONNXTensorElementDataType, OrtValue**)
	fnGetTensorMutableData             = 51  // OrtStatus* (OrtValue*, void**)
	fnGetDimensionsCount               = 61  // OrtStatus* (const OrtTensorTypeAndShapeInfo*, size_t*)
	fnGetDimensions                    = 62  // OrtStatus* (const OrtTensorTypeAndShapeInfo*, int64_t*, size_t)
	fnGetTensorTypeAndShape            = 65  // OrtStatus* (const OrtValue*, OrtTensorTypeAndShapeInfo**)
	fnCreateCpuMemoryInfo              = 69  // OrtStatus* (OrtAllocatorType, OrtMemType, OrtMemoryInfo**)
	fnAllocatorFree                    = 76  // OrtStatus* (OrtAllocator*, void*)
	fnGetAllocatorWithDefaultOptions   = 78  // OrtStatus* (OrtAllocator**)
	fnReleaseEnv                       = 92  // void (OrtEnv*)
	fnReleaseStatus                    = 93  // void (OrtStatus*)
	fnReleaseMemoryInfo                = 94  // void (OrtMemoryInfo*)
	fnReleaseSession                   = 95  // void (OrtSession*)
	fnReleaseValue                     = 96  // void (OrtValue*)
	fnReleaseTensorTypeAndShapeInfo    = 99  // void (OrtTensorTypeAndShapeInfo*)
	fnReleaseSessionOptions            = 100 // void (OrtSessionOptions*)
)

// C enum values (onnxruntime_c_api.h).
const (
	ortLoggingLevelWarning = 2  // ORT_LOGGING_LEVEL_WARNING
	ortSequential          = 0  // ORT_SEQUENTIAL
	ortEnableAll           = 99 // ORT_ENABLE_ALL
	ortArenaAllocator      = 1  // OrtArenaAllocator
	ortMemTypeDefault      = 0  // OrtMemTypeDefault
	tensorFloat            = 1  // ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT
	tensorInt64            = 7  // ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64
)

// Sentinel errors.
var (
	// ErrNoAPI: the library has no OrtGetApiBase, or GetApi refused
	// [apiVersion] (a runtime older than 1.13).
	ErrNoAPI = errors.New("ortproto: ONNX Runtime API unavailable")
	// ErrORT: an OrtApi call returned a non-null OrtStatus; the message is
	// ONNX Runtime's.
	ErrORT = errors.New("ortproto: ONNX Runtime error")
	// ErrModel: the graph lacks an input or output the prototype needs.
	ErrModel = errors.New("ortproto: unsupported model")
	// ErrInput: token ids the prototype cannot run (an empty text).
	ErrInput = errors.New("ortproto: bad input")
	// ErrUnsupported: Windows, where ORTCHAR_T model paths are UTF-16
	// (wchar_t); the prototype passes UTF-8 paths only.
	ErrUnsupported = errors.New("ortproto: unsupported platform")
)

// Runtime is a loaded ONNX Runtime library and its OrtEnv.
type Runtime struct {
	lib     *loader.Library
	api     uintptr // const OrtApi*
	version string
	env     uintptr // OrtEnv*
	mem     uintptr // OrtMemoryInfo* for CPU tensors
	alloc   uintptr // OrtAllocator* (default, owned by ORT)

	closeOnce sync.Once
}

// Open loads the ONNX Runtime library at path (libonnxruntime.so.1 of
// onnxruntime-node, for example) and creates its environment.
func Open(path string) (*Runtime, error) {
	lib, err := loader.Open(path)
	if err != nil {
		return nil, err
	}
	base, err := lib.Sym("OrtGetApiBase")
	if err != nil {
		lib.Close()
		return nil, fmt.Errorf("%w: %w", ErrNoAPI, err)
	}
	apiBase, _, _ := purego.SyscallN(base) // const OrtApiBase*: {GetApi, GetVersionString}
	getAPI, getVersion := slot(apiBase, 0), slot(apiBase, 1)
	api, _, _ := purego.SyscallN(getAPI, apiVersion)
	if api == 0 {
		lib.Close()
		return nil, fmt.Errorf("%w: GetApi(%d) returned NULL", ErrNoAPI, apiVersion)
	}
	v, _, _ := purego.SyscallN(getVersion)
	r := &Runtime{lib: lib, api: api, version: goString(v)}
	if err := r.init(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Runtime) init() error {
	logid := cString("embellama-ortproto")
	if err := r.call("CreateEnv", fnCreateEnv, ortLoggingLevelWarning, ptr(&logid[0]), ptr(&r.env)); err != nil {
		return err
	}
	if err := r.call("CreateCpuMemoryInfo", fnCreateCpuMemoryInfo, ortArenaAllocator, ortMemTypeDefault, ptr(&r.mem)); err != nil {
		return err
	}
	return r.call("GetAllocatorWithDefaultOptions", fnGetAllocatorWithDefaultOptions, ptr(&r.alloc))
}

// Version returns the library's version string, such as "1.30.0".
func (r *Runtime) Version() string { return r.version }

// Close releases the environment and unloads the library. Sessions must
// be closed first.
func (r *Runtime) Close() error {
	var err error
	r.closeOnce.Do(func() {
		if r.mem != 0 {
			r.release(fnReleaseMemoryInfo, r.mem)
		}
		if r.env != 0 {
			r.release(fnReleaseEnv, r.env)
		}
		err = r.lib.Close()
	})
	return err
}

// fn reads entry i of the OrtApi table.
func (r *Runtime) fn(i int) uintptr { return slot(r.api, i) }

// call runs a status-returning OrtApi entry and turns a non-null status
// into an error carrying ONNX Runtime's message.
func (r *Runtime) call(name string, i int, args ...uintptr) error {
	st, _, _ := purego.SyscallN(r.fn(i), args...)
	if st == 0 {
		return nil
	}
	msg, _, _ := purego.SyscallN(r.fn(fnGetErrorMessage), st)
	text := goString(msg)
	purego.SyscallN(r.fn(fnReleaseStatus), st)
	return fmt.Errorf("%w: %s: %s", ErrORT, name, text)
}

// release calls a void Release* entry.
func (r *Runtime) release(i int, p uintptr) { purego.SyscallN(r.fn(i), p) }

// slot reads the i-th pointer of a C array of function pointers.
func slot(table uintptr, i int) uintptr {
	return *(*uintptr)(unsafe.Add(cptr(table), i*int(unsafe.Sizeof(uintptr(0)))))
}

// cptr turns an address returned by C into a pointer. C memory is not
// moved by Go's collector, so the conversion is sound; going through the
// variable's address keeps vet's uintptr check for Go memory meaningful.
func cptr(u uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&u)) }

// ptr is the address of a Go value handed to C for the length of a call.
func ptr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// cString returns s NUL-terminated.
func cString(s string) []byte { return append([]byte(s), 0) }

// goString copies a NUL-terminated C string.
func goString(p uintptr) string {
	if p == 0 {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(cptr(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(cptr(p)), n))
}
