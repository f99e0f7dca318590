package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/embellama/embellama/internal/fixtures"
)

// ClassifyFile is the format of testdata/golden/<classifier fixture>.json.
type ClassifyFile struct {
	Fixture string   `json:"fixture"`
	SHA256  string   `json:"sha256"`
	Source  string   `json:"source"`
	Context int      `json:"context"`
	Labels  []string `json:"labels"`
	Inputs  []Input  `json:"inputs"`
}

// Input is one classified input (a text, or a pair of texts) and
// llama.cpp's raw class outputs for it, one per label.
type Input struct {
	Texts   []string  `json:"texts"`
	Outputs []float64 `json:"outputs"`
	Tokens  int       `json:"tokens"`
}

// ClassifyInputs are the recorded inputs: the documents alone, and a few
// pairs (as a natural-language-inference classifier takes them).
func ClassifyInputs() [][]string {
	var in [][]string
	for _, d := range Documents {
		in = append(in, []string{d})
	}
	for _, q := range Queries {
		in = append(in, []string{q, Documents[0]}, []string{q, Documents[3]})
	}
	return in
}

func isClassifier(name string) bool {
	for _, s := range fixtures.ClassifierSpecs() {
		if s.Name == name {
			return true
		}
	}
	return false
}

func recordClassify(bin, libDir, model, name string) (*ClassifyFile, error) {
	nctx, sum, err := fixtureContext(name, model)
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	var inputs []Input
	for _, texts := range ClassifyInputs() {
		fmt.Fprintf(&in, "%d", len(texts))
		for _, t := range texts {
			fmt.Fprintf(&in, " %d", len(t))
		}
		in.WriteString("\n" + strings.Join(texts, ""))
		inputs = append(inputs, Input{Texts: texts})
	}
	sc, err := runProg(bin, libDir, model, nctx, &in)
	if err != nil {
		return nil, err
	}
	if !sc.Scan() {
		return nil, fmt.Errorf("no output")
	}
	n, err := strconv.Atoi(sc.Text())
	if err != nil {
		return nil, fmt.Errorf("n_cls_out %q: %w", sc.Text(), err)
	}
	labels := make([]string, n)
	for i := range labels {
		if !sc.Scan() {
			return nil, fmt.Errorf("labels cut short after %d", i)
		}
		labels[i] = sc.Text()
	}
	for i := range inputs {
		if !sc.Scan() {
			return nil, fmt.Errorf("output cut short after %d inputs", i)
		}
		f := strings.Fields(sc.Text())
		if len(f) != n+1 {
			return nil, fmt.Errorf("input %d: %q: want %d fields", i, sc.Text(), n+1)
		}
		if inputs[i].Tokens, err = strconv.Atoi(f[0]); err != nil {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
		for _, s := range f[1:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("input %d: %w", i, err)
			}
			inputs[i].Outputs = append(inputs[i].Outputs, v)
		}
	}
	return &ClassifyFile{
		Fixture: name, SHA256: sum, Context: nctx, Labels: labels, Inputs: inputs,
		Source: "llama.cpp (LLAMA_CPP_VERSION) C API, CPU, flash attention off, one input per context: a text tokenized as " +
			"llama-embedding does, a pair laid out as llama-server's format_prompt_rerank; outputs llama_get_embeddings_seq's " +
			"n_cls_out floats, labels llama_model_cls_label (internal/cmd/goldenrerank/csrc/classify.c)",
	}, nil
}
