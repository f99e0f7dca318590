// Package server serves an [Engine] (usually an [embed.Engine]) over HTTP
// with the OpenAI embeddings API, so existing OpenAI clients work
// unchanged:
//
//	POST /v1/embeddings    the OpenAI request and response, float or base64
//	GET  /v1/models        the loaded models (and aliases)
//	GET  /v1/models/{id}   one of them
//	GET  /health           200 once the models are loaded, 503 before
//	GET  /metrics          Prometheus metrics
//
// Retrieval routes (retrieval.go, rerank.go, chunks.go):
//
//	POST /v1/rerank, /rerank   a reranker's scores: Cohere/Jina body {model,
//	                           query, documents (strings or {text}), top_n,
//	                           return_documents} → {model, object, results:
//	                           [{index, relevance_score, document?}], usage};
//	                           text-embeddings-inference's body {query, texts,
//	                           return_text, raw_scores} → [{index, score,
//	                           text?}]; "truncate": true cuts long documents
//	POST /tokenize             llama.cpp's {content, add_special, parse_special,
//	                           with_pieces} (+ model, prompt_name) → {tokens}
//	POST /detokenize           {tokens} (+ model) → {content}
//	POST /v1/embeddings/chunks {model, input, chunking: {size, overlap, late},
//	                           prompt_name, dimensions, encoding_format} →
//	                           {data: [{index, chunk, start, end, tokens,
//	                           overlap, embedding}], usage}
//
// Dialects (openai.go, tei.go, ollama.go, cohere.go; every route, field
// and answer in docs/api.md):
//
//	POST /embeddings, GET /models, /models/{id}   OpenAI's, without /v1
//	POST /embed, /embed_all, GET /info            text-embeddings-inference's
//	POST /api/embed, /api/embeddings, /api/show,
//	GET  /api/tags                                ollama's
//	POST /v2/embed, /v2/rerank                    Cohere's (v2)
//
// Each answers errors in its peer's error body where the peer defines
// one. encoding_format (and Cohere's embedding_types) adds int8, uint8,
// binary and ubinary to float and base64, by the rules of
// [embed.QuantizeInt8] and [embed.PackBinary]. On every route a field
// the request type does not define is a 400 naming it.
//
// /v1/embeddings also takes prompt_name (text-embeddings-inference's
// field): the model's prompt of that name goes in front of each input.
// relevance_score is the score the model family's users expect (the
// sigmoid of a cross-encoder's logit; Qwen3-Reranker's probability of
// "yes"), where llama.cpp's server reports the raw logit; TEI's
// raw_scores gives the raw value.
//
// Concurrent requests share decode batches: the engine packs the texts
// of every waiting request into the same batches, and keeps their errors
// apart.
//
// # Limits and statuses
//
// Every route with a body passes one request frame (frame.go):
// admission, the body read within the budget and the minimum rate,
// strict decoding (internal/jsonread), the route's own checks, the
// shared checks with model resolution, then the operation. A request
// body must be application/json (415 otherwise), and the embeddings
// body is decoded as a stream that stops at the first limit it crosses
// (body size, inputs, bytes of one text, token ids), before anything is
// evaluated. The fields the routes share (model, prompt_name,
// encoding_format, dimensions, truncate) pass one validation for every
// route, and every engine error one mapping, so a request gets the same
// answer on each route that takes the field; a value echoed in an error
// is cut to 256 bytes. The bodies handled at once share a byte budget,
// reserved as their bytes arrive, and a body that arrives slower than
// Options.MinBodyRate is answered 408 and its connection closed. Errors
// have OpenAI's shape, with param naming the field: 400 for bad input
// (including invalid UTF-8 and lone surrogate escapes, which are refused
// rather than replaced, and every invalid option), 401 without the API
// key, 404 for an unknown model or route, 405 for a wrong method (with
// Allow), 408 for a body too slow, 413 for a request over a limit, 429
// when the budget or the engine's queue is full, 503 while loading,
// shutting down or past the timeout, and 500 only for internal faults;
// 429 and 5xx carry Retry-After. Error messages never contain file
// paths.
//
// [Server] is an [http.Handler]: mount it in your own mux, or use
// [Server.ListenAndServe] for a server with timeouts and graceful
// shutdown. It needs no call after [New]: readiness follows the engine,
// and the batch metrics attach to it.
package server
