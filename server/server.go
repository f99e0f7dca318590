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
	started   time.Time // for ModelObject.Created without a file
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
	if err := opts.limits(); err != nil {
		return nil, err
	}
	if opts.DefaultModel == "" && len(opts.Models) > 0 {
		opts.DefaultModel = opts.Models[0]
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
		budget: newBudget(opts.MaxPendingBytes), log: log, started: time.Now()}
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

// resolve maps a requested model name to a loaded model's: "" to the
// default model (Options.DefaultModel), then through the aliases. It
// returns "" only when the default is the engine's own.
func (s *Server) resolve(name string) string {
	if name == "" {
		name = s.opts.DefaultModel
	}
	if t, ok := s.opts.Aliases[name]; ok {
		return t
	}
	return name
}

// loading reports whether the server cannot serve model (a resolved
// name) yet: it has no model at all, or model is one of Options.Models
// that is not loaded yet.
func (s *Server) loading(model string) bool {
	loaded := s.engine.Models()
	if len(loaded) == 0 {
		return true
	}
	for _, want := range s.opts.Models {
		if want == model {
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
