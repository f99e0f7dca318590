package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// TestImageRunsManifest runs the Deployment's container in the image as
// Kubernetes would: its args (after the image's ENTRYPOINT), env, user,
// read-only root and dropped capabilities, the model folder mounted
// read-only where the manifest mounts it. It runs in a private network
// namespace (--network=none: only its own loopback), so the manifest's
// -addr=0.0.0.0:8080 is used verbatim and reaches nothing else; the
// probes are sent from inside the container.
func TestImageRunsManifest(t *testing.T) {
	p := newPodman(t)
	models := modelsDir(t)
	cfg := p.inspectImage()
	d, c := deployment(t, load(t))
	sc := d.Spec.Template.Spec.SecurityContext

	require.NotNil(t, sc.RunAsUser)
	assert.Equal(t, cfg.uid(t), *sc.RunAsUser, "runAsUser is the image's USER %s", cfg.Config.User)
	if sc.RunAsGroup != nil {
		_, group, _ := strings.Cut(cfg.Config.User, ":")
		assert.Equal(t, group, strconv.FormatInt(*sc.RunAsGroup, 10), "runAsGroup is the image's USER group")
	}
	require.Len(t, c.Ports, 1)
	assert.Equal(t, cfg.port(t), c.Ports[0].ContainerPort, "containerPort is the port the image EXPOSEs")
	assert.Empty(t, c.Command, "the manifest keeps the image's ENTRYPOINT %q", cfg.Config.Entrypoint)

	user := strconv.FormatInt(*sc.RunAsUser, 10)
	if sc.RunAsGroup != nil {
		user += ":" + strconv.FormatInt(*sc.RunAsGroup, 10)
	}
	flags := []string{"--network=none", "--user", user}
	for _, e := range c.Env {
		flags = append(flags, "-e", e.Name+"="+e.Value)
	}
	if s := c.SecurityContext; s != nil {
		if s.ReadOnlyRootFilesystem != nil && *s.ReadOnlyRootFilesystem {
			flags = append(flags, "--read-only")
		}
		if s.AllowPrivilegeEscalation != nil && !*s.AllowPrivilegeEscalation {
			flags = append(flags, "--security-opt=no-new-privileges")
		}
		if s.Capabilities != nil {
			for _, cap := range s.Capabilities.Drop {
				flags = append(flags, "--cap-drop="+string(cap))
			}
		}
	}
	model, ok := argValue(c.Args, "model")
	require.True(t, ok, "the manifest's args name no -model")
	require.Len(t, c.VolumeMounts, 1)
	mount := c.VolumeMounts[0]
	require.True(t, strings.HasPrefix(model, mount.MountPath+"/"), "-model %s is on the models volume %s", model, mount.MountPath)
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	copyFile(t, filepath.Join(models, "bert-mean.gguf"), filepath.Join(dir, strings.TrimPrefix(model, mount.MountPath+"/")))
	vol := dir + ":" + mount.MountPath
	if mount.ReadOnly {
		vol += ":ro"
	}
	flags = append(flags, "-v", vol)

	name := p.start("embellama-test-manifest", flags, c.Args...)
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe}
	for kind, probe := range probes {
		require.NotNil(t, probe, kind)
		require.NotNil(t, probe.HTTPGet, kind)
		port := c.Ports[0].ContainerPort
		if probe.HTTPGet.Port.String() != c.Ports[0].Name {
			port = probe.HTTPGet.Port.IntVal
		}
		var last string
		ok := assert.Eventually(t, func() bool {
			last = httpInside(p, name, port, probe.HTTPGet.Path)
			return strings.Contains(last, " 200 ")
		}, time.Minute, 50*time.Millisecond, "%s probe GET %s on port %d: %s", kind, probe.HTTPGet.Path, port, last)
		if ok {
			t.Logf("%s probe: GET %s on port %d inside the container: %s", kind, probe.HTTPGet.Path, port, last)
		}
	}
	_, err := p.try("healthcheck", "run", name)
	assert.NoError(t, err, "the image's HEALTHCHECK with the manifest's args")
	t.Logf("the manifest's args %q: accepted, and the image's HEALTHCHECK passes", c.Args)
}

// TestImageDefaultCommand runs the image with no arguments (its CMD
// serves /models/model.gguf on 0.0.0.0:8080), in a private network
// namespace, until its own HEALTHCHECK reports it healthy.
func TestImageDefaultCommand(t *testing.T) {
	p := newPodman(t)
	models := modelsDir(t)
	model := filepath.Join(models, "bert-mean.gguf")
	name := p.start("embellama-test-cmd", []string{"--network=none", "-v", model + ":/models/model.gguf:ro"})
	var err error
	assert.Eventually(t, func() bool {
		_, err = p.try("healthcheck", "run", name)
		return err == nil
	}, time.Minute, 100*time.Millisecond, "the image's HEALTHCHECK never passed: %v", err)
	cfg := p.inspectImage()
	t.Logf("default command %q: the image's HEALTHCHECK passes", cfg.Config.Cmd)

	// The same check with nothing listening must fail.
	test := cfg.Healthcheck.Test
	require.GreaterOrEqual(t, len(test), 2, "the image has a HEALTHCHECK")
	require.Equal(t, "CMD", test[0])
	_, err = p.try(append([]string{"run", "--rm", "--network=none", "--no-healthcheck", "--entrypoint", test[1], p.image}, test[2:]...)...)
	require.Error(t, err, "the HEALTHCHECK passed with no server")
	t.Logf("the HEALTHCHECK with no server: %s", lastLine(err.Error()))
}

// httpInside sends GET path to port on the container's loopback from
// inside it (bash's /dev/tcp) and returns the status line, or the error.
func httpInside(p podman, name string, port int32, path string) string {
	script := fmt.Sprintf(`exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0\r\n\r\n' >&3 && head -n 1 <&3`, port, path)
	out, err := p.try("exec", name, "bash", "-c", script)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(out)
}
