package main

import (
	"path/filepath"
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
	assert.Contains(t, lines[0], "the first embedding model found")
	assert.Contains(t, lines[0], firstLine(facts.description))
	assert.Contains(t, lines[1], "test fixture")

	code, _, stderr = runCLI(t, "", "embed", "-model", model, "hello")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, facts.name)
	assert.Contains(t, stderr, model+", -model")

	code, out, _ := runCLI(t, "", "info", "-model", model)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, firstLine(facts.description))
}
