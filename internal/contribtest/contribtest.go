// Package contribtest is internal/testenv for the modules that live in
// this repository beside the root module (contrib/*, examples/*, deploy/*):
// they cannot import the root's internal packages' test helpers through
// their own go.mod without growing the root's, so this small module finds
// the native library and the models the same way, and applies the same
// rule: a missing piece skips a test on a developer's machine and fails it
// under CI=true.
//
// It is its own module (required with a replace directive, like the root)
// so that importing it adds nothing to the root module's requirements.
package contribtest

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

// EnvModels names the variable that points at the models directory; the
// default is ../shared/models beside the repository.
const EnvModels = "EMBELLAMA_MODELS"

// DefaultModel is the shared model the contrib tests embed with: a small
// BERT with mean pooling (random weights, a real vocabulary).
const DefaultModel = "bert-mean.gguf"

// CI reports whether the tests run under CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips t, or fails it under CI=true, because what is missing is
// required there.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// RepoRoot returns the root of the repository: the nearest directory
// above the working directory whose go.mod declares the root module.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if isRootModule(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("contribtest: the go.mod of github.com/embellama/embellama is not above the working directory")
		}
		dir = parent
	}
}

func isRootModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == "github.com/embellama/embellama"
		}
	}
	return false
}

// LibDir returns the directory of the installed CPU llama library, found
// as the engine finds it: $EMBELLAMA_LIB_DIR, then lib/<goos>-<goarch>-cpu
// under the repository.
func LibDir(t testing.TB) string {
	t.Helper()
	found, err := platform.Find(platform.Search{
		EnvDir:  os.Getenv(platform.EnvLibDir),
		Cwd:     RepoRoot(t),
		GOOS:    runtime.GOOS,
		GOARCH:  runtime.GOARCH,
		Backend: platform.CPU,
	})
	if err != nil {
		Missing(t, "native library: %v", err)
	}
	return filepath.Dir(found.Llama)
}

// Model returns the path of the named file of the models directory
// ($EMBELLAMA_MODELS, default ../shared/models beside the repository).
func Model(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv(EnvModels)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), "..", "shared", "models")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, "model %s (set %s): %v", name, EnvModels, err)
	}
	return p
}

// Config returns the engine configuration of the contrib tests: the
// installed CPU library and [DefaultModel], loaded as "default".
func Config(t testing.TB) embed.Config {
	t.Helper()
	return embed.Config{EngineConfig: embed.EngineConfig{Library: LibDir(t), Backend: platform.CPU}, ModelConfig: embed.ModelConfig{ModelPath: Model(t, DefaultModel)}}
}

// Engine opens an engine with [Config] and closes it when t ends.
func Engine(t testing.TB) *embed.Engine {
	t.Helper()
	e, err := embed.New(context.Background(), Config(t))
	if err != nil {
		t.Fatalf("contribtest: opening the engine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Cosine returns the cosine similarity of a and b (0 when either is zero
// or their lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Cosine64 is [Cosine] for float64 vectors.
func Cosine64(a, b []float64) float64 {
	x, y := make([]float32, len(a)), make([]float32, len(b))
	for i := range a {
		x[i] = float32(a[i])
	}
	for i := range b {
		y[i] = float32(b[i])
	}
	return Cosine(x, y)
}

// Texts returns n distinct short texts, deterministic, for batch tests.
func Texts(n int) []string {
	words := []string{"river", "stone", "lamp", "orbit", "cedar", "quartz", "harbor", "meadow", "signal", "copper", "violet", "thunder"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := 0; j <= i%7+2; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[(i*(j+3)+j*j+i/len(words))%len(words)])
		}
		b.WriteString(" #")
		b.WriteString(strconv.Itoa(i))
		out[i] = b.String()
	}
	return out
}
