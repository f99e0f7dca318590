// Package server serves an [embed.Engine] over HTTP with the OpenAI
// embeddings API, so existing OpenAI clients work unchanged:
//
//	POST /v1/embeddings   the OpenAI request and response, float or base64
//	GET  /v1/models       the loaded models
//	GET  /health          200 once the models are loaded, 503 before
//	GET  /metrics         Prometheus metrics
//
// Concurrent requests share decode batches: the engine packs the texts
// of every waiting request into the same batches, and keeps their errors
// apart. Limits (body size, inputs and tokens per request, the engine's
// queue) answer with OpenAI's error shape and the matching status: 400
// for bad input, 401 without the API key, 404 for an unknown model, 413
// for a request over a limit, 429 when the queue is full, 503 while
// loading or shutting down, and 500 only for internal faults. Error
// messages never contain file paths.
//
// [Server] is an [http.Handler]: mount it in your own mux, or use
// [Server.ListenAndServe] for a server with timeouts and graceful
// shutdown.
package server
