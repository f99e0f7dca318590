// Package embed turns text into embedding vectors with a GGUF model run by
// the native llama.cpp library, loaded without cgo.
//
// The pipeline, for each text:
//
//	text → tokens (the model's own tokenizer, with its BOS/EOS/CLS/SEP rules)
//	     → llama_batch (one sequence per text)
//	     → llama_decode
//	     → pooled vector (the model's pooling: mean, CLS or last token;
//	       for models without pooling, the last token's hidden state)
//	     → L2-normalized []float32, copied out of C memory
//
// [Open] finds and loads the library (see package platform for where it
// looks), loads one model and creates a context for it. An [Engine] is safe
// for concurrent use; calls are served one decode at a time.
//
// Bad input never panics: it returns an error that matches one of the
// sentinel errors of this package with [errors.Is], such as [ErrEmptyInput]
// or [ErrTooLong], and the engine keeps working.
package embed
