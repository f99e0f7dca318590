// Package gguf reads, validates and writes GGUF files in pure Go.
//
// llama.cpp parses GGUF in C inside the calling process, where a malformed
// file can abort everything. [Read] parses the header, metadata and tensor
// table from an [io.ReaderAt] without touching tensor data, and checks
// every count, length, type, shape and offset against the file size and
// fixed limits before allocating anything proportional to it, so any input
// gives either a [File] or a [*FormatError] — never a panic or an
// unbounded allocation. Its checks include those of llama.cpp's own
// gguf_init_from_file for the pinned release, so a file that passes here
// does not fail there for its structure.
//
// The facts an embedding user needs (architecture, dimensions, pooling,
// tokenizer, ...) are typed accessors on [File].
package gguf
