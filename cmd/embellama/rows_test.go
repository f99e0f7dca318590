package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
)

// lines splits output into its lines.
func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// TestEmbedOneRowPerLine: printf 'one\n\ntwo\n' | embellama embed gives
// three rows, so that row i is line i+1; the blank line is an error row
// named by its line, and the exit status says that an input failed.
func TestEmbedOneRowPerLine(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	base := []string{"embed", "-lib", lib, "-model", model}

	code, out, stderr := runCLI(t, "", append(base, "one", "two")...)
	require.Equal(t, exitOK, code, stderr)
	want := lines(out)
	require.Len(t, want, 2)

	code, out, stderr = runCLI(t, "one\n\ntwo\n", base...)
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, []string{want[0], "null", want[1]}, lines(out), "one row per input line")
	assert.Equal(t, []string{"embellama embed: line 2: empty input (remove it, or pass -skip-empty to leave blank lines out)"}, lines(withoutModelNote(stderr)))

	code, out, stderr = runCLI(t, "one\n\ntwo\n", append(base, "-format", "jsonl")...)
	assert.Equal(t, exitFailure, code, stderr)
	got := lines(out)
	require.Len(t, got, 3)
	assert.Equal(t, `{"id":1,"error":"line 2: empty input (remove it, or pass -skip-empty to leave blank lines out)"}`, got[1])
	assert.Equal(t, `{"id":2,"embedding":`+want[1]+`}`, got[2])

	code, out, stderr = runCLI(t, "one\n\ntwo\n", append(base, "-skip-empty")...)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, want, lines(out), "-skip-empty leaves the blank line out")

	npy := filepath.Join(t.TempDir(), "v.npy")
	code, _, stderr = runCLI(t, "one\n\ntwo\n", append(base, "-format", "npy", "-o", npy)...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "npy has no row for them, so nothing was written")
	assert.NoFileExists(t, npy)

	code, _, stderr = runCLI(t, "\n\n", base...)
	assert.Equal(t, exitUsage, code, "blank lines only are no input")
	assert.Contains(t, stderr, "no text given")
}

// TestEmbedJSONLines: a .jsonl file without -field embeds its "text"
// field (not the raw JSON), and ids come back exactly as written.
func TestEmbedJSONLines(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	docs := filepath.Join(t.TempDir(), "docs.jsonl")
	require.NoError(t, os.WriteFile(docs, []byte(`{"id":12345678901234567890,"text":"one"}`+"\n"+
		`{"id":12345678901234567891,"text":"two"}`+"\n"+`{"id":"c","body":"three"}`+"\n"), 0o644))

	code, out, _ := runCLI(t, "", "embed", "-lib", lib, "-model", model, "-format", "jsonl", "one", "two")
	require.Equal(t, exitOK, code)
	byArg := lines(out)

	code, out, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", model, "-format", "jsonl", "-file", docs)
	assert.Equal(t, exitFailure, code, "line 3 has no text field")
	got := lines(out)
	require.Len(t, got, 3)
	assert.Equal(t, strings.Replace(byArg[0], `"id":0`, `"id":12345678901234567890`, 1), got[0], "the text field is embedded, the id kept exactly")
	assert.Equal(t, strings.Replace(byArg[1], `"id":1`, `"id":12345678901234567891`, 1), got[1])
	assert.Equal(t, `{"id":"c","error":"line 3: no string field \"text\" (name the field holding the text with -field)"}`, got[2])
	assert.Contains(t, stderr, "line 3: no string field")

	// The same lines on standard input: the first line, a JSON object,
	// makes them JSON Lines too.
	code, out, _ = runCLI(t, `{"id":12345678901234567891,"text":"two"}`+"\n", "embed", "-lib", lib, "-model", model, "-format", "jsonl")
	require.Equal(t, exitOK, code)
	var rec struct {
		ID json.Number `json:"id"`
	}
	d := json.NewDecoder(strings.NewReader(out))
	d.UseNumber()
	require.NoError(t, d.Decode(&rec))
	assert.Equal(t, json.Number("12345678901234567891"), rec.ID)
}

// TestEmbedErrorWords: the CLI names its own flags, and prints one
// "embed: " (its own) per message.
func TestEmbedErrorWords(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"too long", []string{"-model", model, strings.Repeat("hello ", 2000)},
			"embellama embed: argument 1: input too long: 2002 tokens, limit 512 (use -truncate end"},
		{"no pooling", []string{"-model", testenv.Model(t, "stories260K.gguf"), "hi"},
			"(set -pooling mean, cls or last to embed with it anyway)"},
		{"bad context", []string{"-model", model, "-ctx", "3", "hi"}, "embellama embed: -ctx 3: want"},
		{"missing model", []string{"-model", "/nonexistent.gguf", "hi"}, "embellama embed: model file not found: /nonexistent.gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"embed", "-lib", lib}, tt.args...)...)
			assert.NotEqual(t, exitOK, code)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(withoutModelNote(stderr), "embed: "), "one prefix: %q", stderr)
			assert.NotContains(t, stderr, "Config.")
		})
	}
}

func TestVersionCommand(t *testing.T) {
	lib := testenv.Library(t)
	dir := lib
	if fi, err := os.Stat(lib); err == nil && !fi.IsDir() {
		dir = filepath.Dir(lib)
	}
	t.Setenv("EMBELLAMA_LIB_DIR", dir)
	code, out, stderr := runCLI(t, "", "version")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^embellama\s+\S`, out)
	assert.Regexp(t, `(?m)^llama\.cpp\s+`+llama.PinnedVersion+` \(pinned\)$`, out)
	assert.Regexp(t, `(?m)^library\s+`+dir+`/\S+ \(llama\.cpp `+llama.PinnedVersion, out)
	code, again, _ := runCLI(t, "", "-version")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, out, again, "-version is the version command")

	t.Setenv("EMBELLAMA_LIB_DIR", "")
	t.Setenv("EMBELLAMA_LIB", filepath.Join(t.TempDir(), "none"))
	code, out, _ = runCLI(t, "", "version")
	assert.Equal(t, exitOK, code, "version reports a missing library, it does not fail")
	assert.Regexp(t, `(?m)^library\s+none usable: `, out)
}

func TestHelpWithoutFlags(t *testing.T) {
	code, _, stderr := runCLI(t, "", "models", "-h")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "usage: embellama models [DIR]\n", stderr, "no empty flags: heading")
	_, _, stderr = runCLI(t, "", "version", "-h")
	assert.Equal(t, "usage: embellama version\n", stderr)
	_, _, stderr = runCLI(t, "", "pull", "-h")
	assert.Contains(t, stderr, "flags:\n  -dir", "commands with flags still list them")
}

// TestPulledModelIsDefault: right after `embellama pull`, `embellama
// embed hi` finds the pulled model, and `info` says it is the default.
func TestPulledModelIsDefault(t *testing.T) {
	lib := testenv.Library(t)
	body, err := os.ReadFile(testenv.Model(t, "bert-mean.gguf"))
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("LOCALAPPDATA", filepath.Join(home, "cache"))
	t.Setenv(envModels, "")
	t.Setenv("EMBELLAMA_MODEL", "")

	code, _, stderr := runCLI(t, "", "embed", "-lib", lib, "hi")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "run embellama pull")

	srv, _ := modelServer(t, body, hex.EncodeToString(sum[:]), false)
	hubURL = srv.URL
	defer func() { hubURL = "https://huggingface.co" }()
	code, out, stderr := runCLI(t, "", "pull", "owner/repo/bert-mean.gguf")
	require.Equal(t, exitOK, code, stderr)
	pulled := strings.TrimSpace(out)
	dir, err := pullDir()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "bert-mean.gguf"), pulled, "pull stores where the default model is looked for")

	code, out, stderr = runCLI(t, "", "embed", "-lib", lib, "hi")
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, vectors(t, out)[0], 128)

	code, out, stderr = runCLI(t, "", "info", "-lib", lib)
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^model\s+`+regexp.QuoteMeta(pulled)+` \(the default: the first embedding model found\)$`, out)

	code, out, _ = runCLI(t, "", "models")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, pulled)
}
