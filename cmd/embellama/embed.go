package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"

	"github.com/embellama/embellama/embed"
)

// engineFlags are the flags that configure the engine, shared by the
// commands that run one. Unset flags leave the EMBELLAMA_* environment
// (see embed.EnvVars) in force.
type engineFlags struct {
	fs                                  *flag.FlagSet
	model, lib, pooling, norm, truncate string
	ctx, batch, threads, dims           int
	verbose                             bool
}

func addEngineFlags(fs *flag.FlagSet) *engineFlags {
	f := &engineFlags{fs: fs}
	fs.StringVar(&f.model, "model", "", "GGUF model `file` (default: $EMBELLAMA_MODEL, or the first embedding model in $"+envModels+" or ../shared/models)")
	fs.StringVar(&f.lib, "lib", "", "llama library `path`, file or directory (default: $EMBELLAMA_LIB_DIR, next to the executable, ./lib/<os>-<arch>-cpu)")
	fs.IntVar(&f.ctx, "ctx", 0, "longest text in `tokens` (default: the model's context, at most 4096)")
	fs.IntVar(&f.batch, "batch", 0, "token budget of one decode (default: max(ctx, 512))")
	fs.IntVar(&f.threads, "threads", 0, "CPU `threads` (default: physical cores)")
	fs.StringVar(&f.pooling, "pooling", "", "pooling: mean, cls or last (default: the model's)")
	fs.StringVar(&f.norm, "normalize", "l2", "normalization: l2, none, maxabs or p<N>")
	fs.IntVar(&f.dims, "dimensions", 0, "keep the first `n` components, then normalize again (0: all)")
	fs.StringVar(&f.truncate, "truncate", "error", "texts longer than ctx: error, end (keep the beginning) or start (keep the end)")
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
		case "ctx":
			cfg.ContextSize = f.ctx
		case "batch":
			cfg.BatchSize = f.batch
		case "threads":
			cfg.Threads = f.threads
		case "pooling":
			err = errors.Join(err, cfg.Pooling.UnmarshalText([]byte(f.pooling)))
		case "normalize":
			err = errors.Join(err, cfg.Normalize.UnmarshalText([]byte(f.norm)))
		case "truncate":
			err = errors.Join(err, cfg.Truncate.UnmarshalText([]byte(f.truncate)))
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
	fs := newFlagSet("embed", "[TEXT...]  (no TEXT: one text per line of standard input)", stderr)
	ef := addEngineFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	texts := fs.Args()
	if len(texts) == 0 {
		var err error
		if texts, err = readLines(stdin); err != nil {
			return err
		}
		if len(texts) == 0 {
			return usageError{errors.New("no text given: pass TEXT arguments or lines on standard input")}
		}
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
	r, err := e.EmbedBatch(ctx, "", texts, embed.WithDimensions(ef.dims))
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for _, v := range r.Vectors {
		writeVector(w, v)
	}
	return w.Flush()
}

// readLines returns the non-empty lines of r.
func readLines(r io.Reader) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			lines = append(lines, line)
		}
	}
	return lines, sc.Err()
}

// writeVector writes v as a JSON array of the shortest decimal forms that
// read back as the same float32 values, and a newline.
func writeVector(w *bufio.Writer, v []float32) {
	buf := make([]byte, 0, 16)
	w.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			w.WriteByte(',')
		}
		buf = strconv.AppendFloat(buf[:0], float64(x), 'g', -1, 32)
		w.Write(buf)
	}
	w.WriteString("]\n")
}
