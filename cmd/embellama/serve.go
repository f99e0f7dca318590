package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// serveFlags are serve's own flags: where it listens, what it loads
// beyond -model, and the server.Options.
type serveFlags struct {
	addr, models, apiKey, aliases    string
	maxBody, maxPending, minRate     int64
	maxInputs, maxTokens, maxInBytes int
	grace, timeout                   time.Duration
}

func (f *serveFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen `address` (the default accepts local connections only)")
	fs.StringVar(&f.models, "models", "", "more models to load, as `name=path,...`; -model is loaded as $EMBELLAMA_MODEL_NAME, or \"default\"")
	fs.StringVar(&f.apiKey, "api-key", os.Getenv("EMBELLAMA_API_KEY"), "require this bearer `key` (default: $EMBELLAMA_API_KEY; none: no authentication)")
	fs.Int64Var(&f.maxBody, "max-body", server.DefaultMaxBodyBytes, "largest request body in `bytes` (413 above)")
	fs.IntVar(&f.maxInputs, "max-inputs", server.DefaultMaxInputs, "most inputs per request (413 above)")
	fs.IntVar(&f.maxTokens, "max-tokens", 0, "most tokens per request (413 above; 0: no bound)")
	fs.IntVar(&f.maxInBytes, "max-input-bytes", server.DefaultMaxInputBytes, "longest text in `bytes` (413 above)")
	fs.Int64Var(&f.maxPending, "max-pending", 0, "most request body `bytes` handled at once (429 above; 0: 4 × -max-body)")
	fs.Int64Var(&f.minRate, "min-body-rate", server.DefaultMinBodyRate, "slowest a request body may arrive once -body-grace has passed, in `bytes` per second (408 and the connection closed below; negative: no minimum)")
	fs.DurationVar(&f.grace, "body-grace", server.DefaultBodyGrace, "time a request body has before -min-body-rate applies")
	fs.StringVar(&f.aliases, "alias", "", "more names clients may use for loaded models, as `alias=model,...` (e.g. text-embedding-3-small=default)")
	fs.DurationVar(&f.timeout, "timeout", server.DefaultTimeout, "longest time to answer a request (503 after)")
}

// options returns the server's options for engine e, which will load the
// models named.
func (f *serveFlags) options(e server.Engine, names []string, alias map[string]string, log *slog.Logger) server.Options {
	return server.Options{
		Engine: e, APIKey: f.apiKey, MaxBodyBytes: f.maxBody, MaxInputs: f.maxInputs, MaxInputBytes: f.maxInBytes,
		MaxRequestTokens: f.maxTokens, MaxPendingBytes: f.maxPending, MinBodyRate: f.minRate, BodyGrace: f.grace,
		Timeout: f.timeout, Aliases: alias, Models: names, Logger: log,
	}
}

// loadList returns the models to load, as name and path, -model's first
// (under $EMBELLAMA_MODEL_NAME, as embed.New loads Config.ModelPath, or
// "default"), and the aliases of -alias.
func (f *serveFlags) loadList(cfg embed.Config) ([][2]string, map[string]string, error) {
	name := cfg.ModelName
	if name == "" {
		name = embed.DefaultModelName
	}
	extra, err := parseModels(f.models, name)
	if err != nil {
		return nil, nil, usageError{err}
	}
	load := append([][2]string{{name, cfg.ModelPath}}, extra...)
	alias, err := parseAliases(f.aliases, load)
	if err != nil {
		return nil, nil, usageError{err}
	}
	return load, alias, nil
}

func runServe(args []string, _ io.Reader, _, stderr io.Writer) error {
	fs := newFlagSet("serve", "", stderr)
	ef := addEngineFlags(fs, engineUse{prompts: true})
	var sf serveFlags
	sf.add(fs)
	var of observeFlags
	of.add(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	cfg, err := ef.config(stderr)
	if err != nil {
		return err
	}
	load, alias, err := sf.loadList(cfg)
	if err != nil {
		return err
	}
	log, err := of.logger(stderr)
	if err != nil {
		return err
	}
	return interruptible(func(ctx context.Context) error {
		tp, shutdownTracing, err := of.tracing(ctx)
		if err != nil {
			return err
		}
		defer func() { // flush the spans not sent yet, for at most 5 s; spans lost at exit fail nothing
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = shutdownTracing(sctx)
		}()
		cfg.ModelPath = "" // loaded with the others once the server listens (serveModels)
		return withEngine(ctx, cfg, func(e *embed.Engine) error {
			names := make([]string, len(load))
			for i, m := range load {
				names[i] = m[0]
			}
			opts := sf.options(e, names, alias, log)
			opts.TracerProvider = tp
			return serveModels(ctx, e, sf.addr, opts, cfg.ModelConfig, load)
		})
	}, syscall.SIGTERM)
}

// newServer is server.New, its errors about an option as usage errors
// naming serve's flag.
func newServer(opts server.Options) (*server.Server, error) {
	srv, err := server.New(opts)
	if errors.Is(err, server.ErrInvalidAPIKey) {
		return nil, usageError{fmt.Errorf("-api-key (or $EMBELLAMA_API_KEY): %w", err)}
	}
	if oe := (*server.OptionError)(nil); errors.As(err, &oe) {
		flag := map[string]string{"MaxBodyBytes": "-max-body", "MaxInputs": "-max-inputs", "MaxInputBytes": "-max-input-bytes",
			"MaxRequestTokens": "-max-tokens", "MaxPendingBytes": "-max-pending", "Timeout": "-timeout"}[oe.Field]
		return nil, usageError{fmt.Errorf("%s %v: %w", flag, oe.Value, err)}
	}
	return srv, err
}

// serveModels serves e on addr until ctx ends: it listens first, then
// loads the models of load with the settings of mc (/health answers
// "loading" meanwhile); a model that fails to load stops the server.
func serveModels(ctx context.Context, e *embed.Engine, addr string, opts server.Options, mc embed.ModelConfig, load [][2]string) error {
	srv, err := newServer(opts)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	log := opts.Logger
	errc := make(chan error, 1)
	listening := make(chan net.Addr, 1)
	go func() {
		errc <- srv.ListenAndServe(ctx, addr, 30*time.Second, func(a net.Addr) { listening <- a })
	}()
	select {
	case err := <-errc:
		return err
	case a := <-listening:
		log.Info("listening; loading models", "addr", a.String())
	}
	if err := loadModels(ctx, e, mc, load, log); err != nil {
		stop()
		<-errc
		return err
	}
	log.Info("ready")
	err = <-errc
	log.Info("stopped")
	return err
}

// loadModels loads each model of load with the settings of mc, and logs
// what it loaded, with the memory bound of each of its contexts.
func loadModels(ctx context.Context, e *embed.Engine, mc embed.ModelConfig, load [][2]string, log *slog.Logger) error {
	for _, m := range load {
		mc.ModelPath = m[1]
		if err := e.LoadModel(ctx, m[0], mc); err != nil {
			return fmt.Errorf("model %s: %w", m[0], err)
		}
		info, _ := e.ModelInfo(m[0])
		log.Info("model loaded", "name", m[0], "path", absPath(info.Path), "arch", info.Architecture, "dim", info.Dim,
			"context", info.ContextSize, "pooling", info.Pooling.String(), "context_memory", info.ContextMemory)
	}
	return nil
}

// parseModels parses name=path,name=path; main is the name of -model's
// model, which no other may take.
func parseModels(s, main string) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{main: true}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		name, path, ok := strings.Cut(part, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("-models: %q is not name=path", part)
		}
		if seen[name] {
			return nil, fmt.Errorf("-models: model name %q is used twice", name)
		}
		seen[name] = true
		out = append(out, [2]string{name, path})
	}
	return out, nil
}

// parseAliases parses alias=model,alias=model; each model must be one of
// those loaded, and an alias must not shadow one.
func parseAliases(s string, load [][2]string) (map[string]string, error) {
	out := map[string]string{}
	loaded := map[string]bool{}
	for _, m := range load {
		loaded[m[0]] = true
	}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		alias, model, ok := strings.Cut(part, "=")
		switch {
		case !ok || alias == "" || model == "":
			return nil, fmt.Errorf("-alias: %q is not alias=model", part)
		case !loaded[model]:
			return nil, fmt.Errorf("-alias: %q names no loaded model (-model is $EMBELLAMA_MODEL_NAME, or \"default\"; -models adds others)", model)
		case loaded[alias]:
			return nil, fmt.Errorf("-alias: %q is already a model name", alias)
		case out[alias] != "":
			return nil, fmt.Errorf("-alias: %q is given twice", alias)
		}
		out[alias] = model
	}
	return out, nil
}
