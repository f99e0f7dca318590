package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/llama"
)

// runVersion prints the module version, the llama.cpp release the
// bindings are pinned to, and the library this process would load (or
// why none is found). It succeeds either way: `embellama info` is the
// command that fails when the library is unusable.
func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{errors.New("version takes no arguments")}
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "embellama\t%s\n", moduleVersion())
	fmt.Fprintf(w, "go\t%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "llama.cpp\t%s (pinned)\n", llama.PinnedVersion)
	fmt.Fprintf(w, "library\t%s\n", libraryFound())
	return w.Flush()
}

// moduleVersion returns the main module's version as the build recorded
// it, with the VCS revision when the binary was built from a checkout.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" && v == "(devel)" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " revision " + rev
		if modified == "true" {
			v += " (modified)"
		}
	}
	return v
}

// libraryFound loads the library the environment selects, as `embed`
// would, and describes it, or says why there is none.
func libraryFound() string {
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return "not checked: " + errorText(err)
	}
	var found string
	err := withEngine(context.Background(), cfg, func(e *embed.Engine) error {
		lib := e.Library()
		found = fmt.Sprintf("%s (llama.cpp %s, %s backend)", lib.Path(), lib.Version(), e.Backend())
		return nil
	})
	if err != nil {
		return "none usable: " + errorText(err)
	}
	return found
}
