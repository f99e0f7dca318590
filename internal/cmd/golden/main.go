// Command golden records llama.cpp's own embeddings of the test fixtures
// into testdata/golden/<fixture>.json, so that CI can check the engine
// against llama.cpp without building it.
//
//	go run ./internal/cmd/golden [-embedding build/llama.cpp/bin/llama-embedding]
//	    [-fixtures .cache/fixtures] [-texts ../shared/models/reference/bert-mean.json] [NAME...]
//
// Each text is embedded by its own llama-embedding run (one sequence per
// decode, L2-normalized, 7 decimals), so the vectors are those of a single
// evaluation. llama-embedding sometimes exits 0 with its output cut short;
// every run is checked and retried.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/internal/filehash"
	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/internal/gguf"
)

// File is the format of testdata/golden/<fixture>.json.
type File struct {
	Fixture  string   `json:"fixture"`
	SHA256   string   `json:"sha256"`
	Source   string   `json:"source"`
	Command  string   `json:"command"`
	Dim      int      `json:"dim"`
	Pooling  string   `json:"pooling"`
	Results  []Result `json:"results"`
	Generate string   `json:"generate"`
}

// Result is one text and llama.cpp's L2-normalized vector for it.
type Result struct {
	Text      string    `json:"text"`
	Embedding []float64 `json:"embedding"`
}

const separator = "<#EMBELLAMA-SEP#>"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "golden:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("embedding", "build/llama.cpp/bin/llama-embedding", "llama-embedding `binary` built from the pinned source (make llama)")
	dir := flag.String("fixtures", ".cache/fixtures", "fixture `directory` (make fixtures)")
	textsFrom := flag.String("texts", "../shared/models/reference/bert-mean.json", "reference `file` whose texts to embed")
	out := flag.String("out", "testdata/golden", "output `directory`")
	flag.Parse()

	texts, err := readTexts(*textsFrom)
	if err != nil {
		return err
	}
	names := flag.Args()
	if len(names) == 0 {
		for _, s := range fixtures.Specs() {
			if !s.Benchmark {
				names = append(names, s.Name)
			}
		}
	}
	for _, name := range names {
		spec, ok := fixtures.Lookup(name)
		if !ok {
			return fmt.Errorf("no fixture %q", name)
		}
		g, err := record(*bin, filepath.Join(*dir, name+".gguf"), spec, texts)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		path, err := fixtures.WriteGolden(*out, name, g)
		if err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	return nil
}

func readTexts(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f struct {
		Texts []string `json:"texts"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if len(f.Texts) == 0 {
		return nil, fmt.Errorf("%s has no texts", path)
	}
	return f.Texts, nil
}

func record(bin, model string, spec fixtures.Spec, texts []string) (*File, error) {
	sum, err := filehash.SHA256(model)
	if err != nil {
		return nil, err
	}
	gf, err := gguf.Open(model)
	if err != nil {
		return nil, err
	}
	ctx := fmt.Sprint(min(spec.Context, 2048))
	args := []string{"-m", model, "-c", ctx, "-b", ctx, "-ub", ctx, "-t", "2", "--embd-normalize", "2",
		"--embd-output-format", "array", "--embd-separator", separator}
	g := &File{
		Fixture:  spec.Name,
		SHA256:   sum,
		Source:   "llama-embedding built from the pinned llama.cpp source (LLAMA_CPP_VERSION), CPU, one text per run",
		Command:  "llama-embedding " + strings.Join(args, " ") + " -p TEXT",
		Dim:      spec.Hidden,
		Pooling:  spec.Pooling.String(),
		Generate: "make golden (go run ./internal/cmd/golden); fixture from go run ./internal/cmd/genfixtures " + spec.Name,
	}
	if p, ok := gf.PoolingType(); !ok || p != spec.Pooling {
		return nil, fmt.Errorf("fixture declares pooling %v, spec %v", p, spec.Pooling)
	}
	for _, text := range texts {
		v, err := embedOne(bin, append(args, "-p", text), spec.Hidden)
		if err != nil {
			return nil, fmt.Errorf("text %.40q: %w", text, err)
		}
		g.Results = append(g.Results, Result{Text: text, Embedding: v})
	}
	return g, nil
}

func embedOne(bin string, args []string, dim int) ([]float64, error) {
	var last error
	for range 5 {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%w: %s", err, tail(stderr.String()))
		}
		v, err := parse(stdout.String(), dim)
		if err == nil {
			return v, nil
		}
		last = err
	}
	return nil, last
}

// parse finds the JSON array of arrays in llama-embedding's output.
func parse(out string, dim int) ([]float64, error) {
	i := strings.Index(out, "[[")
	if i < 0 {
		return nil, errors.New("no array in output")
	}
	var vs [][]float64
	if err := json.Unmarshal([]byte(strings.TrimSpace(out[i:])), &vs); err != nil {
		return nil, fmt.Errorf("output cut short: %w", err)
	}
	if len(vs) != 1 {
		return nil, fmt.Errorf("got %d vectors, want 1", len(vs))
	}
	if len(vs[0]) != dim {
		return nil, fmt.Errorf("got %d values, want %d", len(vs[0]), dim)
	}
	return vs[0], nil
}

func tail(s string) string {
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	return s
}
