package embedbeam_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/embellama/embellama/internal/testenv"
)

// envNetns is set, in the re-executed test binary, to the network
// namespace (the /proc/self/ns/net link) of the parent that started it.
const envNetns = "EMBEDBEAM_TEST_PARENT_NETNS"

// inPrivateNetwork runs the test t in a network namespace of its own, in
// which the only interface is the loopback: prism's job server listens on
// every interface (":0"), and nothing a test starts may listen outside
// 127.0.0.1.
//
// Called in the test binary the developer started, it re-executes that
// binary under `unshare --net --map-root-user`, running only t, checks
// that the child passed, and returns false: the caller returns at once.
// Called in the child, it brings the loopback up (the ioctl of `ip link
// set lo up`), checks that the namespace is not the parent's and has no
// other interface, and returns true: the caller does the work.
//
// Without unshare or user namespaces, t skips on a developer's machine
// and fails under CI=true.
func inPrivateNetwork(t *testing.T) bool {
	t.Helper()
	self, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	if parent, ok := os.LookupEnv(envNetns); ok {
		require.NotEqual(t, parent, self, "the child runs in the parent's network namespace")
		require.NoError(t, loopbackUp())
		ifs, err := net.Interfaces()
		require.NoError(t, err)
		for _, i := range ifs {
			require.Equal(t, "lo", i.Name, "the private namespace has only the loopback: %+v", ifs)
		}
		return true
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		testenv.Missing(t, "unshare (util-linux), to run prism in a private network namespace: %v", err)
	}
	if out, err := exec.Command(unshare, "--net", "--map-root-user", "true").CombinedOutput(); err != nil {
		testenv.Missing(t, "unshare --net --map-root-user (user namespaces): %v: %s", err, out)
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.CommandContext(t.Context(), unshare, "--net", "--map-root-user", exe,
		"-test.run=^"+t.Name()+"$", "-test.v=true", "-test.count=1")
	// TMPDIR: the child's scratch files (its t.TempDir, the empty file the
	// SDK creates for a loopback job's worker binary) go where t cleans up.
	cmd.Env = append(os.Environ(), envNetns+"="+self, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("child in a private network namespace:\n%s", out)
	require.NoError(t, err, "the child test failed")
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "the child ran the test")
	return false
}

// loopbackUp sets the IFF_UP flag of "lo", as `ip link set lo up` does.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("ifreq: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", err)
	}
	return nil
}
