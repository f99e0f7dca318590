// Package embed turns text into embedding vectors with GGUF models run by
// the native llama.cpp library, loaded without cgo.
//
// # Pipeline
//
//	text → tokens      the model's own tokenizer, with its BOS/CLS and EOS/SEP
//	                   rules (Qwen3-Embedding-style models get their EOS)
//	     → queue       texts of all concurrent calls, longest first per call
//	     → batch       one llama_batch, one sequence per text, packed up to
//	                   Config.BatchTarget tokens (a longer text goes alone,
//	                   up to Config.BatchSize); calls are served round-robin
//	     → llama_decode on the goroutine that owns the llama context
//	     → pooled      llama.cpp pools each sequence (mean, CLS or last token)
//	     → vector      copied out of C memory, checked finite, cut to
//	                   WithDimensions, normalized (L2 by default)
//
// The memory (KV cache) is cleared before every batch, so no sequence sees
// another. A batch that fails is retried text by text, so one bad text
// cannot fail the others; bad inputs fail alone in [Result.Errors].
//
// # Use
//
// [Open] loads one model; [New] loads the library and any number of models
// by name ([Engine.LoadModel]). An [Engine] is safe for concurrent use.
// [Engine.Model] returns a handle on one model ([Model.Embed],
// [Model.EmbedBatch], [Model.Info]); the engine-level calls taking a
// model name ("" for the only one) are the one-model shortcut. Settings
// come in two types: [EngineConfig] (library, cache) and [ModelConfig]
// (one model); [Config] embeds both for New. Every setting is a row of
// the one table [Settings], with its default and its EMBELLAMA_*
// environment variable ([Config.ApplyEnv]). Per-call limits ([WithMaxInputs],
// [WithMaxTokens], [WithMaxTotalTokens]) are checked after tokenizing,
// before anything is queued.
//
// # Layout
//
// plan.go is the pure settings planner (GGUF header and ModelConfig in,
// llama.cpp settings out, every setting llama.cpp would abort on refused
// as a [*ConfigError]); loaded.go a loaded model, which a [Model] handle
// looks up once per call; options.go the options each operation accepts;
// pipeline.go the one path of every operation (tokenize each input,
// evaluate them in one scheduler job, post-process each output), which
// embedding.go, rerank.go and chunks.go give a spec; tokenize.go the
// tokenizer and truncation; package embed/internal/sched the scheduler
// (queue, round-robin packing, shared thread budget), which drives
// evaluator.go's llama contexts through a small interface.
//
// # Retrieval
//
// [Engine.Rerank] scores documents against a query with a reranker (rank
// pooling; the pair built as llama.cpp's server builds it, see package
// internal/pair), through the same queue and batches. [WithPrompt],
// [Engine.EmbedQuery] and [Engine.EmbedDocuments] put the model's named
// prompts in front of texts (internal/prompts has the family table).
// [Engine.EmbedChunks] splits long documents into overlapping token
// windows with exact byte offsets (internal/chunk), embedding each window
// or, with late chunking, pooling it from the whole document's token
// vectors. [Engine.TokenizeWith] and [Engine.Detokenize] expose the
// tokenizer.
//
// # Errors
//
// Bad input never panics: it returns an error that matches one of the
// sentinel errors of this package with [errors.Is], such as
// [ErrEmptyInput] or [ErrTooLong], and the engine keeps working. A model
// file is validated by a pure-Go GGUF reader before llama.cpp sees it.
package embed
