// Command firststart is a Go program of another module, as a user of
// embellama writes it: on its first start, finding no native library, it
// installs the pinned one itself, then embeds its text and prints the
// vector as JSON. TestInstallOutsideCheckout builds it in a temporary
// module with a replace of the checkout and runs it with an empty HOME.
//
// Usage: firststart MODEL TEXT
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/install"
	"github.com/embellama/embellama/platform"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "firststart:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: firststart MODEL TEXT")
	}
	ctx := context.Background()
	e, err := embed.Open(ctx, args[0])
	if errors.Is(err, platform.ErrLibraryNotFound) {
		fmt.Fprintln(os.Stderr, "first start:", err)
		res, ierr := install.Library(ctx, install.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
		if ierr != nil {
			return ierr
		}
		fmt.Fprintf(os.Stderr, "installed %s: %d files of %s\n", res.Dir, len(res.Files), res.Pin.Packages[0].Spec())
		e, err = embed.Open(ctx, args[0])
	}
	if err != nil {
		return err
	}
	defer e.Close()
	v, err := e.Embed(ctx, "", args[1])
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(v)
}
