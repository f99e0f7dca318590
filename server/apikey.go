package server

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrInvalidAPIKey: Options.APIKey has white space at either end or a
// control character. Such a key cannot be sent as it is in an
// Authorization header (clients and proxies trim it), so every request
// would answer 401; it is almost always a key read from a file with its
// newline. New refuses it rather than trim it: a server must not accept
// a key other than the one it was given.
var ErrInvalidAPIKey = errors.New("server: invalid API key")

// checkAPIKey returns an error wrapping [ErrInvalidAPIKey] when key,
// set, has white space at either end or a control character anywhere. The
// message says where, never the key.
func checkAPIKey(key string) error {
	if key == "" {
		return nil
	}
	if strings.TrimSpace(key) != key {
		return fmt.Errorf("%w: it has white space at its start or end (a key read from a file keeps its newline: remove it); the key is used as given, never trimmed", ErrInvalidAPIKey)
	}
	for i, r := range key {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: it has a control character (U+%04X) at byte %d, which an Authorization header cannot carry", ErrInvalidAPIKey, r, i)
		}
	}
	return nil
}
