package deploy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// EnvImageContext names the folder the image was built from (make
// image-context: bin/embellama and lib/), whose binary and library give
// the reference vectors on the host; the default is ../build/image.
const EnvImageContext = "EMBELLAMA_TEST_IMAGE_CONTEXT"

// TestImage runs the image as `docker run -v models:/models:ro` would,
// on the host network with the server bound to 127.0.0.1 and a free port,
// and checks it from the host: /health while the model loads, the vectors
// against the library's on the host, the user of the process, the
// read-only model mount, and a graceful stop on SIGTERM.
func TestImage(t *testing.T) {
	p := newPodman(t)
	models := modelsDir(t)
	cfg := p.inspectImage()
	t.Logf("image %s: %d bytes (%.0f MB)", p.image, cfg.Size, float64(cfg.Size)/1e6)
	uid := cfg.uid(t)
	require.NotZero(t, uid, "the image's USER is root")

	t.Run("PinnedLibrary", func(t *testing.T) {
		out := p.run("run", "--rm", "--network=none", "--no-healthcheck", p.image, "lib", "verify", "-dir", "/opt/embellama/lib")
		t.Logf("embellama lib verify in the image: %s", strings.ReplaceAll(out, "\n", "; "))
	})

	// The model folder is a writable copy, mounted read-only: a write that
	// fails inside can only have failed because of the mount.
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	copyFile(t, filepath.Join(models, "bert-mean.gguf"), filepath.Join(dir, "model.gguf"))
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	health := make(chan []healthAnswer, 1)
	go func() { health <- watchHealth(base+"/health", time.Minute) }()
	name := p.start("embellama-test-image", []string{"--network=host", "--no-healthcheck", "-v", dir + ":/models:ro"},
		"serve", "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-model", "/models/model.gguf")

	t.Run("HealthWhileLoading", func(t *testing.T) {
		answers := <-health
		require.NotEmpty(t, answers, "/health never answered")
		first, last := answers[0], answers[len(answers)-1]
		require.Equal(t, http.StatusOK, last.code, "/health never answered 200: %v", answers)
		switch {
		case first.code == http.StatusServiceUnavailable && len(answers) == 2:
			t.Logf("/health: 503 %s for %v while the model loaded, then 200", first.body, last.at-first.at)
		case first.code == http.StatusOK && len(answers) == 1:
			t.Logf("/health: 200 at the first answer (the model loaded before the server's first answer; 503 not observed)")
		default:
			t.Fatalf("/health answered %v: want 503 then 200, or 200", answers)
		}
	})

	t.Run("VectorsEqualTheLibrary", func(t *testing.T) {
		const text = "The image embeds this text exactly as the library does."
		want := hostVector(t, filepath.Join(models, "bert-mean.gguf"), text)
		got := embeddings(t, base, []string{text})
		require.Len(t, got, 1)
		require.Len(t, got[0], len(want))
		worst := 0.0
		for i := range want {
			worst = math.Max(worst, math.Abs(float64(got[0][i]-want[i])))
		}
		t.Logf("/v1/embeddings vs embellama embed on the host (same binary, library and model): %d components, largest difference %g", len(want), worst)
		assert.Equal(t, want, got[0], "the same binary, library, model and CPU give the same float32s")
	})

	t.Run("NonRootProcess", func(t *testing.T) {
		pid := p.run("inspect", "--format", "{{.State.Pid}}", name)
		status, err := os.ReadFile("/proc/" + pid + "/status")
		require.NoError(t, err)
		ids := map[string][]string{}
		sc := bufio.NewScanner(bytes.NewReader(status))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && (k == "Uid" || k == "Gid") {
				ids[k] = strings.Fields(v)
			}
		}
		u := strconv.FormatInt(uid, 10)
		assert.Equal(t, []string{u, u, u, u}, ids["Uid"], "real, effective, saved and filesystem uid of the server (host pid %s)", pid)
		assert.NotContains(t, ids["Gid"], "0")
		t.Logf("server process (host pid %s): Uid %v, Gid %v", pid, ids["Uid"], ids["Gid"])
	})

	t.Run("ReadOnlyModels", func(t *testing.T) {
		_, err := p.try("exec", "--user", "0", name, "bash", "-c", "echo x >/models/written")
		require.Error(t, err, "root wrote into /models")
		assert.Contains(t, err.Error(), "Read-only file system")
		assert.NoFileExists(t, filepath.Join(dir, "written"))
		t.Logf("a write into /models, even as root: %s", lastLine(err.Error()))
	})

	t.Run("TermDrainsInFlight", func(t *testing.T) {
		texts := make([]string, 400)
		for i := range texts {
			texts[i] = fmt.Sprintf("Text %d: %s", i, strings.Repeat("a sentence that keeps the encoder busy for a while, ", 20))
		}
		type result struct {
			vectors [][]float32
			err     error
			end     time.Time
		}
		done := make(chan result, 1)
		sent := time.Now()
		go func() {
			v, err := tryEmbeddings(base, texts)
			done <- result{v, err, time.Now()}
		}()
		require.Eventually(t, func() bool { return queueDepth(base) > 0 }, 30*time.Second, 10*time.Millisecond,
			"the batch never reached the queue")
		term := time.Now()
		p.run("kill", "-s", "TERM", name)
		exit := p.run("wait", name)
		r := <-done
		require.NoError(t, r.err, "the request in flight at SIGTERM")
		assert.Len(t, r.vectors, len(texts))
		assert.True(t, r.end.After(term), "the request ended before SIGTERM: make it longer")
		assert.Equal(t, "0", exit, "exit status after SIGTERM")
		assert.Contains(t, p.logs(name), "msg=stopped")
		t.Logf("SIGTERM %v into a %d-text request: it completed %v later with 200, the container exited %s",
			term.Sub(sent).Round(time.Millisecond), len(texts), r.end.Sub(term).Round(time.Millisecond), exit)
	})
}

// healthAnswer is one distinct answer of /health, at a time since the
// watch began.
type healthAnswer struct {
	code int
	body string
	at   time.Duration
}

func (a healthAnswer) String() string { return fmt.Sprintf("%d %s at %v", a.code, a.body, a.at) }

// watchHealth polls url every 2 ms until it answers 200 or limit passes,
// and returns each change of answer (refused connections are not
// answers).
func watchHealth(url string, limit time.Duration) []healthAnswer {
	c := &http.Client{Timeout: time.Second}
	start := time.Now()
	var out []healthAnswer
	for time.Since(start) < limit {
		resp, err := c.Get(url)
		if err != nil {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if len(out) == 0 || out[len(out)-1].code != resp.StatusCode {
			out = append(out, healthAnswer{resp.StatusCode, strings.TrimSpace(body.String()), time.Since(start)})
		}
		if resp.StatusCode == http.StatusOK {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	return out
}

// hostVector embeds text on the host with the image's own binary and
// library (the build context), on the same model file.
func hostVector(t *testing.T, model, text string) []float32 {
	t.Helper()
	ctx := os.Getenv(EnvImageContext)
	if ctx == "" {
		ctx = filepath.Join("..", "build", "image")
	}
	cmd := exec.Command(filepath.Join(ctx, "bin", "embellama"), "embed", "-lib", filepath.Join(ctx, "lib"), "-model", model, text)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "embellama embed on the host (make image-context builds %s): %s", ctx, stderr.String())
	var v []float32
	require.NoError(t, json.Unmarshal(out, &v), "%s", out)
	return v
}

func embeddings(t *testing.T, base string, texts []string) [][]float32 {
	t.Helper()
	v, err := tryEmbeddings(base, texts)
	require.NoError(t, err)
	return v
}

// tryEmbeddings posts texts to /v1/embeddings and returns the vectors in
// input order.
func tryEmbeddings(base string, texts []string) ([][]float32, error) {
	body, err := json.Marshal(map[string]any{"input": texts})
	if err != nil {
		return nil, err
	}
	resp, err := client.Post(base+"/v1/embeddings", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if resp.StatusCode != http.StatusOK {
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return nil, fmt.Errorf("/v1/embeddings: %s: %s", resp.Status, b.String())
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	out := make([][]float32, len(r.Data))
	for _, d := range r.Data {
		if d.Index < 0 || d.Index >= len(out) {
			return nil, fmt.Errorf("/v1/embeddings: index %d of %d", d.Index, len(out))
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

// queueDepth returns embellama_queue_depth from /metrics (0 on any error).
func queueDepth(base string) float64 {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "embellama_queue_depth "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
