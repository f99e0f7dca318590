// Package llama is a thin, faithful binding to the part of llama.h that an
// embedding engine needs, called through purego without cgo.
//
// The native library is opened by [Load], never at import. Its functions
// are bound into unexported function variables, one table per area of
// llama.h (model.go, context.go, batch.go, vocab.go, backend.go), so
// [Load] can report every missing symbol at once. Go structs mirror the C
// structs of the pinned llama.cpp release byte for byte; a test compares
// their layout with a C probe compiled against the pinned headers.
//
// Only one llama library can be loaded in a process, because llama.cpp and
// ggml keep process-wide state. It stays loaded until the process exits.
//
// # Errors
//
// C status codes are mapped to Go errors here, at the lowest layer: a
// failed load is [ErrModelLoad], a decode that found no memory slot is
// [ErrKVCacheFull], and so on. Handles that were closed return [ErrClosed].
//
// # Memory
//
// Everything returned to Go is copied out of llama-owned memory before the
// call returns: embeddings, strings and token lists stay valid after the
// next decode and after the handle is closed.
package llama
