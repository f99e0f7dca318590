package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestModelAnnounced: an engine command says on stderr which model it
// used (name, path, where the choice came from) and its description,
// and warns when the GGUF's description marks a test fixture; info
// shows the description. Before, "make run" embedded with a fixture
// picked from the checkout and said nothing.
func TestModelAnnounced(t *testing.T) {
	t.Setenv("EMBELLAMA_LIB_DIR", testenv.Library(t))
	model := testenv.Fixture(t, "bert-mean-tiny")
	facts := readModelFacts(model)
	require.True(t, facts.fixture(), "the generated fixtures say TEST FIXTURE in general.description")

	t.Setenv("EMBELLAMA_MODEL", "")
	t.Setenv(envModels, filepath.Dir(model))
	code, _, stderr := runCLI(t, "", "embed", "hello")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2, stderr)
	assert.Empty(t, withoutModelNote(stderr), "both lines are the note")
	chosen, err := defaultModel()
	require.NoError(t, err)
	assert.Contains(t, lines[0], absPath(chosen)+", the first embedding model found")
	assert.Contains(t, lines[0], firstLine(readModelFacts(chosen).description))
	assert.Contains(t, lines[1], "test fixture")

	code, _, stderr = runCLI(t, "", "embed", "-model", model, "hello")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, facts.name)
	assert.Contains(t, stderr, absPath(model)+", -model")

	code, out, _ := runCLI(t, "", "info", "-model", model)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, firstLine(facts.description))
}

// modelNote matches the lines announceModel writes.
var modelNote = regexp.MustCompile(`^embellama \w+: (model .+ \(.+, (-model|\$EMBELLAMA_MODEL|the first embedding model found)\)(: .*)?|warning: .+ is a test fixture with random weights; .*)$`)

// withoutModelNote returns stderr without the lines announceModel wrote:
// what a test of a command's errors compares.
func withoutModelNote(stderr string) string {
	var kept []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if !modelNote.MatchString(strings.TrimSuffix(l, "\n")) {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}
