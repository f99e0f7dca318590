// Package clienttest drives embellama's server with the official Go
// clients of the APIs it speaks (ollama's api package, Cohere's
// cohere-go) and with text-embeddings-inference's documented JSON, each
// against a real server on a real model. It is a module of its own so
// that those clients, and what they pull in, stay out of the core's
// dependencies; `make test` runs it (test-contrib).
package clienttest
