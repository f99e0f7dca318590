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
	// ErrTooLong: a text has more tokens than the context holds. Split it,
	// or raise the context size up to the model's trained context.
	ErrTooLong = errors.New("embed: input too long")
	// ErrNoInput: a call was given no texts at all.
	ErrNoInput = errors.New("embed: no input")
	// ErrModelNotFound: the model file does not exist.
	ErrModelNotFound = errors.New("embed: model file not found")
	// ErrModelLoad: llama.cpp could not load the model file.
	ErrModelLoad = errors.New("embed: cannot load model")
	// ErrLibrary: the native library could not be found or used.
	ErrLibrary = errors.New("embed: native library unusable")
	// ErrNonFinite: the model produced NaN or Inf; the vector is withheld.
	ErrNonFinite = errors.New("embed: embedding is not finite")
	// ErrClosed: the engine was closed.
	ErrClosed = errors.New("embed: engine closed")
	// ErrInvalidOption: an option has a value out of range.
	ErrInvalidOption = errors.New("embed: invalid option")
)

// InputError reports which text of a call was rejected, and why. It
// matches its cause (such as [ErrTooLong]) with [errors.Is].
type InputError struct {
	// Index is the position of the text in the call.
	Index int
	// Tokens is the text's token count, when known.
	Tokens int
	// Limit is the most tokens the engine accepts, when it applies.
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
