package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/embellama/embellama/embed"
)

// engineFlags are the flags that configure the engine, shared by the
// commands that run one. Unset flags leave the EMBELLAMA_* environment
// (see embed.EnvVars) in force.
type engineFlags struct {
	fs                                 *flag.FlagSet
	model, lib, backend, pooling, norm string
	truncate, flash                    string
	ctx, batch, target, threads, dims  int
	contexts                           int
	verbose                            bool
}

func addEngineFlags(fs *flag.FlagSet) *engineFlags {
	f := &engineFlags{fs: fs}
	fs.StringVar(&f.model, "model", "", "GGUF model `file` (default: $EMBELLAMA_MODEL, or the first embedding model in $"+envModels+" or ../shared/models)")
	fs.StringVar(&f.lib, "lib", "", "llama library `path`, file or directory (default: $EMBELLAMA_LIB_DIR, next to the executable, ./lib/<os>-<arch>-cpu)")
	fs.StringVar(&f.backend, "backend", "", "library to search for: cpu, cuda, metal or vulkan (default: $EMBELLAMA_BACKEND, or cpu); a GPU backend without its device falls back to the CPU, with a warning")
	fs.IntVar(&f.ctx, "ctx", 0, "longest text in `tokens` (default: the model's context, at most 4096)")
	fs.IntVar(&f.batch, "batch", 0, "token budget of one decode (default: max(ctx, 512))")
	fs.IntVar(&f.target, "batch-target", 0, "tokens packed into one decode before starting another (default 256 with one context, 128 with more)")
	fs.IntVar(&f.threads, "threads", 0, "CPU `threads`, shared by the contexts (default: physical cores)")
	fs.IntVar(&f.contexts, "contexts", 0, "llama contexts per model evaluating batches side by side (default: 2 on the CPU with 2 threads or more, else 1)")
	fs.StringVar(&f.pooling, "pooling", "", "pooling: mean, cls or last (default: the model's)")
	fs.StringVar(&f.norm, "normalize", "l2", "normalization: l2, none, maxabs or p<N>")
	fs.IntVar(&f.dims, "dimensions", 0, "keep the first `n` components, then normalize again (0: all)")
	fs.StringVar(&f.truncate, "truncate", "error", "texts longer than ctx: error, end (keep the beginning) or start (keep the end)")
	fs.StringVar(&f.flash, "flash-attn", "auto", "flash attention: auto (off on the CPU for heads not a multiple of 16 wide), on or off")
	fs.BoolVar(&f.verbose, "v", false, "log llama.cpp's informational messages too (errors are always logged)")
	return f
}

// config builds the engine configuration: environment first, then the
// flags given on the command line.
func (f *engineFlags) config(stderr io.Writer) (embed.Config, error) {
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, err
	}
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "model":
			cfg.ModelPath = f.model
		case "lib":
			cfg.Library = f.lib
		case "backend":
			err = errors.Join(err, cfg.Backend.UnmarshalText([]byte(f.backend)))
		case "ctx":
			cfg.ContextSize = f.ctx
		case "batch":
			cfg.BatchSize = f.batch
		case "batch-target":
			cfg.BatchTarget = f.target
		case "threads":
			cfg.Threads = f.threads
		case "contexts":
			cfg.Contexts = f.contexts
		case "pooling":
			err = errors.Join(err, cfg.Pooling.UnmarshalText([]byte(f.pooling)))
		case "normalize":
			err = errors.Join(err, cfg.Normalize.UnmarshalText([]byte(f.norm)))
		case "truncate":
			err = errors.Join(err, cfg.Truncate.UnmarshalText([]byte(f.truncate)))
		case "flash-attn":
			err = errors.Join(err, cfg.FlashAttention.UnmarshalText([]byte(f.flash)))
		}
	})
	if err != nil {
		return cfg, usageError{err}
	}
	if cfg.ModelPath == "" {
		if cfg.ModelPath, err = defaultModel(); err != nil {
			return cfg, err
		}
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", "[TEXT...]  (no TEXT: -file, or one text per line of standard input)", stderr)
	ef := addEngineFlags(fs)
	file := fs.String("file", "", "read texts from `path` (- for standard input): one per line, or JSON Lines (see -input)")
	field := fs.String("field", "", "JSON Lines: the `field` holding the text (default \"text\"); \"id\" names the output row")
	input := fs.String("input", "auto", "how lines are read: text, jsonl, or auto (jsonl with -field, for *.jsonl and *.ndjson files, or when the first line is a JSON object)")
	skipEmpty := fs.Bool("skip-empty", false, "leave blank lines out (no row; ids still count them) instead of giving each an error row")
	format := fs.String("format", "array", "output: array (a JSON array per line, null for a failed input), jsonl ({\"id\",\"embedding\"} or {\"id\",\"error\"} per line) or npy (float32 matrix)")
	output := fs.String("o", "-", "write the output to `path` (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	mode, err := parseInputMode(*input)
	if err != nil {
		return usageError{err}
	}
	var recs []record
	switch {
	case fs.NArg() > 0 && *file != "":
		return usageError{errors.New("give TEXT arguments or -file, not both")}
	case fs.NArg() > 0 && (*field != "" || mode != inputAuto):
		return usageError{errors.New("-field and -input read lines of -file or standard input, not TEXT arguments")}
	case fs.NArg() > 0:
		recs = argRecords(fs.Args(), *skipEmpty)
	default:
		in, name := stdin, ""
		if *file != "" && *file != "-" {
			f, err := os.Open(*file)
			if err != nil {
				return err
			}
			defer f.Close()
			in, name = f, *file
		}
		if recs, err = readInputs(in, inputOptions{mode: mode, field: *field, name: name, skipEmpty: *skipEmpty}); err != nil {
			return err
		}
		if !hasText(recs) {
			return usageError{errors.New("no text given: pass TEXT arguments, -file, or lines on standard input")}
		}
	}
	switch *format {
	case "array", "jsonl", "npy":
	default:
		return usageError{fmt.Errorf("unknown -format %q (want array, jsonl or npy)", *format)}
	}
	cfg, err := ef.config(stderr)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	opts := []embed.Option{embed.WithDimensions(ef.dims)}
	if len(recs) > 1 && isTerminal(stderr) {
		bar := &progressBar{w: stderr, start: time.Now()}
		opts = append(opts, embed.WithProgress(bar.update))
	}
	if err := embedRecords(ctx, e, recs, opts...); err != nil {
		return err
	}
	failed := reportFailures(stderr, recs)
	if failed > 0 && *format == "npy" {
		return fmt.Errorf("%d of %d inputs failed; npy has no row for them, so nothing was written (use -format jsonl to keep the others)", failed, len(recs))
	}
	out := stdout
	if *output != "-" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	if err := writeOutput(out, *format, recs); err != nil {
		return err
	}
	if failed > 0 {
		return errReported
	}
	return nil
}
