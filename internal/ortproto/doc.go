// Package ortproto is a measured prototype, not a feature: it loads ONNX
// Runtime's C library (libonnxruntime) with purego, without cgo, the way
// package loader loads libllama, and embeds pre-tokenized texts through a
// BERT-class ONNX graph. It exists to answer issue 32's question ("what
// would a second runtime take, and how fast would it be from Go?") with
// numbers; docs/design/onnxruntime.md holds the answer. Nothing in the
// public API uses it.
//
// # The C API
//
// ONNX Runtime exports one function, OrtGetApiBase. Its GetApi(version)
// returns the OrtApi struct: a table of function pointers, append-only
// across releases (the header says entries are never reordered or
// removed), so an entry's index is the same in every release that has it.
// The indices in api.go were counted in
// include/onnxruntime/core/session/onnxruntime_c_api.h of
// microsoft/onnxruntime (struct OrtApi); every entry used is in the API
// version 1 table, and [apiVersion] is the lowest header version the
// indices were checked against. Each call goes through purego.SyscallN on
// the pointer read from the table.
//
// # Memory
//
// Input tensors wrap Go memory (CreateTensorWithDataAsOrtValue does not
// copy); the slices are kept alive until Run returns. Output tensors are
// allocated by ONNX Runtime and copied into Go slices before they are
// released, so no returned slice aliases C memory.
package ortproto
