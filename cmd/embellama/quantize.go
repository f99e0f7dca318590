package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
)

func runQuantize(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("quantize", "IN OUT", stderr)
	typ := fs.String("type", "", "output format: "+embed.AutoType+" (measure and pick the fastest near-exact one), "+strings.Join(embed.QuantizeTypes(), ", ")+" (q4_k and q5_k are llama.cpp's _M mixes)")
	threads := fs.Int("threads", 0, "conversion `threads` (default: physical cores)")
	force := fs.Bool("f", false, "overwrite OUT if it exists")
	requant := fs.Bool("requantize", false, "convert tensors that are already quantized (their rounding compounds)")
	lib := fs.String("lib", "", flagUsage(setting("Library")))
	verbose := fs.Bool("v", false, "log llama.cpp's messages, tensor by tensor")
	if err := parse(fs, args); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) != 2 {
		return usageError{fmt.Errorf("want IN and OUT, got %d paths", len(paths))}
	}
	if *typ == "" {
		return usageError{errors.New("-type is required: " + strings.Join(embed.QuantizeTypes(), ", "))}
	}
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	cfg.ModelPath = ""
	if *lib != "" {
		cfg.Library = *lib
	}
	cfg.Logger = cliLogger(stderr, *verbose)
	// Ctrl-C cancels the conversion, so that quantize -type auto removes
	// its temporary copies (an F32 copy is twice the F16 input).
	return interruptible(func(ctx context.Context) error {
		return withEngine(ctx, cfg, func(e *embed.Engine) error {
			opts := embed.QuantizeOptions{Type: *typ, Threads: *threads, Overwrite: *force, Requantize: *requant}
			return quantizeFile(ctx, e, paths[0], paths[1], opts, stdout, stderr)
		})
	})
}

// quantizeFile converts in to out with e, as opts says (-type auto:
// quantizeAuto), and describes what it wrote on stdout.
func quantizeFile(ctx context.Context, e *embed.Engine, in, out string, opts embed.QuantizeOptions, stdout, stderr io.Writer) error {
	start := time.Now()
	var err error
	if strings.EqualFold(opts.Type, embed.AutoType) {
		err = quantizeAuto(ctx, e, in, out, opts, stdout, stderr)
	} else {
		err = e.Quantize(ctx, in, out, opts)
	}
	switch {
	case errors.Is(err, embed.ErrQuantizeType), errors.Is(err, embed.ErrInvalidOption):
		return usageError{err}
	case err != nil:
		return err
	}
	return describeQuantized(stdout, in, out, time.Since(start))
}

// describeQuantized prints one line: what was written, from what.
func describeQuantized(w io.Writer, in, out string, took time.Duration) error {
	src, err := gguf.Open(in)
	if err != nil {
		return err
	}
	dst, err := gguf.Open(out)
	if err != nil {
		return err
	}
	size := func(p string) uint64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return uint64(fi.Size())
	}
	_, err = fmt.Fprintf(w, "%s: %s, %s (from %s, %s) in %.1fs\n", out, dst.FileType(), human(size(out), 1024, "B"),
		src.FileType(), human(size(in), 1024, "B"), took.Seconds())
	return err
}
