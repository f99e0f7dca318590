package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"

	"github.com/embellama/embellama/embed"
)

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", "[TEXT...]  (no TEXT: one text per line of standard input)", stderr)
	model := fs.String("model", "", "GGUF model `file` (default: the first embedding model in $"+envModels+" or ../shared/models)")
	lib := fs.String("lib", "", "llama library `path` (file or directory; default: $EMBELLAMA_LIB_DIR, next to the executable, ./lib/<os>-<arch>-cpu)")
	ctxSize := fs.Int("ctx", 0, "context size in `tokens`: the longest text accepted (default 4096, capped by the model)")
	threads := fs.Int("threads", runtime.NumCPU(), "CPU `threads` for llama.cpp")
	verbose := fs.Bool("v", false, "log llama.cpp's informational messages too (errors are always logged)")
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
	if *model == "" {
		var err error
		if *model, err = defaultModel(); err != nil {
			return err
		}
	}

	opts := []embed.Option{embed.WithLibrary(*lib), embed.WithThreads(*threads)}
	if *ctxSize != 0 {
		opts = append(opts, embed.WithContextSize(*ctxSize))
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	opts = append(opts, embed.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := embed.Open(ctx, *model, opts...)
	if err != nil {
		return err
	}
	defer e.Close()
	vecs, err := e.Embed(ctx, texts...)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	for _, v := range vecs {
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
