package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/embellama/embellama/internal/gguf"
)

// fixtureMark is what the description (general.description) of the
// repository's generated test models starts with: random weights, whose
// vectors carry no meaning.
const fixtureMark = "TEST FIXTURE"

// modelFacts is what the commands say about the model they use: its
// general.name and general.description, read from the GGUF header.
type modelFacts struct {
	ok                bool // the header was read
	name, description string
}

// readModelFacts reads path's name and description; a file that cannot
// be read gives none (the engine's own check reports why).
func readModelFacts(path string) modelFacts {
	f, err := gguf.Open(path)
	if err != nil {
		return modelFacts{}
	}
	desc, _ := f.String("general.description")
	return modelFacts{ok: true, name: f.Name(), description: strings.TrimSpace(desc)}
}

// fixture reports a test fixture's description.
func (m modelFacts) fixture() bool {
	return strings.Contains(strings.ToUpper(m.description), fixtureMark)
}

// announceModel writes, on w (stderr), which model an engine command
// uses, where it came from, and its description, with a warning when it
// is a test fixture: "make run" and a bare "embellama embed" pick the
// first model found, which in a checkout may be one.
func announceModel(w io.Writer, cmd, path, source string) {
	m := readModelFacts(path)
	if !m.ok {
		return // not a GGUF file: the engine's error says so, alone
	}
	name := m.name
	if name == "" {
		name = "unnamed"
	}
	line := fmt.Sprintf("embellama %s: model %s (%s, %s)", cmd, name, absPath(path), source)
	if m.description != "" {
		line += ": " + firstLine(m.description)
	}
	fmt.Fprintln(w, line)
	if m.fixture() {
		fmt.Fprintf(w, "embellama %s: warning: %s is a test fixture with random weights; its vectors carry no meaning (give -model a real model, or run embellama pull)\n", cmd, absPath(path))
	}
}

// firstLine returns s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
