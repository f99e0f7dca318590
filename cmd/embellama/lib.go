package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// libHelp is the head of lib's usage message, before its flags.
const libHelp = `usage: embellama lib install|build|list|verify [flags]

  install  download the pinned library package(s) with npm pack, check their
           sha256 and install the shared libraries into DIR/<os>-<arch>-<backend>
  build    compile the pinned llama.cpp source (sha256-checked like a package)
           for this CPU with CMake and the system compiler into
           DIR/<os>-<arch>-native, which the library search then prefers; then
           measure it against the prebuilt library (docs/performance.md)
  list     show every pinned library and whether it is installed in DIR
  verify   check an installed library file by file against its manifest

DIR is -dir, else lib/ of the embellama checkout the working directory is in,
else the user library directory that the library search also looks in.
` + flagsNote + `

flags:
`

// runLib is `embellama lib install|build|list|verify`: the pinned native
// libraries, installed without a shell or make, or built for this CPU.
func runLib(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("lib", "", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, libHelp)
		fs.PrintDefaults()
	}
	goos := fs.String("os", runtime.GOOS, "target operating `system` (linux, darwin, windows)")
	goarch := fs.String("arch", runtime.GOARCH, "target `architecture` (amd64, arm64)")
	backend := fs.String("backend", "", "`backend`: cpu, cuda, metal or vulkan, or native (verify; lib build makes it) (default: cpu, or metal on darwin/arm64)")
	all := fs.Bool("all", false, "every pinned library (install, verify)")
	dir := fs.String("dir", "", "library `folder` holding <os>-<arch>-<backend> folders")
	cache := fs.String("cache", "", "download cache `folder` (default: the user cache directory's embellama/npm)")
	jobs := fs.Int("jobs", 0, "with build: parallel compile `jobs` (default: the number of CPUs)")
	model := fs.String("model", "", "with build: the embedding model `file` the measurement uses (default: the first found)")
	rebuild := fs.Bool("rebuild", false, "with build: build again even when an intact build is installed (after moving to another CPU or compiler)")
	rounds := fs.Int("rounds", 3, "with build: alternating rounds of the measurement against the prebuilt library (0: do not measure)")
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
	if sub == "build" {
		if *jobs < 0 || *rounds < 0 {
			return usageError{errors.New("-jobs and -rounds may not be negative")}
		}
		f := libBuildFlags{libDir: libDir, cache: *cache, model: *model, jobs: *jobs, rounds: *rounds, rebuild: *rebuild}
		return interruptible(func(ctx context.Context) error { return libBuild(ctx, stdout, stderr, f) })
	}
	pins, err := selectPins(*goos, *goarch, *backend, *all || sub == "list")
	if err != nil {
		return err
	}
	opts := libinstall.Options{LibDir: libDir, CacheDir: *cache, Progress: stderr, Terminal: isTerminal(stderr)}
	switch sub {
	case "install":
		return interruptible(func(ctx context.Context) error { return installPins(ctx, opts, pins) })
	case "verify":
		return verifyPins(stdout, opts, pins)
	case "list":
		if p, err := platform.NativePin(runtime.GOOS, runtime.GOARCH); err == nil {
			pins = append(pins, p) // built here, not installed: lib build
		}
		return listPins(stdout, opts, pins)
	case "", "-h", "-help", "--help", "help":
		fs.Usage()
		if sub == "" {
			return usageError{errors.New("lib needs install, build, list or verify")}
		}
		return flag.ErrHelp
	}
	return usageError{fmt.Errorf("unknown lib command %q (want install, build, list or verify)", sub)}
}

// installPins installs the library of each pin (lib install).
func installPins(ctx context.Context, opts libinstall.Options, pins []platform.Pin) error {
	for _, p := range pins {
		opts.Pin = p
		if _, err := libinstall.Install(ctx, opts); err != nil {
			return err
		}
	}
	return nil
}

// verifyPins checks the installed library of each pin against its
// manifest and says so on w (lib verify).
func verifyPins(w io.Writer, opts libinstall.Options, pins []platform.Pin) error {
	for _, p := range pins {
		opts.Pin = p
		res, err := libinstall.Verify(opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %d files match the manifest of %s\n", res.Dir, len(res.Files), p.Specs())
	}
	return nil
}

// checkLibFlags refuses flags that sub would ignore: a target (-os,
// -arch, -backend) with list or -all, which take every pinned library,
// or with build, which builds for this machine; -cache outside install
// and build, the ones that download; and build's own flags elsewhere.
func checkLibFlags(fs *flag.FlagSet, sub string, all bool) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	for _, f := range []string{"os", "arch", "backend"} {
		if given[f] && (all || sub == "list") {
			return usageError{fmt.Errorf("-%s names one target; lib list and -all take every pinned library", f)}
		}
	}
	if given["cache"] && sub != "install" && sub != "build" {
		return usageError{errors.New("-cache is where lib install and lib build download; lib " + sub + " downloads nothing")}
	}
	for _, f := range []string{"os", "arch", "backend", "all"} {
		if given[f] && sub == "build" {
			return usageError{fmt.Errorf("-%s: lib build compiles the native library for this machine only", f)}
		}
	}
	for _, f := range []string{"jobs", "model", "rounds", "rebuild"} {
		if given[f] && sub != "build" {
			return usageError{fmt.Errorf("-%s applies to lib build", f)}
		}
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
		if p.Backend == platform.Native && state == "no" {
			state = "no: embellama lib build"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Dir(), p.LlamaVersion, p.Specs(), state)
	}
	return tw.Flush()
}
