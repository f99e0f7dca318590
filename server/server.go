package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/embellama/embellama/embed"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBodyBytes  = 16 << 20
	DefaultMaxInputs     = 4096
	DefaultMaxInputBytes = 1 << 20
	DefaultTimeout       = 5 * time.Minute
)

// Options configures a [Server].
type Options struct {
	// Engine serves the requests. Required; an [*embed.Engine] or any
	// other implementation of [Engine].
	Engine Engine
	// APIKey, when set, is required as "Authorization: Bearer <key>" (the
	// scheme in any case) on the API routes, and to see model names on
	// /health. A key with white space at either end or a control
	// character is refused by New ([ErrInvalidAPIKey]), not trimmed.
	APIKey string
	// MaxBodyBytes bounds a request body. Default: 16 MiB.
	MaxBodyBytes int64
	// MaxInputs bounds the inputs of one request (413 above it); they are
	// split into batches by token budget, so any number up to it works.
	// Default: 4096.
	MaxInputs int
	// MaxInputBytes bounds one text, in bytes (413 above it), which also
	// bounds the time spent tokenizing it. Default: 1 MiB.
	MaxInputBytes int
	// MaxRequestTokens bounds the tokens of one request (413 above it),
	// checked before anything is evaluated. Default: no bound.
	MaxRequestTokens int
	// MaxPendingBytes bounds the request bodies handled at once, summed
	// (429 with Retry-After when a body's next bytes do not fit): a body
	// holds what it has sent, reserved after each read of at most
	// 64 KiB, until it is answered (a connection that has sent only its
	// headers holds nothing); a quarter is kept for bodies up to 64 KiB,
	// so that large ones cannot starve small ones. At least 4/3 of
	// MaxBodyBytes. Default: four bodies of MaxBodyBytes.
	MaxPendingBytes int64
	// MinBodyRate is the slowest, in bytes per second, that a request
	// body may arrive once BodyGrace has passed: a body must have sent
	// its first n bytes by BodyGrace + n/MinBodyRate after the request
	// began, or the server answers 408 and closes the connection, so
	// that clients trickling bodies hold neither connections nor budget
	// for long. Every body must also arrive within a minute. Default:
	// 1 KiB/s; negative: no minimum rate.
	MinBodyRate int64
	// BodyGrace is the time a body has before MinBodyRate applies.
	// Default: 10 s.
	BodyGrace time.Duration
	// Timeout bounds the handling of one request (503 when it runs out).
	// Default: 5 minutes.
	Timeout time.Duration
	// Aliases maps names that clients send (say "text-embedding-3-small")
	// to loaded model names. Default: none.
	Aliases map[string]string
	// Models names the models that will be loaded after New, if any:
	// until each is loaded, requests naming it answer 503 with
	// Retry-After, and /health answers 503. Without it the server is
	// ready as soon as the engine has a model.
	Models []string
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
	opts   Options
	engine Engine
	// retriever is the engine, when it is a [Retriever]; nil otherwise.
	retriever Retriever
	mux       *http.ServeMux
	closing   atomic.Bool
	attached  bool // batch metrics come from the engine itself
	metrics   *metrics
	gatherer  prometheus.Gatherer
	budget    *budget
	log       *slog.Logger
}

// New returns a server for opts.Engine. Its readiness (GET /health)
// follows the engine: 200 once it has a model and every name in
// opts.Models is loaded, 503 before and while shutting down. When the
// engine can report its batches itself (as [*embed.Engine] does, with
// ObserveBatches), New attaches the batch metrics to it.
func New(opts Options) (*Server, error) {
	if opts.Engine == nil {
		return nil, errors.New("server: Options.Engine is nil")
	}
	if err := checkAPIKey(opts.APIKey); err != nil {
		return nil, err
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxInputs <= 0 {
		opts.MaxInputs = DefaultMaxInputs
	}
	if opts.MaxInputBytes <= 0 {
		opts.MaxInputBytes = DefaultMaxInputBytes
	}
	if opts.MaxPendingBytes <= 0 {
		opts.MaxPendingBytes = 4 * opts.MaxBodyBytes
	}
	if opts.MaxPendingBytes-opts.MaxPendingBytes/4 < opts.MaxBodyBytes {
		return nil, fmt.Errorf("server: MaxPendingBytes %d is below 4/3 of MaxBodyBytes %d: a request of the largest size could never be served (a quarter is kept for small requests)", opts.MaxPendingBytes, opts.MaxBodyBytes)
	}
	if opts.MinBodyRate == 0 {
		opts.MinBodyRate = DefaultMinBodyRate
	}
	if opts.BodyGrace <= 0 {
		opts.BodyGrace = DefaultBodyGrace
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	for alias, target := range opts.Aliases {
		if alias == "" || target == "" {
			return nil, fmt.Errorf("server: alias %q=%q: both names must be set", alias, target)
		}
		if _, ok := opts.Aliases[target]; ok {
			return nil, fmt.Errorf("server: alias %q names another alias, %q", alias, target)
		}
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
	s := &Server{opts: opts, engine: opts.Engine, mux: http.NewServeMux(), metrics: m, gatherer: gat,
		budget: newBudget(opts.MaxPendingBytes), log: log}
	if rt, ok := opts.Engine.(Retriever); ok {
		s.retriever = rt
	}
	if src, ok := opts.Engine.(batchSource); ok {
		src.ObserveBatches(m.observeBatch)
		s.attached = true
	}
	s.register(s.routes())
	return s, nil
}

// OnBatch records a batch in the metrics, for an engine that cannot
// report its batches itself (see [New]); with one that can, it does
// nothing, so that a program written for older versions, which passed it
// as embed.Config.OnBatch, does not count batches twice.
func (s *Server) OnBatch(b embed.BatchInfo) {
	if !s.attached {
		s.metrics.observeBatch(b)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ListenAndServe serves on addr until ctx is canceled, then shuts down
// gracefully: it stops accepting, finishes the requests in flight (for at
// most grace), and returns. From the cancellation on, new requests and
// those that the engine's closing interrupts answer 503 with Retry-After.
// It reports the bound address to ready, if not nil, once listening
// (useful with port 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string, grace time.Duration, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       bodyTimeout,
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

// resolve maps a requested model name through the aliases.
func (s *Server) resolve(name string) string {
	if t, ok := s.opts.Aliases[name]; ok {
		return t
	}
	return name
}

// loading reports whether the server cannot serve model (a resolved
// name, "" for the default) yet: it has no model at all, or model is one
// of Options.Models that is not loaded yet.
func (s *Server) loading(model string) bool {
	loaded := s.engine.Models()
	if len(loaded) == 0 {
		return true
	}
	for _, want := range s.opts.Models {
		if want == model || model == "" && want == embed.DefaultModelName {
			return !contains(loaded, want)
		}
	}
	return false
}

// pending returns the names of Options.Models not loaded yet.
func (s *Server) pending() []string {
	loaded := s.engine.Models()
	var out []string
	for _, want := range s.opts.Models {
		if !contains(loaded, want) {
			out = append(out, want)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
