// Command genfixtures writes the fixture models of package fixtures.
//
//	go run ./internal/cmd/genfixtures [-src .cache/llama.cpp] [-out .cache/fixtures] [-bench] [NAME...]
//
// Without names it writes the small test fixtures (rerankers and classifiers included); -bench adds the
// full-size benchmark shapes. Existing files are kept.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/embellama/embellama/internal/fixtures"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genfixtures:", err)
		os.Exit(1)
	}
}

func run() error {
	src := flag.String("src", ".cache/llama.cpp", "pinned llama.cpp source checkout (make headers)")
	out := flag.String("out", ".cache/fixtures", "output `directory`")
	bench := flag.Bool("bench", false, "also write the full-size benchmark shapes")
	flag.Parse()
	var specs []fixtures.Spec
	if flag.NArg() > 0 {
		for _, name := range flag.Args() {
			s, ok := fixtures.Lookup(name)
			if !ok {
				return fmt.Errorf("no fixture named %q", name)
			}
			specs = append(specs, s)
		}
	} else {
		for _, s := range fixtures.All() {
			if !s.Benchmark || *bench {
				specs = append(specs, s)
			}
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, s := range specs {
		path := filepath.Join(*out, s.Name+".gguf")
		if _, err := os.Stat(path); err == nil {
			fmt.Println("kept", path)
			continue
		}
		if err := fixtures.WriteFile(s, *src, path); err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}
