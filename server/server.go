package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/embellama/embellama/embed"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBodyBytes = 16 << 20
	DefaultMaxInputs    = 4096
	DefaultTimeout      = 5 * time.Minute
)

// Options configures a [Server].
type Options struct {
	// Engine serves the requests. Required.
	Engine *embed.Engine
	// APIKey, when set, is required as "Authorization: Bearer <key>".
	APIKey string
	// MaxBodyBytes bounds a request body. Default: 16 MiB.
	MaxBodyBytes int64
	// MaxInputs bounds the inputs of one request (413 above it); they are
	// split into batches by token budget, so any number up to it works.
	// Default: 4096.
	MaxInputs int
	// MaxRequestTokens bounds the tokens of one request (413 above it).
	// Default: no bound.
	MaxRequestTokens int
	// Timeout bounds the handling of one request (503 when it runs out).
	// Default: 5 minutes.
	Timeout time.Duration
	// Logger logs failed requests and internal errors. Default: discard.
	Logger *slog.Logger
	// Registerer receives the metrics. Default: a registry of the
	// server's own, served on /metrics.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics when Registerer is set. Default:
	// prometheus.DefaultGatherer when Registerer is the default registry.
	Gatherer prometheus.Gatherer
}

// Server is the HTTP front end of an engine.
type Server struct {
	opts    Options
	engine  *embed.Engine
	mux     *http.ServeMux
	ready   atomic.Bool
	closing atomic.Bool
	metrics *metrics
	log     *slog.Logger
}

// New returns a server for opts.Engine. It is not ready (GET /health
// answers 503) until [Server.SetReady].
func New(opts Options) (*Server, error) {
	if opts.Engine == nil {
		return nil, errors.New("server: Options.Engine is nil")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxInputs <= 0 {
		opts.MaxInputs = DefaultMaxInputs
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg, gat := opts.Registerer, opts.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, gat = r, r
	} else if gat == nil {
		if g, ok := reg.(prometheus.Gatherer); ok {
			gat = g
		} else {
			gat = prometheus.DefaultGatherer
		}
	}
	m, err := newMetrics(reg, opts.Engine)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, engine: opts.Engine, mux: http.NewServeMux(), metrics: m, log: log}
	s.mux.HandleFunc("POST /v1/embeddings", s.auth(s.handleEmbeddings))
	s.mux.HandleFunc("GET /v1/models", s.auth(s.handleModels))
	s.registerRetrieval() // rerank, tokenize, chunks: retrieval.go
	s.mux.HandleFunc("GET /health", s.handleHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(gat, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, apiError(http.StatusNotFound, "invalid_request_error", "not_found", "", "no route for %s %s", r.Method, r.URL.Path))
	})
	return s, nil
}

// OnBatch records a batch in the metrics; pass it as embed.Config.OnBatch.
func (s *Server) OnBatch(b embed.BatchInfo) { s.metrics.observeBatch(b) }

// SetReady marks the models as loaded: GET /health answers 200.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ListenAndServe serves on addr until ctx is canceled, then shuts down
// gracefully: it stops accepting, finishes the requests in flight (for at
// most grace), and returns. It reports the bound address to ready, if
// not nil, once listening (useful with port 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      s.opts.Timeout + time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.closing.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.opts.APIKey == "" {
		return h
	}
	want := []byte("Bearer " + s.opts.APIKey)
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="embellama"`)
			s.writeError(w, apiError(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "", "missing or invalid API key"))
			return
		}
		h(w, r)
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	status, code := "ok", http.StatusOK
	switch {
	case s.closing.Load():
		status, code = "shutting down", http.StatusServiceUnavailable
	case !s.ready.Load():
		status, code = "loading", http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"status": status, "models": s.engine.Models()})
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	type modelObject struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
		Dim     int    `json:"dimensions"`
		Context int    `json:"context_length"`
	}
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: []modelObject{}}
	for _, name := range s.engine.Models() {
		info, err := s.engine.ModelInfo(name)
		if err != nil {
			continue
		}
		list.Data = append(list.Data, modelObject{ID: name, Object: "model", OwnedBy: "embellama", Dim: info.Dim, Context: info.ContextSize})
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code := http.StatusOK
	defer func() { s.metrics.observeRequest(code, time.Since(start)) }()
	fail := func(e *APIError) {
		code = e.status
		s.writeError(w, e)
	}
	if s.closing.Load() {
		fail(apiError(http.StatusServiceUnavailable, "server_error", "shutting_down", "", "the server is shutting down"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "", "request body exceeds %d bytes", s.opts.MaxBodyBytes))
		} else {
			fail(badRequest("", "cannot read the request body"))
		}
		return
	}
	req, in, apiErr := decodeRequest(body)
	if apiErr != nil {
		fail(apiErr)
		return
	}
	if n := in.len(); n > s.opts.MaxInputs {
		fail(apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", "input",
			"%d inputs in one request; this server accepts at most %d", n, s.opts.MaxInputs))
		return
	}
	s.metrics.inputs.Add(float64(in.len()))

	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	var opts []embed.Option
	if req.Dimensions != nil {
		opts = append(opts, embed.WithDimensions(*req.Dimensions))
	}
	if req.PromptName != nil {
		opts = append(opts, embed.WithPrompt(*req.PromptName))
	}
	var res *embed.Result
	if in.tokens != nil {
		res, err = s.engine.EmbedBatchTokens(ctx, req.Model, in.tokens, opts...)
	} else {
		if s.opts.MaxRequestTokens > 0 {
			if e := s.checkRequestTokens(req.Model, in.texts); e != nil {
				fail(e)
				return
			}
		}
		res, err = s.engine.EmbedBatch(ctx, req.Model, in.texts, opts...)
	}
	if err != nil {
		fail(s.engineError(err, ctx))
		return
	}
	tokens := 0
	for _, n := range res.Tokens {
		tokens += n
	}
	if s.opts.MaxRequestTokens > 0 && tokens > s.opts.MaxRequestTokens {
		fail(apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_tokens", "input",
			"the request has %d tokens; this server accepts at most %d per request", tokens, s.opts.MaxRequestTokens))
		return
	}
	for i, e := range res.Errors {
		if e != nil {
			fail(s.inputError(i, e))
			return
		}
	}
	s.metrics.tokens.Add(float64(tokens))
	name := req.Model
	if name == "" {
		if info, err := s.engine.ModelInfo(""); err == nil {
			name = info.Name
		}
	}
	out := EmbeddingResponse{Object: "list", Data: make([]Embedding, len(res.Vectors)), Model: name, Usage: Usage{tokens, tokens}}
	for i, v := range res.Vectors {
		enc := encodeFloats
		if req.EncodingFormat == "base64" {
			enc = encodeBase64
		}
		out.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: enc(v)}
	}
	writeJSON(w, http.StatusOK, out)
}

// checkRequestTokens refuses a request whose texts exceed
// MaxRequestTokens before any is evaluated, tokenizing them one by one
// and stopping at the first text over the bound.
func (s *Server) checkRequestTokens(model string, texts []string) *APIError {
	total := 0
	for _, t := range texts {
		n, err := s.engine.CountTokens(model, t)
		if err != nil {
			continue // reported per input by the embedding call
		}
		total += n
		if total > s.opts.MaxRequestTokens {
			return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_tokens", "input",
				"the request has more than %d tokens; this server accepts at most %d per request", s.opts.MaxRequestTokens, s.opts.MaxRequestTokens)
		}
	}
	return nil
}

// engineError maps a call-level engine error to an API error.
func (s *Server) engineError(err error, ctx context.Context) *APIError {
	switch {
	case errors.Is(err, embed.ErrUnknownModel), errors.Is(err, embed.ErrModelUnloaded):
		return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model", "%v", err)
	case errors.Is(err, embed.ErrUnknownPrompt):
		return badRequest("prompt_name", "%v", err)
	case errors.Is(err, embed.ErrNotEmbeddingModel):
		return badRequest("model", "%v", err)
	case errors.Is(err, embed.ErrInvalidOption):
		return badRequest("dimensions", "%v", err)
	case errors.Is(err, embed.ErrNoInput):
		return badRequest("input", "input must not be empty")
	case errors.Is(err, embed.ErrOverloaded):
		return apiError(http.StatusTooManyRequests, "rate_limit_error", "overloaded", "", "the server is busy; retry later")
	case errors.Is(err, embed.ErrClosed):
		return apiError(http.StatusServiceUnavailable, "server_error", "shutting_down", "", "the server is shutting down")
	case errors.Is(err, context.DeadlineExceeded):
		return apiError(http.StatusServiceUnavailable, "server_error", "timeout", "", "the request took longer than %v", s.opts.Timeout)
	case errors.Is(err, context.Canceled):
		return apiError(499, "invalid_request_error", "canceled", "", "the client closed the request")
	}
	s.log.Error("embedding failed", "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error")
}

// inputError maps the error of input i to an API error.
func (s *Server) inputError(i int, err error) *APIError {
	var ie *embed.InputError
	errors.As(err, &ie)
	switch {
	case errors.Is(err, embed.ErrTooLong):
		msg := fmt.Sprintf("input[%d] is too long", i)
		if ie != nil {
			msg = fmt.Sprintf("input[%d] has %d tokens; the model's context holds %d", i, ie.Tokens, ie.Limit)
		}
		return apiError(http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "input", "%s", msg)
	case errors.Is(err, embed.ErrEmptyInput):
		return badRequest("input", "input[%d] is empty", i)
	case errors.Is(err, embed.ErrInvalidUTF8):
		return badRequest("input", "input[%d] is not valid UTF-8", i)
	case errors.Is(err, embed.ErrNULByte):
		return badRequest("input", "input[%d] contains a NUL character", i)
	case errors.Is(err, embed.ErrInvalidToken):
		return badRequest("input", "input[%d] has a token id outside the model's vocabulary", i)
	case errors.Is(err, embed.ErrModelUnloaded):
		return apiError(http.StatusNotFound, "invalid_request_error", "model_not_found", "model", "the model was unloaded")
	}
	s.log.Error("embedding an input failed", "input", i, "err", err)
	return apiError(http.StatusInternalServerError, "server_error", "internal_error", "", "internal error embedding input[%d]", i)
}

func (s *Server) writeError(w http.ResponseWriter, e *APIError) {
	if e.status >= 500 || e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	status := e.status
	if status == 499 { // nobody is listening; keep the log tidy
		status = http.StatusRequestTimeout
	}
	writeJSON(w, status, ErrorResponse{Error: *e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
