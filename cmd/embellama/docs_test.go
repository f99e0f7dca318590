package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// docFiles are the documents whose shell blocks TestDocumentedCommands
// checks, relative to the repository root.
var docFiles = []string{"README.md", "CONTRIBUTING.md", "BENCHMARKS.md", "docs/*.md"}

// notRun lists the documented commands TestDocumentedCommands does not run,
// each with where it is exercised instead. Every entry must still appear
// in the documents; make targets must exist and scripts must parse.
var notRun = map[string]string{
	"make test":          "the CI command itself (.ci/run)",
	"make bench":         "builds llama.cpp from source (minutes) and benchmarks for minutes: by hand, figures in BENCHMARKS.md",
	"bin/embellama pull": "needs the internet; pull is tested against a local server (TestPull*)",
	"bin/embellama pull owner/repo/file.gguf":                                                    "needs the internet; pull is tested against a local server (TestPull*)",
	"bin/embellama pull nomic-embed-text":                                                        "needs the internet; TestPullShortNames resolves every short name against a local server",
	"scripts/bench-node.sh .cache/fixtures/minilm-l6-f16.gguf 300 3":                             "installs node-llama-cpp from the npm registry and benchmarks for minutes: by hand, figures in BENCHMARKS.md",
	"go install github.com/embellama/embellama/cmd/embellama@latest":                             "needs the published module; the same build from a checkout is the next documented command",
	"bin/embellama rerank -model reranker.gguf -query \"what do llamas eat?\" -sorted lines.txt": "needs a reranker GGUF; TestRerankCommand runs it on the bert-rerank-tiny fixture",
	"curl -s localhost:8080/v1/rerank -H 'Content-Type: application/json' -d '{\"model\":\"reranker\",\"query\":\"what do llamas eat?\",\"documents\":[\"grass\",\"rocks\"],\"top_n\":1}'": "needs a reranker loaded; TestRerankHTTP serves the bert-rerank-tiny fixture",
	"scripts/bench-formats.sh .cache/fixtures/minilm-l6 5": "needs make bench-fixtures and benchmarks for minutes: by hand, figures in docs/performance.md",
	"make build bench-fixtures":                            "writes 400 MB of fixtures into the checkout (minutes): by hand, before the rows below",
	"bin/embellama lib build":                              "compiles llama.cpp for minutes: make test-native-build (TestRealBuild) builds, verifies, loads it; TestBuildTinyProject runs every step on a tiny CMake project",
	"bin/embellama lib verify -backend native":             "needs a native build (minutes): TestRealBuild and TestBuildTinyProject verify theirs",
	"bin/embellama bench -model model.gguf -lib lib/linux-amd64-native -vs-lib lib/linux-amd64-cpu -rounds 5": "needs a native build (minutes): TestLibRoundsAlternate runs the comparison against a fake command; the figures in docs/performance.md come from it",
	"embellama lib install": "the command installed by the line above (not on the test's PATH); make lib runs the same command from the checkout, TestInstallPinned installs every pin",
	"for m in minilm-l6-f16 minilm-l6-q8_0; do for d in on off; do bin/embellama bench -model .cache/fixtures/$m.gguf -corpus short -n 300 -request 64 -latency 0 -deterministic=$d; done; done": "benchmarks for minutes: by hand, figures in BENCHMARKS.md",
	"for m in minilm-l6-f16 minilm-l6-q8_0; do for d in on off; do bin/embellama bench -model .cache/fixtures/$m.gguf -corpus long -n 24 -request 8 -latency 0 -deterministic=$d; done; done":    "benchmarks for minutes: by hand, figures in BENCHMARKS.md",
}

// notRunScripts lists the scripts whose documented commands
// TestDocumentedCommands does not run, whatever their environment and
// arguments, with why; each must parse and be shown by some document.
var notRunScripts = map[string]string{
	"scripts/bench-formats.sh":   "needs make bench-fixtures and benchmarks for minutes: by hand, figures in docs/performance.md",
	"scripts/bench-ort.sh":       "needs ../shared/bench/ort set up (Debian's python3-torch and python3-onnx, onnxruntime-node) and benchmarks for minutes: by hand, figures in BENCHMARKS.md",
	"scripts/bench-vs-server.sh": "needs llama-server from the source build (make llama, make lib BACKEND=native for the native rows) and benchmarks for minutes: by hand, figures in BENCHMARKS.md",
}

// skipped reports whether TestDocumentedCommands leaves cmd to be run by
// hand.
func skipped(cmd string) bool {
	if _, ok := notRun[cmd]; ok {
		return true
	}
	for _, f := range strings.Fields(cmd) {
		if _, ok := notRunScripts[f]; ok {
			return true
		}
	}
	return false
}

// docCommand is one command of a shell block.
type docCommand struct {
	file string
	line int
	text string
}

// documentedCommands extracts the commands of the ```sh blocks: one per
// line, backslash continuations joined, comments dropped.
func documentedCommands(t *testing.T, root string) []docCommand {
	t.Helper()
	var cmds []docCommand
	for _, pattern := range docFiles {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		require.NotEmpty(t, files, pattern)
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			rel, _ := filepath.Rel(root, f)
			in, pending, start := false, "", 0
			for i, line := range strings.Split(string(b), "\n") {
				switch {
				case !in && (line == "```sh" || line == "```bash"):
					in = true
					continue
				case in && strings.HasPrefix(line, "```"):
					in = false
					continue
				case !in:
					continue
				}
				if pending == "" {
					start = i + 1
				}
				line = stripComment(line)
				if s, ok := strings.CutSuffix(strings.TrimRight(line, " "), `\`); ok {
					pending += s + " "
					continue
				}
				text := strings.Join(strings.Fields(pending+line), " ")
				pending = ""
				if text != "" {
					cmds = append(cmds, docCommand{rel, start, text})
				}
			}
		}
	}
	return cmds
}

// stripComment drops a # comment that is outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}

func TestStripComment(t *testing.T) {
	for in, want := range map[string]string{
		"make run    # install": "make run    ",
		`curl -d '{"a":"#x"}'`:  `curl -d '{"a":"#x"}'`,
		"# only a comment":      "",
		"echo a#b":              "echo a#b",
	} {
		assert.Equal(t, want, stripComment(in), in)
	}
}

// TestDocumentedCommands runs every command of the documents' shell blocks
// in a scratch directory laid out like a checkout (bin/embellama, model
// files, ../shared/models), against the test library: the documents cannot
// promise a command or a flag that does not work. Commands that cannot run
// here are listed in notRun with where they are exercised.
func TestDocumentedCommands(t *testing.T) {
	lib := testenv.Library(t)
	models := testenv.ModelsDir(t)
	for _, tool := range []string{"bash", "curl", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s, which the documents' commands use", tool)
		}
	}
	root := testenv.RepoRoot(t)
	cmds := documentedCommands(t, root)
	require.NotEmpty(t, cmds)

	documented := map[string]bool{}
	for _, c := range cmds {
		documented[c.text] = true
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	for cmd, why := range notRun {
		assert.True(t, documented[cmd], "notRun lists %q (%s), which no document shows any more", cmd, why)
		fields := strings.Fields(cmd)
		for i, f := range fields {
			if f == "make" && i+1 < len(fields) {
				target := fields[i+1]
				assert.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(target)+`:`), string(makefile), "%q: no make target %s", cmd, target)
			}
			if strings.HasPrefix(f, "scripts/") {
				b, err := exec.Command("bash", "-n", filepath.Join(root, f)).CombinedOutput()
				assert.NoError(t, err, "%q: %s", cmd, b)
			}
		}
	}

	for script, why := range notRunScripts {
		shown := false
		for cmd := range documented {
			shown = shown || slices.Contains(strings.Fields(cmd), script)
		}
		assert.True(t, shown, "notRunScripts lists %s (%s), which no document runs any more", script, why)
		b, err := exec.Command("bash", "-n", filepath.Join(root, script)).CombinedOutput()
		assert.NoError(t, err, "%s: %s", script, b)
	}

	sandbox := t.TempDir()
	work := filepath.Join(sandbox, "work")
	require.NoError(t, os.MkdirAll(filepath.Join(work, "bin"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(sandbox, "shared"), 0o755))
	require.NoError(t, os.Symlink(models, filepath.Join(sandbox, "shared", "models")))
	require.NoError(t, os.Symlink(filepath.Join(models, "bert-mean.gguf"), filepath.Join(work, "model.gguf")))
	require.NoError(t, os.Symlink(filepath.Join(models, "qwen3-last.gguf"), filepath.Join(work, "other.gguf")))
	require.NoError(t, os.WriteFile(filepath.Join(work, "lines.txt"), []byte("first line\nsecond line\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(work, "docs.jsonl"),
		[]byte(`{"id":"a","text":"hello world"}`+"\n"+`{"id":"b","text":"another text"}`+"\n"), 0o644))
	build := exec.Command("go", "build", "-o", filepath.Join(work, "bin", "embellama"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := build.CombinedOutput()
	require.NoError(t, err, "%s", b)

	libDir := lib
	if fi, err := os.Stat(lib); err == nil && !fi.IsDir() {
		libDir = filepath.Dir(lib)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + sandbox, "EMBELLAMA_LIB_DIR=" + libDir,
		"CGO_ENABLED=0"}
	env = append(env, goEnv(t, "GOCACHE", "GOMODCACHE")...)
	addr := freeAddr(t)
	ran, started := 0, time.Now().Add(-time.Second)
	for _, c := range cmds {
		if skipped(c.text) {
			continue
		}
		name := fmt.Sprintf("%s:%d", c.file, c.line)
		text := strings.ReplaceAll(c.text, "localhost:8080", addr)
		dir := work
		if strings.HasPrefix(text, "make ") || strings.Contains(text, " ./cmd/") {
			dir = root // make targets and builds run in the checkout, as documented
		}
		if strings.HasPrefix(text, "bin/embellama serve") {
			stop := startServer(t, work, env, text+" -addr "+addr, addr)
			t.Cleanup(stop)
			ran++
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-c", "set -eo pipefail; "+text)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.Output()
		cancel()
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		if !assert.NoError(t, err, "%s: %s\n%s", name, c.text, stderr) {
			continue
		}
		ran++
		if o := outputFile(text); o != "" {
			fi, err := os.Stat(filepath.Join(dir, o))
			if assert.NoError(t, err, "%s: %s wrote no %s", name, c.text, o) {
				assert.Positive(t, fi.Size(), "%s: %s is empty", name, o)
				assert.False(t, fi.ModTime().Before(started), "%s: %s was not written by %s", name, o, c.text)
			}
			continue
		}
		assert.NotEmpty(t, strings.TrimSpace(string(out)), "%s: %s printed nothing", name, c.text)
		if strings.Contains(text, "/v1/embeddings") {
			assert.Contains(t, string(out), `"embedding"`, "%s: %s", name, c.text)
		}
	}
	assert.GreaterOrEqual(t, ran, 10, "commands run")
}

// outputFile returns the file a command writes with -o, or the binary a
// go install into bin/ writes, if any.
func outputFile(cmd string) string {
	if strings.Contains(cmd, "GOBIN=$PWD/bin") && strings.Contains(cmd, "go install ./cmd/embellama") {
		return filepath.Join("bin", "embellama")
	}
	f := strings.Fields(cmd)
	for i := range f[:len(f)-1] {
		if f[i] == "-o" && f[i+1] != "-" {
			return f[i+1]
		}
	}
	return ""
}

// goEnv returns KEY=value for each of keys, as go env reports them, so
// that commands with another HOME keep the test's build caches.
func goEnv(t *testing.T, keys ...string) []string {
	b, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	require.NoError(t, err)
	vals := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	require.Len(t, vals, len(keys))
	for i, k := range keys {
		vals[i] = k + "=" + vals[i]
	}
	return vals
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startServer starts a documented serve command and waits until it is
// healthy; stop sends SIGTERM and expects a clean exit.
func startServer(t *testing.T, dir string, env []string, text, addr string) (stop func()) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "exec "+text)
	cmd.Dir, cmd.Env = dir, env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var log strings.Builder
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			log.WriteString(s.Text() + "\n")
		}
	}()
	healthy := false
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get("http://" + addr + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				healthy = true
				break
			}
		}
	}
	if !healthy {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		<-logged
		require.Fail(t, "server did not become healthy", "%s\n%s", text, log.String())
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		err := cmd.Wait()
		<-logged
		assert.NoError(t, err, "%s exited badly after SIGTERM:\n%s", text, log.String())
	}
}
