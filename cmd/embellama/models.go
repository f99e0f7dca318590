package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/embellama/embellama/internal/gguf"
)

type modelFile struct {
	path string
	file *gguf.File
	err  error
}

// scanModels reads the header of every .gguf file in dir, in name order.
func scanModels(dir string) ([]modelFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.gguf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	models := make([]modelFile, 0, len(paths))
	for _, p := range paths {
		// A FIFO named *.gguf would block the open below forever.
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			if err == nil {
				err = fmt.Errorf("not a regular file (%v)", fi.Mode().Type())
			}
			models = append(models, modelFile{path: p, err: err})
			continue
		}
		f, err := gguf.Open(p)
		models = append(models, modelFile{path: p, file: f, err: err})
	}
	return models, nil
}

func runModels(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("models", "[DIR]", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("at most one directory")}
	}
	dirs := []string{fs.Arg(0)}
	if dirs[0] == "" {
		if dirs = modelDirs(); len(dirs) == 0 {
			return usageError{fmt.Errorf("no directory given, and neither $%s nor embellama pull's directory exists", envModels)}
		}
	}
	var models []modelFile
	for _, dir := range dirs {
		found, err := scanModels(dir)
		if err != nil {
			return err
		}
		models = append(models, found...)
	}
	if len(models) == 0 {
		return fmt.Errorf("no .gguf files in %s", strings.Join(dirs, " or "))
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	// KIND is gguf.File.ModelKind, the rule the engine and the server's
	// /v1/models apply: embedding, reranker, classifier, or none (no
	// pooling declared: a language model).
	fmt.Fprintln(w, "FILE\tARCH\tDIM\tPOOLING\tCONTEXT\tTYPE\tPARAMS\tSIZE\tKIND")
	for _, m := range models {
		name := m.path // the directories searched by default: say which
		if fs.Arg(0) != "" {
			name = filepath.Base(m.path)
		}
		if m.err != nil {
			fmt.Fprintf(w, "%s\tinvalid: %v\n", name, m.err)
			continue
		}
		f := m.file
		pooling := "-"
		if p, ok := f.PoolingType(); ok {
			pooling = p.String()
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", name, f.Architecture(), f.EmbeddingLength(),
			pooling, f.ContextLength(), f.FileType(), human(f.ParameterCount(), 1000, ""), human(uint64(f.Size), 1024, "B"),
			f.ModelKind())
	}
	return w.Flush()
}

// human formats n with a unit prefix.
func human(n, base uint64, unit string) string {
	prefixes := []string{"", "K", "M", "G", "T"}
	if base == 1024 {
		prefixes = []string{"", "Ki", "Mi", "Gi", "Ti"}
	}
	v := float64(n)
	i := 0
	for v >= float64(base) && i < len(prefixes)-1 {
		v /= float64(base)
		i++
	}
	s := fmt.Sprintf("%.1f", v)
	if i == 0 {
		s = fmt.Sprint(n)
	}
	return strings.TrimSpace(s + " " + prefixes[i] + unit)
}
