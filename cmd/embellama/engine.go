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
	cfg.Logger = cliLogger(stderr, f.verbose)
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	announceModel(stderr, f.fs.Name(), cfg.ModelPath, source)
	return cfg, nil
}

// cliLogger is the engine's logger of every command: llama.cpp's errors
// on stderr, and with verbose its informational messages too.
func cliLogger(stderr io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelError
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// runEngine is the one way a command that loads an engine from the
// engine flags starts it: it builds the configuration (config: the
// environment, then the flags; the model announced on stderr), lets check
// refuse it before anything is loaded (nil: no check), and runs fn with
// the engine loaded under a context that an interrupt cancels.
func (f *engineFlags) runEngine(stderr io.Writer, check func(embed.Config) error, fn func(context.Context, *embed.Engine) error) error {
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cfg); err != nil {
			return err
		}
	}
	return interruptible(func(ctx context.Context) error {
		return withEngine(ctx, cfg, func(e *embed.Engine) error { return fn(ctx, e) })
	})
}

// interruptible runs fn with a context that an interrupt (Ctrl-C), or
// one of the other signals sigs, cancels.
func interruptible(fn func(context.Context) error, sigs ...os.Signal) error {
	ctx, stop := signal.NotifyContext(context.Background(), append([]os.Signal{os.Interrupt}, sigs...)...)
	defer stop()
	return fn(ctx)
}

// withEngine loads the library and the model of cfg (embed.New), runs fn
// with the engine, and closes it.
func withEngine(ctx context.Context, cfg embed.Config, fn func(*embed.Engine) error) error {
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	return fn(e)
}
