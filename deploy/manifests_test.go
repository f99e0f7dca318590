// The tests of deploy/: every Kubernetes manifest decodes strictly into
// the real API types, and what the manifests and the Dockerfile ask of
// `embellama serve` (flags, port, probe path, user) is what it accepts.
package deploy_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifests decodes every document of deploy/k8s/*.yaml strictly (an
// unknown or misspelt field fails) into its API type.
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	hpas        []autoscalingv2.HorizontalPodAutoscaler
}

func load(t *testing.T) manifests {
	files, err := filepath.Glob("k8s/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var m manifests
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &tm), "%s #%d", f, i)
			where := fmt.Sprintf("%s #%d (%s)", f, i, tm.Kind)
			switch tm.APIVersion + " " + tm.Kind {
			case "apps/v1 Deployment":
				var d appsv1.Deployment
				require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &d), where)
				m.deployments = append(m.deployments, d)
			case "v1 Service":
				var s corev1.Service
				require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &s), where)
				m.services = append(m.services, s)
			case "autoscaling/v2 HorizontalPodAutoscaler":
				var h autoscalingv2.HorizontalPodAutoscaler
				require.NoError(t, yaml.UnmarshalStrict([]byte(doc), &h), where)
				m.hpas = append(m.hpas, h)
			default:
				t.Fatalf("%s: no test decodes %s %s", where, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

// serveFlags runs `embellama serve -h` from the repository and returns
// its flags: name → whether it takes a value.
func serveFlags(t *testing.T) map[string]bool {
	cmd := exec.Command("go", "run", "./cmd/embellama", "serve", "-h")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // -h exits non-zero with some flag packages; the listing is what counts
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)([ \t])`).FindAllStringSubmatch(out.String(), -1) {
		flags[m[1]] = m[2] == " " // "-name type" takes a value; "-v\tdoc" is a bool
	}
	require.Contains(t, flags, "addr", "embellama serve -h:\n%s", out.String())
	require.Contains(t, flags, "model")
	return flags
}

// checkServeArgs parses args (after "serve") with a flag set holding
// exactly the flags of `embellama serve`, and returns the -addr value.
func checkServeArgs(t *testing.T, flags map[string]bool, args []string) string {
	t.Helper()
	require.NotEmpty(t, args)
	require.Equal(t, "serve", args[0])
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var errs bytes.Buffer
	fs.SetOutput(&errs)
	values := map[string]*string{}
	for name, takesValue := range flags {
		if takesValue {
			values[name] = fs.String(name, "", "")
		} else {
			fs.Bool(name, false, "")
		}
	}
	require.NoError(t, fs.Parse(args[1:]), "args %q: %s", args, errs.String())
	require.Zero(t, fs.NArg(), "stray arguments %q", fs.Args())
	require.NotEmpty(t, *values["addr"], "the server must listen beyond 127.0.0.1 in a container")
	return *values["addr"]
}

func TestDeploymentMatchesServe(t *testing.T) {
	m := load(t)
	flags := serveFlags(t)
	require.Len(t, m.deployments, 1)
	d := m.deployments[0]
	spec := d.Spec.Template.Spec
	require.Len(t, spec.Containers, 1)
	c := spec.Containers[0]

	addr := checkServeArgs(t, flags, c.Args)
	require.Len(t, c.Ports, 1)
	port := c.Ports[0]
	assert.Equal(t, fmt.Sprintf("0.0.0.0:%d", port.ContainerPort), addr, "-addr listens on the container port")

	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		require.NotNil(t, p, name)
		require.NotNil(t, p.HTTPGet, name)
		assert.Equal(t, "/health", p.HTTPGet.Path, name)
		assert.Equal(t, port.Name, p.HTTPGet.Port.String(), name+" probes the named container port")
	}
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[k], c.Resources.Limits[k]
		assert.False(t, req.IsZero(), "request %s", k)
		assert.GreaterOrEqual(t, lim.Cmp(req), 0, "limit %s >= request", k)
	}
	mem := c.Resources.Requests[corev1.ResourceMemory]
	assert.GreaterOrEqual(t, mem.Value(), int64(128<<20), "the 45 MB MiniLM shape peaks at 111 MiB RSS (BENCHMARKS.md)")
	cpu := c.Resources.Requests[corev1.ResourceCPU]
	assert.Contains(t, c.Args, fmt.Sprintf("-threads=%d", cpu.Value()), "-threads equals the CPU request")

	require.NotNil(t, spec.SecurityContext.RunAsNonRoot)
	assert.True(t, *spec.SecurityContext.RunAsNonRoot)
	require.NotNil(t, spec.SecurityContext.RunAsUser)
	assert.Equal(t, dockerUser(t), fmt.Sprint(*spec.SecurityContext.RunAsUser), "the pod runs as the image's user")
	assert.Equal(t, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)

	require.Len(t, m.services, 1)
	svc := m.services[0]
	assert.Equal(t, d.Spec.Template.Labels, svc.Spec.Selector, "the Service selects the pods")
	require.Len(t, svc.Spec.Ports, 1)
	assert.Equal(t, port.Name, svc.Spec.Ports[0].TargetPort.String())

	require.Len(t, m.hpas, 1)
	h := m.hpas[0]
	assert.Equal(t, "Deployment", h.Spec.ScaleTargetRef.Kind)
	assert.Equal(t, d.Name, h.Spec.ScaleTargetRef.Name)
	require.Len(t, h.Spec.Metrics, 1)
	require.NotNil(t, h.Spec.Metrics[0].Resource)
	assert.Equal(t, corev1.ResourceCPU, h.Spec.Metrics[0].Resource.Name)
	require.NotNil(t, h.Spec.MinReplicas)
	assert.LessOrEqual(t, *h.Spec.MinReplicas, h.Spec.MaxReplicas)
}

// dockerfile returns the instructions of deploy/Dockerfile, continuation
// lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	var out []string
	pending := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		out = append(out, strings.Join(strings.Fields(pending+line), " "))
		pending = ""
	}
	return out
}

func dockerUser(t *testing.T) string {
	for _, ins := range dockerfile(t) {
		if strings.HasPrefix(ins, "USER ") {
			return strings.Split(strings.TrimPrefix(ins, "USER "), ":")[0]
		}
	}
	t.Fatal("the Dockerfile sets no USER")
	return ""
}

// TestDockerfile checks the image definition structurally (no container
// engine runs here): multi-stage, a cgo-free build, the pinned libraries,
// a non-root user, a health check on /health, and a default command that
// `embellama serve` accepts, on the exposed port.
func TestDockerfile(t *testing.T) {
	ins := dockerfile(t)
	var froms, runs []string
	last := map[string]string{}
	for _, i := range ins {
		op, arg, _ := strings.Cut(i, " ")
		switch op {
		case "FROM":
			froms = append(froms, arg)
			last = map[string]string{}
		case "RUN":
			runs = append(runs, arg)
		}
		last[op] = arg // instructions of the final stage
	}
	require.GreaterOrEqual(t, len(froms), 2, "multi-stage")
	for _, f := range froms {
		image := strings.Fields(f)[0]
		assert.Regexp(t, `:[0-9][^:]*$|@sha256:`, image, "base image %s is pinned by version or digest", image)
	}
	joined := strings.Join(runs, "\n")
	assert.Contains(t, joined, "CGO_ENABLED=0 go build")
	assert.Contains(t, joined, "scripts/install-lib.sh cpu linux amd64", "the pinned, checksummed libraries")

	user := strings.Split(last["USER"], ":")[0]
	require.NotEmpty(t, user, "the final stage sets USER")
	assert.NotContains(t, []string{"root", "0"}, user)
	assert.Contains(t, last["HEALTHCHECK"], "/health")
	assert.Contains(t, last["ENTRYPOINT"], "embellama")

	var cmd []string
	require.NoError(t, yaml.Unmarshal([]byte(last["CMD"]), &cmd), "CMD in exec form")
	addr := checkServeArgs(t, serveFlags(t), cmd)
	assert.True(t, strings.HasSuffix(addr, ":"+last["EXPOSE"]), "-addr %s listens on the EXPOSEd port %s", addr, last["EXPOSE"])
	assert.Contains(t, last["HEALTHCHECK"], ":"+last["EXPOSE"]+"/health")
}
