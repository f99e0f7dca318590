package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// EnvImage names the image the image tests run (make test-image sets it
// after building it); without it they are skipped: building an image is
// not part of `go test ./...` in this module.
const EnvImage = "EMBELLAMA_TEST_IMAGE"

// podman runs the image under test. The flags are those this sandbox
// needs (../shared/CONTAINERS.md) and work wherever runc is installed;
// CONTAINERS_CONF (set by make test-image) drops the default ulimits.
type podman struct {
	t     *testing.T
	image string
}

// newPodman returns the podman of the image named by [EnvImage], skipping
// t when none is named. A named image with no podman to run it fails
// under CI=true (make test-image installs podman first) and skips
// elsewhere.
func newPodman(t *testing.T) podman {
	t.Helper()
	image := os.Getenv(EnvImage)
	if image == "" {
		t.Skipf("%s is not set: make test-image builds the image and runs these tests", EnvImage)
	}
	if _, err := exec.LookPath("podman"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("podman is missing (make image-deps installs it): %v", err)
		}
		t.Skipf("podman is missing (make image-deps installs it): %v", err)
	}
	return podman{t: t, image: image}
}

func (p podman) cmd(args ...string) *exec.Cmd {
	return exec.Command("podman", append([]string{"--runtime", "runc", "--cgroup-manager=cgroupfs"}, args...)...)
}

// run runs podman with args and returns its standard output, trimmed;
// it fails the test if podman fails.
func (p podman) run(args ...string) string {
	p.t.Helper()
	out, err := p.try(args...)
	require.NoError(p.t, err, "podman %s", strings.Join(args, " "))
	return out
}

// try runs podman with args and returns its output (standard output,
// trimmed; with standard error in the error when it fails).
func (p podman) try(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	c := p.cmd(args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("%w: %s%s", err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String()), err
}

// start runs `podman run -d --name name-<pid> runFlags... IMAGE args...`
// and removes the container when the test ends (after printing its logs
// if the test failed). It returns the container's name, unique to this
// process: other checkouts may run the same tests beside it.
func (p podman) start(name string, runFlags []string, args ...string) string {
	p.t.Helper()
	name = fmt.Sprintf("%s-%d", name, os.Getpid())
	full := append([]string{"run", "-d", "--name", name}, runFlags...)
	full = append(full, p.image)
	full = append(full, args...)
	p.run(full...)
	p.t.Cleanup(func() {
		if p.t.Failed() {
			logs, _ := p.try("logs", name)
			errs := p.logs(name)
			p.t.Logf("container %s logs:\n%s%s", name, logs, errs)
		}
		_, _ = p.try("rm", "-f", "-t", "0", name)
	})
	return name
}

// logs returns what the container wrote to its standard error.
func (p podman) logs(name string) string {
	var stderr bytes.Buffer
	c := p.cmd("logs", name)
	c.Stderr = &stderr
	_ = c.Run()
	return stderr.String()
}

// imageConfig is what the tests read of `podman image inspect`.
type imageConfig struct {
	Size        int64
	Healthcheck struct{ Test []string }
	Config      struct {
		User         string
		ExposedPorts map[string]struct{}
		Entrypoint   []string
		Cmd          []string
		Env          []string
	}
}

func (p podman) inspectImage() imageConfig {
	p.t.Helper()
	var cfg []imageConfig
	require.NoError(p.t, json.Unmarshal([]byte(p.run("image", "inspect", p.image)), &cfg))
	require.Len(p.t, cfg, 1)
	return cfg[0]
}

// uid returns the numeric user of the image's USER ("10001:10001").
func (c imageConfig) uid(t *testing.T) int64 {
	t.Helper()
	user, _, _ := strings.Cut(c.Config.User, ":")
	uid, err := strconv.ParseInt(user, 10, 64)
	require.NoError(t, err, "the image's USER %q is not numeric (Kubernetes' runAsNonRoot needs a numeric uid)", c.Config.User)
	return uid
}

// port returns the image's only EXPOSEd TCP port.
func (c imageConfig) port(t *testing.T) int32 {
	t.Helper()
	require.Len(t, c.Config.ExposedPorts, 1, "the image EXPOSEs one port")
	for p := range c.Config.ExposedPorts {
		n, proto, _ := strings.Cut(p, "/")
		require.Equal(t, "tcp", proto)
		port, err := strconv.ParseInt(n, 10, 32)
		require.NoError(t, err)
		return int32(port)
	}
	return 0
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// modelsDir returns the shared test models (../shared/models beside the
// repository, or $EMBELLAMA_MODELS); missing, it fails under CI=true.
func modelsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EMBELLAMA_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "models")
	}
	if _, err := os.Stat(filepath.Join(dir, "bert-mean.gguf")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("test model bert-mean.gguf (set EMBELLAMA_MODELS): %v", err)
		}
		t.Skipf("test model bert-mean.gguf (set EMBELLAMA_MODELS): %v", err)
	}
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	return abs
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.Create(dst)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// client talks to the server in the container, on 127.0.0.1 only.
var client = &http.Client{Timeout: 2 * time.Minute}
