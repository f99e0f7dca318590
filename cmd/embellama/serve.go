package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "", stderr)
	ef := addEngineFlags(fs, engineUse{prompts: true})
	addr := fs.String("addr", "127.0.0.1:8080", "listen `address` (the default accepts local connections only)")
	models := fs.String("models", "", "more models to load, as `name=path,...`; -model is loaded as $EMBELLAMA_MODEL_NAME, or \"default\"")
	apiKey := fs.String("api-key", os.Getenv("EMBELLAMA_API_KEY"), "require this bearer `key` (default: $EMBELLAMA_API_KEY; none: no authentication)")
	maxBody := fs.Int64("max-body", server.DefaultMaxBodyBytes, "largest request body in `bytes` (413 above)")
	maxInputs := fs.Int("max-inputs", server.DefaultMaxInputs, "most inputs per request (413 above)")
	maxTokens := fs.Int("max-tokens", 0, "most tokens per request (413 above; 0: no bound)")
	maxInputBytes := fs.Int("max-input-bytes", server.DefaultMaxInputBytes, "longest text in `bytes` (413 above)")
	maxPending := fs.Int64("max-pending", 0, "most request body `bytes` handled at once (429 above; 0: 4 × -max-body)")
	aliases := fs.String("alias", "", "more names clients may use for loaded models, as `alias=model,...` (e.g. text-embedding-3-small=default)")
	maxQueue := fs.Int("max-queue", 65536, "most texts waiting per model (429 above)")
	timeout := fs.Duration("timeout", server.DefaultTimeout, "longest time to answer a request (503 after)")
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
	cfg.MaxQueue = *maxQueue
	// -model is loaded under $EMBELLAMA_MODEL_NAME, as embed.New loads
	// Config.ModelPath, or "default".
	name := cfg.ModelName
	if name == "" {
		name = embed.DefaultModelName
	}
	extra, err := parseModels(*models, name)
	if err != nil {
		return usageError{err}
	}
	load := append([][2]string{{name, cfg.ModelPath}}, extra...)
	alias, err := parseAliases(*aliases, load)
	if err != nil {
		return usageError{err}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg.ModelPath = ""
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	names := make([]string, len(load))
	for i, m := range load {
		names[i] = m[0]
	}
	srv, err := server.New(server.Options{
		Engine: e, APIKey: *apiKey, MaxBodyBytes: *maxBody, MaxInputs: *maxInputs, MaxInputBytes: *maxInputBytes,
		MaxRequestTokens: *maxTokens, MaxPendingBytes: *maxPending, Timeout: *timeout, Logger: log,
		Aliases: alias, Models: names,
	})
	if errors.Is(err, server.ErrInvalidAPIKey) {
		return usageError{fmt.Errorf("-api-key (or $EMBELLAMA_API_KEY): %w", err)}
	}
	if oe := (*server.OptionError)(nil); errors.As(err, &oe) {
		flag := map[string]string{"MaxBodyBytes": "-max-body", "MaxInputs": "-max-inputs", "MaxInputBytes": "-max-input-bytes",
			"MaxRequestTokens": "-max-tokens", "MaxPendingBytes": "-max-pending", "Timeout": "-timeout"}[oe.Field]
		return usageError{fmt.Errorf("%s %v: %w", flag, oe.Value, err)}
	}
	if err != nil {
		return err
	}

	errc := make(chan error, 1)
	listening := make(chan net.Addr, 1)
	go func() {
		errc <- srv.ListenAndServe(ctx, *addr, 30*time.Second, func(a net.Addr) { listening <- a })
	}()
	select {
	case err := <-errc:
		return err
	case a := <-listening:
		log.Info("listening; loading models", "addr", a.String())
	}

	for _, m := range load {
		mc := cfg.ModelConfig()
		mc.ModelPath = m[1]
		if err := e.LoadModel(ctx, m[0], mc); err != nil {
			stop()
			<-errc
			return fmt.Errorf("model %s: %w", m[0], err)
		}
		info, _ := e.ModelInfo(m[0])
		log.Info("model loaded", "name", m[0], "path", absPath(info.Path), "arch", info.Architecture, "dim", info.Dim, "context", info.ContextSize, "pooling", info.Pooling.String())
	}
	log.Info("ready")
	err = <-errc
	log.Info("stopped")
	return err
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
