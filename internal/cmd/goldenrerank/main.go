// Command goldenrerank records llama.cpp's own rerank scores of the
// reranker fixtures, and the class outputs of the classifier fixtures
// (classify.go), into testdata/golden/<fixture>.json.
//
//	go run ./internal/cmd/goldenrerank [-lib lib/linux-amd64-cpu] [-fixtures .cache/fixtures] [NAME...]
//
// The scores come from csrc/rerank.c, compiled here with $(go env CC) against
// the pinned llama.cpp headers and the installed libllama: it lays each
// pair out as the pinned llama-server's format_prompt_rerank does and
// reads the score as its send_rerank does (embd[0] of the sequence), one
// pair per context, so the golden file does not depend on embellama's Go
// code. llama-server --rerank on the same files gives the same scores.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/internal/filehash"
	"github.com/embellama/embellama/internal/fixtures"
)

// File is the format of testdata/golden/<reranker fixture>.json.
type File struct {
	Fixture string `json:"fixture"`
	SHA256  string `json:"sha256"`
	Source  string `json:"source"`
	Context int    `json:"context"`
	Pairs   []Pair `json:"pairs"`
}

// Pair is one query-document pair and llama.cpp's score for it.
type Pair struct {
	Query    string  `json:"query"`
	Document string  `json:"document"`
	Score    float64 `json:"score"`
	Tokens   int     `json:"tokens"`
}

// Queries and Documents are crossed into the recorded pairs.
var (
	Queries = []string{"what is a giant panda?", "Wie spät ist es in Zürich?", "日本の首都はどこですか"}
	// Documents include multi-byte UTF-8 and one long document.
	Documents = []string{
		"The giant panda is a bear species endemic to China.",
		"Paris is the capital and largest city of France.",
		"Es ist jetzt halb drei am Nachmittag in der Schweiz.",
		"東京は日本の首都であり、最大の都市です。",
		"Quantum chromodynamics describes the strong interaction between quarks and gluons.",
		strings.Repeat("Pandas eat bamboo for most of the day, and they sleep in between meals. ", 12),
	}
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "goldenrerank:", err)
		os.Exit(1)
	}
}

func run() error {
	lib := flag.String("lib", "lib/linux-amd64-cpu", "`directory` of the pinned libllama and its ggml backends")
	dir := flag.String("fixtures", ".cache/fixtures", "fixture `directory` (make fixtures)")
	src := flag.String("src", ".cache/llama.cpp", "pinned llama.cpp source (headers)")
	out := flag.String("out", "testdata/golden", "output `directory`")
	flag.Parse()
	libDir, err := filepath.Abs(*lib)
	if err != nil {
		return err
	}
	bin, err := build(libDir, *src, "rerank")
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(bin))
	cbin, err := build(libDir, *src, "classify")
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(cbin))
	names := flag.Args()
	if len(names) == 0 {
		for _, s := range fixtures.RerankSpecs() {
			if s.Benchmark {
				continue
			}
			names = append(names, s.Name)
		}
		for _, s := range fixtures.ClassifierSpecs() {
			names = append(names, s.Name)
		}
	}
	for _, name := range names {
		var g any
		var err error
		if isClassifier(name) {
			g, err = recordClassify(cbin, libDir, filepath.Join(*dir, name+".gguf"), name)
		} else {
			g, err = record(bin, libDir, filepath.Join(*dir, name+".gguf"), name)
		}
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

// build compiles csrc/<prog>.c, with csrc/common.c, against the library in libDir.
func build(libDir, src, prog string) (string, error) {
	cc, err := exec.Command("go", "env", "CC").Output()
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "goldenrerank-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, prog)
	libs, _ := filepath.Glob(filepath.Join(libDir, "libllama*.so"))
	ggml, _ := filepath.Glob(filepath.Join(libDir, "libggml.*so"))
	base, _ := filepath.Glob(filepath.Join(libDir, "libggml-base*.so"))
	if len(libs) == 0 || len(ggml) == 0 || len(base) == 0 {
		return "", fmt.Errorf("no libllama/libggml/libggml-base in %s (make lib)", libDir)
	}
	csrc := "internal/cmd/goldenrerank/csrc"
	args := []string{"-O1", "-o", bin, filepath.Join(csrc, prog+".c"), filepath.Join(csrc, "common.c"),
		"-I" + filepath.Join(src, "include"), "-I" + filepath.Join(src, "ggml", "include"),
		libs[0], ggml[0], base[0], "-Wl,-rpath," + libDir}
	cmd := exec.Command(strings.TrimSpace(string(cc)), args...)
	cmd.Stderr = os.Stderr
	return bin, cmd.Run()
}

func record(bin, libDir, model, name string) (*File, error) {
	nctx, sum, err := fixtureContext(name, model)
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	var pairs []Pair
	for _, q := range Queries {
		for _, d := range Documents {
			fmt.Fprintf(&in, "%d %d\n%s%s", len(q), len(d), q, d)
			pairs = append(pairs, Pair{Query: q, Document: d})
		}
	}
	sc, err := runProg(bin, libDir, model, nctx, &in)
	if err != nil {
		return nil, err
	}
	for i := range pairs {
		if !sc.Scan() {
			return nil, fmt.Errorf("output cut short after %d pairs", i)
		}
		if _, err := fmt.Sscan(sc.Text(), &pairs[i].Score, &pairs[i].Tokens); err != nil {
			return nil, fmt.Errorf("pair %d: %q: %w", i, sc.Text(), err)
		}
	}
	return &File{
		Fixture: name, SHA256: sum, Context: nctx, Pairs: pairs,
		Source: "llama.cpp (LLAMA_CPP_VERSION) C API, CPU, flash attention off, one pair per context: pair layout of llama-server's " +
			"format_prompt_rerank, score embd[0] as its send_rerank (internal/cmd/goldenrerank/csrc/rerank.c)",
	}, nil
}

// fixtureContext returns the context the fixture name is recorded at
// (its own, at most 512 tokens) and the sha256 of its file model.
func fixtureContext(name, model string) (int, string, error) {
	spec, ok := fixtures.Lookup(name)
	if !ok {
		return 0, "", fmt.Errorf("no fixture %q", name)
	}
	sum, err := filehash.SHA256(model)
	if err != nil {
		return 0, "", err
	}
	return min(spec.Context, 512), sum, nil
}

// runProg runs the compiled bin on model with nctx and the input in,
// and returns a scanner of its output lines.
func runProg(bin, libDir, model string, nctx int, in io.Reader) (*bufio.Scanner, error) {
	cmd := exec.Command(bin, libDir, model, fmt.Sprint(nctx))
	cmd.Stdin = in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, tail(stderr.String()))
	}
	return bufio.NewScanner(bytes.NewReader(outb)), nil
}

func tail(s string) string {
	if len(s) > 500 {
		s = s[len(s)-500:]
	}
	return s
}
