package gguf

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per kind of defect, so callers and tests can tell
// them apart with [errors.Is]. Each is wrapped in a [*FormatError] that
// names the offset and the field.
var (
	ErrNotFile         = errors.New("gguf: not a regular file")
	ErrMagic           = errors.New("gguf: bad magic, not a GGUF file")
	ErrVersion         = errors.New("gguf: unsupported version")
	ErrTruncated       = errors.New("gguf: file truncated")
	ErrTooLarge        = errors.New("gguf: count or length exceeds the file or a limit")
	ErrEmptyKey        = errors.New("gguf: empty key")
	ErrDuplicateKey    = errors.New("gguf: duplicate key")
	ErrValueType       = errors.New("gguf: unknown value type")
	ErrKeyType         = errors.New("gguf: key has the wrong type")
	ErrAlignment       = errors.New("gguf: alignment is not a power of two")
	ErrTensorName      = errors.New("gguf: bad tensor name")
	ErrDuplicateTensor = errors.New("gguf: duplicate tensor")
	ErrTensorType      = errors.New("gguf: unknown tensor type")
	ErrTensorShape     = errors.New("gguf: bad tensor shape")
	ErrTensorOffset    = errors.New("gguf: tensor data offset out of place")
	ErrTensorBounds    = errors.New("gguf: tensor data beyond the end of the file")
)

// FormatError locates a defect in a GGUF file. It matches its cause with
// [errors.Is].
type FormatError struct {
	// Offset is the byte offset in the file where the field starts.
	Offset int64
	// Field names what was being read, such as `kv[3] "general.name" value`.
	Field string
	Err   error
	// Detail adds the values involved, when useful.
	Detail string
}

func (e *FormatError) Error() string {
	s := fmt.Sprintf("%v at offset %d (%s)", e.Err, e.Offset, e.Field)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }
