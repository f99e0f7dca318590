package llama

import (
	"errors"
	"fmt"
)

// Sentinel errors, distinct because each calls for a different remedy.
var (
	// ErrNotLoaded: a function was called before [Load] succeeded.
	ErrNotLoaded = errors.New("llama: library not loaded")
	// ErrAlreadyLoaded: [Load] was called with a second, different library.
	ErrAlreadyLoaded = errors.New("llama: another library is already loaded")
	// ErrVersion: the library is not the pinned llama.cpp release, so its
	// structs may not match ours.
	ErrVersion = errors.New("llama: library version mismatch")
	// ErrClosed: the handle was closed.
	ErrClosed = errors.New("llama: handle closed")
	// ErrModelLoad: llama.cpp could not load the model file.
	ErrModelLoad = errors.New("llama: failed to load model")
	// ErrContextInit: llama.cpp could not create a context (usually memory).
	ErrContextInit = errors.New("llama: failed to create context")
	// ErrKVCacheFull: decode status 1, no memory slot for the batch.
	ErrKVCacheFull = errors.New("llama: no memory slot for the batch")
	// ErrAborted: decode status 2, the abort callback stopped the decode.
	ErrAborted = errors.New("llama: decode aborted")
	// ErrInvalidBatch: decode status -1, llama.cpp rejected the batch.
	ErrInvalidBatch = errors.New("llama: invalid batch")
	// ErrDecode: any other negative decode or encode status.
	ErrDecode = errors.New("llama: decode failed")
	// ErrTokenize: tokenization failed.
	ErrTokenize = errors.New("llama: tokenize failed")
	// ErrNoEmbeddings: llama.cpp returned no embedding for the requested
	// token or sequence.
	ErrNoEmbeddings = errors.New("llama: no embeddings")
	// ErrBatchFull: a token was added to a batch that has no room left.
	ErrBatchFull = errors.New("llama: batch full")
	// ErrQuantize: llama_model_quantize failed; the error says why.
	ErrQuantize = errors.New("llama: quantize failed")
)

// decodeError maps the status of llama_decode or llama_encode to an error.
func decodeError(op string, code int32) error {
	switch {
	case code == 0:
		return nil
	case code == 1:
		return fmt.Errorf("%s: %w (status %d)", op, ErrKVCacheFull, code)
	case code == 2:
		return fmt.Errorf("%s: %w (status %d)", op, ErrAborted, code)
	case code == -1:
		return fmt.Errorf("%s: %w (status %d)", op, ErrInvalidBatch, code)
	default:
		return fmt.Errorf("%s: %w (status %d)", op, ErrDecode, code)
	}
}
