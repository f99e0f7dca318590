package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// runLib is `embellama lib install|list|verify`: the pinned native
// libraries, installed without a shell or make.
func runLib(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("lib", "", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: embellama lib install|list|verify [flags]

  install  download the pinned library package(s) with npm pack, check their
           sha256 and install the shared libraries into DIR/<os>-<arch>-<backend>
  list     show every pinned library and whether it is installed in DIR
  verify   check an installed library file by file against its manifest

DIR is -dir, else lib/ of the embellama checkout the working directory is in,
else the user library directory that the library search also looks in.
`+flagsNote+`

flags:
`)
		fs.PrintDefaults()
	}
	goos := fs.String("os", runtime.GOOS, "target operating `system` (linux, darwin, windows)")
	goarch := fs.String("arch", runtime.GOARCH, "target `architecture` (amd64, arm64)")
	backend := fs.String("backend", "", "`backend`: cpu, cuda, metal or vulkan (default: cpu, or metal on darwin/arm64)")
	all := fs.Bool("all", false, "every pinned library (install, verify)")
	dir := fs.String("dir", "", "library `folder` holding <os>-<arch>-<backend> folders")
	cache := fs.String("cache", "", "download cache `folder` (default: the user cache directory's embellama/npm)")
	if err := parse(fs, args); err != nil {
		return err
	}
	sub := fs.Arg(0) // the flags may come before or after it
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(1))}
	}
	if err := checkLibFlags(fs, sub, *all); err != nil {
		return err
	}
	libDir, err := libFolder(*dir)
	if err != nil {
		return err
	}
	pins, err := selectPins(*goos, *goarch, *backend, *all || sub == "list")
	if err != nil {
		return err
	}
	opts := libinstall.Options{LibDir: libDir, CacheDir: *cache, Progress: stderr, Terminal: isTerminal(stderr)}
	switch sub {
	case "install":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		for _, p := range pins {
			opts.Pin = p
			if _, err := libinstall.Install(ctx, opts); err != nil {
				return err
			}
		}
		return nil
	case "verify":
		for _, p := range pins {
			opts.Pin = p
			res, err := libinstall.Verify(opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: %d files match the manifest of %s\n", res.Dir, len(res.Files), p.Specs())
		}
		return nil
	case "list":
		return listPins(stdout, opts, pins)
	case "", "-h", "-help", "--help", "help":
		fs.Usage()
		if sub == "" {
			return usageError{errors.New("lib needs install, list or verify")}
		}
		return flag.ErrHelp
	}
	return usageError{fmt.Errorf("unknown lib command %q (want install, list or verify)", sub)}
}

// checkLibFlags refuses flags that sub would ignore: a target (-os,
// -arch, -backend) with list or -all, which take every pinned library,
// and -cache outside install, the only one that downloads.
func checkLibFlags(fs *flag.FlagSet, sub string, all bool) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, f := range []string{"os", "arch", "backend"} {
		if given[f] && (all || sub == "list") {
			return usageError{fmt.Errorf("-%s names one target; lib list and -all take every pinned library", f)}
		}
	}
	if given["cache"] && sub != "install" {
		return usageError{errors.New("-cache is where lib install downloads; lib " + sub + " downloads nothing")}
	}
	return nil
}

// libFolder returns where libraries are installed: dir, else the lib/ of
// the checkout of the working directory, else the user library folder.
func libFolder(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	if cwd, err := os.Getwd(); err == nil {
		if root := platform.CheckoutRoot(cwd); root != "" {
			return filepath.Join(root, "lib"), nil
		}
	}
	return platform.UserLibDir()
}

// selectPins returns the pins to act on: every pin with all, else the one
// of goos, goarch and backend.
func selectPins(goos, goarch, backend string, all bool) ([]platform.Pin, error) {
	if all {
		return platform.Pins(), nil
	}
	var b platform.Backend
	switch {
	case backend != "":
		var err error
		if b, err = platform.ParseBackend(backend); err != nil {
			return nil, usageError{err}
		}
	case goos == "darwin" && goarch == "arm64":
		b = platform.Metal
	default:
		b = platform.CPU
	}
	p, err := platform.PinFor(goos, goarch, b)
	if err != nil {
		return nil, usageError{err}
	}
	return []platform.Pin{p}, nil
}

func listPins(w io.Writer, opts libinstall.Options, pins []platform.Pin) error {
	fmt.Fprintf(w, "library folder: %s\n", opts.LibDir)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLATFORM\tLLAMA.CPP\tPACKAGES\tINSTALLED")
	for _, p := range pins {
		opts.Pin = p
		state := "yes, verified"
		if _, err := libinstall.Verify(opts); errors.Is(err, libinstall.ErrNotInstalled) {
			state = "no"
		} else if err != nil {
			state = "damaged or another version: run install"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Dir(), p.LlamaVersion, p.Specs(), state)
	}
	return tw.Flush()
}
