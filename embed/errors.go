package embed

import (
	"errors"
	"fmt"
)

// Sentinel errors. Each is distinct because the caller's remedy differs.
var (
	// ErrEmptyInput: a text is empty or only white space; there is nothing
	// to embed. Drop it or replace it.
	ErrEmptyInput = errors.New("embed: empty input")
	// ErrInvalidUTF8: a text is not valid UTF-8. Fix its encoding.
	ErrInvalidUTF8 = errors.New("embed: input is not valid UTF-8")
	// ErrNULByte: a text contains a NUL byte, which C string handling would
	// cut it at. Remove it.
	ErrNULByte = errors.New("embed: input contains a NUL byte")
	// ErrTooLong: a text has more tokens than the context holds (or than
	// WithMaxTokens allows). Split it, enable truncation, or raise
	// ContextSize up to the trained context.
	ErrTooLong = errors.New("embed: input too long")
	// ErrTooManyInputs: a call has more inputs than WithMaxInputs allows.
	// Split the call.
	ErrTooManyInputs = errors.New("embed: too many inputs")
	// ErrTooManyTokens: a call's inputs together have more tokens than
	// WithMaxTotalTokens allows. Split the call.
	ErrTooManyTokens = errors.New("embed: too many tokens in the call")
	// ErrNoInput: a call was given no texts at all.
	ErrNoInput = errors.New("embed: no input")
	// ErrInvalidToken: a token id given as input is outside the model's
	// vocabulary.
	ErrInvalidToken = errors.New("embed: token id out of range")
	// ErrNonFinite: the model produced NaN or Inf; the vector is withheld.
	ErrNonFinite = errors.New("embed: embedding is not finite")

	// ErrModelNotFound: the model file does not exist.
	ErrModelNotFound = errors.New("embed: model file not found")
	// ErrModelLoad: the model file could not be loaded.
	ErrModelLoad = errors.New("embed: cannot load model")
	// ErrNotRegularFile: the model path names a FIFO, socket or device,
	// which reading would block on or never finish; it is refused before
	// it is opened, and comes wrapped with [ErrModelLoad]. Or the output
	// of [Engine.Quantize] is a device, FIFO, socket, directory or
	// symbolic link, which its rename would replace.
	ErrNotRegularFile = errors.New("embed: not a regular file")
	// ErrNotEmbeddingModel: the model declares no pooling, so it has no
	// sentence embedding of its own; set Config.Pooling to use it anyway.
	ErrNotEmbeddingModel = errors.New("embed: not an embedding model")
	// ErrMemoryLimit: the model's estimated footprint exceeds
	// Config.MemoryLimit.
	ErrMemoryLimit = errors.New("embed: model exceeds the memory limit")
	// ErrUnknownModel: no model of that name is loaded.
	ErrUnknownModel = errors.New("embed: unknown model")
	// ErrModelExists: a model of that name is already loaded.
	ErrModelExists = errors.New("embed: model name already in use")
	// ErrModelUnloaded: the model was unloaded while the call waited.
	ErrModelUnloaded = errors.New("embed: model unloaded")

	// ErrLibrary: the native library could not be found or used.
	ErrLibrary = errors.New("embed: native library unusable")
	// ErrDecode: llama.cpp failed to evaluate a batch.
	ErrDecode = errors.New("embed: evaluation failed")
	// ErrOverloaded: the model's queue is full (Config.MaxQueue); retry
	// later.
	ErrOverloaded = errors.New("embed: too many texts waiting")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("embed: engine closed")
	// ErrInvalidConfig: a Config field is out of range (see ConfigError).
	ErrInvalidConfig = errors.New("embed: invalid config")
	// ErrInvalidOption: a per-call option is out of range.
	ErrInvalidOption = errors.New("embed: invalid option")
	// ErrInvalidChunking: the ChunkOptions of [Engine.EmbedChunks] are
	// out of range (size, overlap, or chunks that cannot fit the
	// context). It is also an ErrInvalidOption.
	ErrInvalidChunking = fmt.Errorf("%w: chunking", ErrInvalidOption)
)

// InputError reports which text of a call failed, and why. It matches its
// cause (such as [ErrTooLong]) with [errors.Is].
type InputError struct {
	// Index is the position of the text in the call.
	Index int
	// Tokens is the text's token count, when known.
	Tokens int
	// Limit is the most tokens the model accepts, when it applies.
	Limit int
	Err   error
}

func (e *InputError) Error() string {
	if e.Limit > 0 {
		return fmt.Sprintf("input %d: %v: %d tokens, limit %d", e.Index, e.Err, e.Tokens, e.Limit)
	}
	return fmt.Sprintf("input %d: %v", e.Index, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }
