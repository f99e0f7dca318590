package jsonread

import (
	"errors"
	"fmt"
	"io"
)

// The kinds of [Error]. They are distinct because a server answers them
// differently: a malformed or invalid body is the client's mistake to
// fix, a crossed limit asks for a smaller request, and a read error is
// the connection's (or the reader's own limits').
var (
	// ErrSyntax: the body is not valid JSON.
	ErrSyntax = errors.New("jsonread: invalid JSON")
	// ErrInvalid: the body is JSON but not a valid request: a value of
	// the wrong type, a string that is not valid UTF-8 or holds a lone
	// surrogate, a field given twice or named in another case, a value
	// nested too deep, a field longer than it may be.
	ErrInvalid = errors.New("jsonread: invalid request")
	// ErrTooManyInputs: more inputs than Limits.Inputs.
	ErrTooManyInputs = errors.New("jsonread: too many inputs")
	// ErrTooManyTokens: more token ids, over all inputs, than
	// Limits.Tokens.
	ErrTooManyTokens = errors.New("jsonread: too many token ids")
	// ErrTextTooLong: an input text longer than Limits.TextBytes.
	ErrTextTooLong = errors.New("jsonread: text too long")
	// ErrRead: the reader failed; Error.Err is its error.
	ErrRead = errors.New("jsonread: cannot read the body")
)

// errEnd: the body ended where more was needed. It never leaves the
// package: the object reader turns it into an [ErrSyntax] that says
// where.
var errEnd = errors.New("jsonread: the body ends early")

// Error is a failure to read a request body.
type Error struct {
	// Kind is one of the sentinels above ([ErrSyntax], [ErrInvalid],
	// [ErrTooManyInputs], [ErrTooManyTokens], [ErrTextTooLong],
	// [ErrRead]); errors.Is matches it.
	Kind error
	// Field is the top-level field the error is in, "" for the body as
	// a whole.
	Field string
	// Path is the value's path, when known: "input[3]",
	// "documents[2].text".
	Path string
	// Offset is the number of bytes of the body read when the error was
	// found.
	Offset int64
	// Reason says what is wrong, as a sentence for the client.
	Reason string
	// Limit is the limit crossed, for the limit kinds.
	Limit int
	// Err is the reader's error, for [ErrRead].
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("jsonread: %s (at byte %d)", e.Reason, e.Offset)
}

// Unwrap returns the kind and the reader's error, if any.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// fail returns an error of kind found at the decoder's offset.
func (d *decoder) fail(kind error, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Offset: d.off, Reason: fmt.Sprintf(format, args...)}
}

// invalid returns an [ErrInvalid] error about field.
func (d *decoder) invalid(field, format string, args ...any) *Error {
	return d.fail(ErrInvalid, field, format, args...)
}

// syntax returns an [ErrSyntax] error: what was found at the offset.
func (d *decoder) syntax(what string) *Error {
	return d.fail(ErrSyntax, "", "the request body is not valid JSON: %s at byte %d", what, d.off)
}

// readError maps an error of the reader: the end of the body ([errEnd])
// or a failure ([ErrRead]).
func (d *decoder) readError(err error) *Error {
	if errors.Is(err, io.EOF) {
		return &Error{Kind: errEnd, Offset: d.off, Reason: "the request body ends early"}
	}
	return &Error{Kind: ErrRead, Offset: d.off, Reason: "cannot read the request body", Err: err}
}
