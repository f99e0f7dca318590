// Package jsonread reads the JSON bodies of the server's requests
// strictly: every string must be valid UTF-8 without lone surrogate
// escapes (which encoding/json would silently replace with U+FFFD,
// changing the client's text), a known field may appear only once, and
// a field name that differs from a known one only in case is refused.
//
// [DecodeEmbeddings] reads an embeddings request as a stream, writing
// every text and token id straight into the result, so that it
// allocates in proportion to what it keeps and stops at the first limit
// crossed, before it reads the rest of the body. [Strict] checks a whole
// body against a request struct and then lets encoding/json fill it.
//
// Neither panics on any input. Every failure is an [*Error] that says
// what is wrong (a sentence for the client), in which field, and at
// which byte; its Kind, one of the sentinels, tells the caller which
// answer to give. The reader knows nothing of HTTP: the server maps an
// [*Error] to its status codes.
package jsonread
