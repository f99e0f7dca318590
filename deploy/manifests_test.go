// The tests of deploy/: every Kubernetes manifest decodes strictly into
// the real API types and agrees with the others (this file); the image
// built from deploy/Dockerfile runs and serves as documented
// (image_test.go), and runs the manifest's container as the manifest
// says (image_manifest_test.go). The image tests run under make
// test-image, which builds the image first.
package deploy_test

import (
	"fmt"
	"os"
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

// argValue returns the value of the flag -name in args (as -name=value,
// --name=value, or -name value), and whether it is there.
func argValue(args []string, name string) (string, bool) {
	for i, a := range args {
		a = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// deployment returns the only Deployment and its only container.
func deployment(t *testing.T, m manifests) (appsv1.Deployment, corev1.Container) {
	t.Helper()
	require.Len(t, m.deployments, 1)
	d := m.deployments[0]
	require.Len(t, d.Spec.Template.Spec.Containers, 1)
	return d, d.Spec.Template.Spec.Containers[0]
}

// TestManifests checks the manifests against each other: the server
// listens on the container port the probes and the Service name, its
// threads match its CPU, and the autoscaler scales the Deployment. What
// they ask of the image (user, port, args, probes) is checked against
// the image itself by TestImageRunsManifest.
func TestManifests(t *testing.T) {
	m := load(t)
	d, c := deployment(t, m)
	spec := d.Spec.Template.Spec

	require.NotEmpty(t, c.Args)
	assert.Equal(t, "serve", c.Args[0])
	addr, ok := argValue(c.Args, "addr")
	require.True(t, ok, "the server must listen beyond 127.0.0.1 in a container: -addr")
	require.Len(t, c.Ports, 1)
	port := c.Ports[0]
	assert.Equal(t, fmt.Sprintf("0.0.0.0:%d", port.ContainerPort), addr, "-addr listens on the container port")

	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe, "startup": c.StartupProbe} {
		require.NotNil(t, p, name)
		require.NotNil(t, p.HTTPGet, name)
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
	assert.NotZero(t, *spec.SecurityContext.RunAsUser)
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
