// Command embellama embeds text with a GGUF model through the prebuilt
// llama.cpp library, without cgo.
//
// Usage:
//
//	embellama embed [flags] [TEXT...]   print one JSON vector per text
//	embellama models [DIR]              list the GGUF models in a directory
//	embellama serve [flags]             serve the OpenAI embeddings API
//	embellama pull [REF]                download a model into the user cache
//	embellama info [-model FILE]        show the library, devices and model
//	embellama bench [flags]             measure speed, optionally side by side with a server
//	embellama version                   print the versions and the library found
//	embellama quantize IN OUT -type T   convert a model to another weight format
//	embellama lib install|list|verify   install the pinned native library (npm pack, sha256-checked)
//
// Run "embellama COMMAND -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line is wrong
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"embed", "print the embedding of each text as a JSON array, one per line", runEmbed},
		{"rerank", "score documents against a query with a reranker model", runRerank},
		{"classify", "label each text with a sequence classifier model, one JSON line per text", runClassify},
		{"models", "list the GGUF models in a directory and what they are", runModels},
		{"serve", "serve the OpenAI embeddings API over HTTP", runServe},
		{"pull", "download a GGUF model into the user cache, resumable and verified", runPull},
		{"info", "show the native library, backend, devices and CPU variant in use", runInfo},
		{"bench", "measure throughput and latency, optionally against an OpenAI-compatible server", runBench},
		{"version", "print the embellama version, the pinned llama.cpp and the library found", runVersion},
		{"quantize", "convert a GGUF model to another weight format (q8_0, q4_k, bf16, f16, ...)", runQuantize},
		{"lib", "install, list or verify the pinned native llama.cpp libraries", runLib},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: embellama COMMAND [flags] [args]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "embellama COMMAND -h" for a command's flags.`)
	fmt.Fprintln(w, flagsNote)
}

// usageError marks an error in the command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// errReported is returned by a command that has already written its
// errors to stderr (one per failed input): the exit status is 1 and
// nothing more is printed.
var errReported = errors.New("errors reported")

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdin, stdout, stderr)
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "embellama %s: %s\n", c.name, errorText(err))
			return exitUsage
		case errors.Is(err, errReported):
			return exitFailure
		default:
			fmt.Fprintf(stderr, "embellama %s: %s\n", c.name, errorText(err))
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "embellama: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

// flagsNote is the line every usage message carries: how parse reads a
// command line.
const flagsNote = "Flags may come before, between or after the arguments; -- ends the flags, so an argument that starts with - must follow it."

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			fmt.Fprintln(stderr, strings.TrimSpace("usage: embellama "+name+" "+args))
			return
		}
		fmt.Fprintf(stderr, "usage: embellama %s [flags] %s\n%s\n\nflags:\n", name, args, flagsNote)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, the flags anywhere among the arguments, and turns
// flag errors into usage errors. An argument is a word that does not
// start with - (or is - itself); after "--" every word is an argument.
// fs.Args() then holds the arguments in their order. It is the one
// parser of every subcommand, so "embed TEXT -model M" and "embed -model
// M TEXT" mean the same.
func parse(fs *flag.FlagSet, args []string) error {
	// A wrong flag is one line with a hint, not the flag package's error,
	// the whole usage and the error again; -h prints the usage.
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out) // the usage lists the flags there
				usage()
				return err
			}
			return usageError{fmt.Errorf("%w (embellama %s -h lists the flags)", err, fs.Name())}
		}
		left := fs.Args()
		if endedByDashes(fs, rest[:len(rest)-len(left)]) {
			positional = append(positional, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		positional = append(positional, left[0])
		rest = left[1:]
	}
	// Parse once more with no flags, to leave the arguments in fs.Args().
	return fs.Parse(append([]string{"--"}, positional...))
}

// endedByDashes reports whether the flags fs.Parse consumed ended with
// the "--" terminator, and not with "--" given as the value of a flag
// ("-query --").
func endedByDashes(fs *flag.FlagSet, consumed []string) bool {
	for i := 0; i < len(consumed); i++ {
		a := consumed[i]
		if a == "--" {
			return true
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
		}
		i++ // the flag's value
	}
	return false
}

// noArgs refuses arguments left after the flags of a command that takes
// none ("info model.gguf" would otherwise ignore the model).
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s (this command takes none)", strings.Join(fs.Args(), " "))}
	}
	return nil
}
