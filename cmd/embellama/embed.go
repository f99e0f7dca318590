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
	"slices"
	"strings"
	"time"

	"github.com/embellama/embellama/embed"
)

// engineFlags are the flags that configure the engine, shared by the
// commands that run one: one per entry of embed.Settings with a flag, and
// -dimensions and -v. Unset flags leave the EMBELLAMA_* environment (see
// embed.Setting.Env) in force.
type engineFlags struct {
	fs      *flag.FlagSet
	given   []givenFlag // the settings' flags, in command-line order
	dims    int
	verbose bool
	ret     retrievalFlags // retrieval.go: prompts and chunking
}

type givenFlag struct {
	s     embed.Setting
	value string
}

// engineUse says which flags beyond embed.Settings' a command honours,
// and which of those it has no use for: a command does not define a flag
// it would ignore, so that giving one is a usage error, not a no-op.
type engineUse struct {
	calls   bool     // -dimensions and -prompt-name, options of each call (embed)
	prompts bool     // the flags of the prompt settings (-prompt, -default-prompt)
	skip    []string // flags of embed.Settings the command ignores
}

// isPromptSetting reports the settings of a model's prompts, whose flags
// only the commands that apply prompts define.
func isPromptSetting(s embed.Setting) bool {
	return strings.HasPrefix(s.Field, "Prompts") || s.Field == "DefaultPrompt"
}

// setting returns the row of embed.Settings for field.
func setting(field string) embed.Setting {
	for _, s := range embed.Settings() {
		if s.Field == field {
			return s
		}
	}
	panic("cmd/embellama: no setting " + field) // a typo in this package
}

// flagUsage is the help of a setting's flag: the table's line, its
// variable and its default; -model's default is the CLI's own search.
func flagUsage(s embed.Setting) string {
	def := strings.ReplaceAll(s.Default, "`", "") // flag takes a backquoted word for the argument's name
	if s.Field == "ModelPath" {
		def = describeModelSearch()
	}
	if s.Env != "" {
		return fmt.Sprintf("%s ($%s; default: %s)", s.Doc, s.Env, def)
	}
	return fmt.Sprintf("%s (default: %s)", s.Doc, def)
}

func addEngineFlags(fs *flag.FlagSet, use engineUse) *engineFlags {
	f := &engineFlags{fs: fs}
	for _, s := range embed.Settings() {
		if s.Flag == "" || slices.Contains(use.skip, s.Flag) || isPromptSetting(s) && !use.prompts {
			continue
		}
		fs.Func(s.Flag, flagUsage(s), func(v string) error {
			f.given = append(f.given, givenFlag{s, v})
			return nil
		})
	}
	if use.calls {
		fs.IntVar(&f.dims, "dimensions", 0, "keep the first `n` components, then normalize again (0: all)")
		f.ret.addPromptName(fs)
	}
	fs.BoolVar(&f.verbose, "v", false, "log llama.cpp's informational messages too (errors are always logged)")
	return f
}

// flag returns the last value given on the command line for the named
// flag of embed.Settings, or "".
func (f *engineFlags) flag(name string) string {
	v := ""
	for _, g := range f.given {
		if g.s.Flag == name {
			v = g.value
		}
	}
	return v
}

// apply sets the fields of the flags given, in command-line order.
func (f *engineFlags) apply(cfg *embed.Config) error {
	var err error
	for _, g := range f.given {
		if e := g.s.Set(cfg, g.value); e != nil {
			e = fmt.Errorf("-%s %q: %w", g.s.Flag, g.value, e)
			if g.s.Flag == "prompt" { // "-prompt query" meant -prompt-name query
				e = fmt.Errorf(`%w (-prompt defines a prompt as NAME=TEXT, such as query="query: "; -prompt-name NAME applies one)`, e)
			}
			err = errors.Join(err, e)
		}
	}
	return err
}

// config builds the engine configuration: environment first, then the
// flags given on the command line.
func (f *engineFlags) config(stderr io.Writer) (embed.Config, error) {
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, err
	}
	if err := f.apply(&cfg); err != nil {
		return cfg, usageError{err}
	}
	source := "-model"
	switch {
	case f.flag("model") != "":
	case cfg.ModelPath != "":
		source = "$EMBELLAMA_MODEL"
	default:
		var err error
		if cfg.ModelPath, err = defaultModel(); err != nil {
			return cfg, err
		}
		source = "the first embedding model found"
	}
	level := slog.LevelError
	if f.verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	announceModel(stderr, f.fs.Name(), cfg.ModelPath, source)
	return cfg, nil
}

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", "[TEXT...]  (no TEXT: -file, or one text per line of standard input)", stderr)
	ef := addEngineFlags(fs, engineUse{calls: true, prompts: true})
	file := fs.String("file", "", "read texts from `path` (- for standard input): one per line, or JSON Lines (see -input)")
	var in inputFlags
	in.add(fs, "text")
	skipEmpty := fs.Bool("skip-empty", false, "leave blank lines out (no row; ids still count them) instead of giving each an error row")
	format := fs.String("format", "array", "output: array (a JSON array per line, null for a failed input), jsonl ({\"id\",\"embedding\"} or {\"id\",\"error\"} per line) or npy (float32 matrix)")
	output := fs.String("o", "-", "write the output to `path` (- for standard output)")
	ef.ret.addChunkFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := ef.ret.checkChunking(fs); err != nil {
		return err
	}
	recs, err := readTexts(fs.Args(), *file, stdin, &in, *skipEmpty)
	if err != nil {
		return err
	}
	if !slices.Contains([]string{"array", "jsonl", "npy"}, *format) {
		return usageError{fmt.Errorf("unknown -format %q (want array, jsonl or npy)", *format)}
	}
	cfg, err := ef.config(stderr)
	if err != nil {
		return err
	}
	if err := ef.ret.checkChunkContext(cfg.ContextSize); err != nil {
		return err // -ctx or $EMBELLAMA_CTX: known before loading
	}
	inputs := []string{cfg.ModelPath, *file}
	if err := checkOutput(*output, inputs...); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	if info, err := e.ModelInfo(""); err == nil {
		if err := ef.ret.checkChunkContext(info.ContextSize); err != nil {
			return err
		}
		ef.ret.notePromptAbsent(stderr, info)
	}
	opts := append([]embed.Option{embed.WithDimensions(ef.dims)}, ef.ret.options(fs)...)
	if ef.ret.chunk > 0 {
		out, err := openOutput(*output, stdout, inputs...)
		if err != nil {
			return err
		}
		err = embedChunks(ctx, e, recs, &ef.ret, opts, out)
		if err == nil && reportFailures(stderr, "embed", recs) > 0 {
			err = errReported // the other lines' chunks were written
		}
		return out.finish(err)
	}
	if len(recs) > 1 && isTerminal(stderr) {
		bar := &progressBar{w: stderr, start: time.Now()}
		opts = append(opts, embed.WithProgress(bar.update))
	}
	if err := embedRecords(ctx, e, recs, opts...); err != nil {
		return err
	}
	failed := reportFailures(stderr, "embed", recs)
	if failed > 0 && *format == "npy" {
		return fmt.Errorf("%d of %d inputs failed; npy has no row for them, so nothing was written (use -format jsonl to keep the others)", failed, len(recs))
	}
	out, err := openOutput(*output, stdout, inputs...)
	if err != nil {
		return err
	}
	err = writeOutput(out, *format, recs)
	if err == nil && failed > 0 {
		err = errReported
	}
	return out.finish(err)
}

// readTexts returns embed's inputs: the TEXT arguments args, or the lines
// of the file (standard input for "" or "-") read as in says.
func readTexts(args []string, file string, stdin io.Reader, in *inputFlags, skipEmpty bool) ([]record, error) {
	switch {
	case len(args) > 0 && file != "":
		return nil, usageError{errors.New("give TEXT arguments or -file, not both")}
	case len(args) > 0 && in.given():
		return nil, usageError{errors.New("-field and -input read lines of -file or standard input, not TEXT arguments")}
	case len(args) > 0:
		return argRecords(args, skipEmpty), nil
	}
	recs, err := readFileInputs(file, stdin, in, skipEmpty)
	if err != nil {
		return nil, err
	}
	if !hasText(recs) {
		return nil, usageError{errors.New("no text given: pass TEXT arguments, -file, or lines on standard input")}
	}
	return recs, nil
}

// readFileInputs reads the records of the file at path (standard input
// for "" or "-") as in says.
func readFileInputs(path string, stdin io.Reader, in *inputFlags, skipEmpty bool) ([]record, error) {
	r, name := stdin, ""
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	o, err := in.options(name, skipEmpty)
	if err != nil {
		return nil, err
	}
	return readInputs(r, o)
}
