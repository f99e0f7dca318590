package install_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/install"
	"github.com/embellama/embellama/platform"
)

// A program's set-up step installs the library (or finds it up to date)
// before it opens a model. It needs npm, and downloads about 11 MB the
// first time, so this example is compiled but not run by go test;
// TestInstallOutsideCheckout runs the same calls in a program of its own.
func ExampleLibrary() {
	ctx := context.Background()
	res, err := install.Library(ctx, install.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), // each step, as it happens
	})
	switch {
	case errors.Is(err, install.ErrDownload):
		log.Fatalf("install Node.js (npm downloads the library): %v", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("llama.cpp %s in %s (already there: %v)\n", res.Pin.LlamaVersion, res.Dir, res.UpToDate)

	e, err := embed.Open(ctx, "model.gguf") // finds the library in the user library folder
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
}

// On first start: only when embed.Open finds no library does the program
// install it, then open again.
func ExampleLibrary_firstStart() {
	ctx := context.Background()
	e, err := embed.Open(ctx, "model.gguf")
	if errors.Is(err, platform.ErrLibraryNotFound) {
		if _, err := install.Library(ctx, install.Options{}); err != nil {
			log.Fatal(err)
		}
		e, err = embed.Open(ctx, "model.gguf")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
}

// Verify checks an installed library file by file and downloads nothing:
// here, an empty folder holds none.
func ExampleVerify() {
	dir, err := os.MkdirTemp("", "embellama-lib-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_, err = install.Verify(install.Options{LibDir: dir, CacheDir: dir})
	fmt.Println(errors.Is(err, install.ErrNotInstalled))
	// Output: true
}
