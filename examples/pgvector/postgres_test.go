package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/embellama/embellama/internal/testenv"
)

// pgPort is the port of the throwaway cluster. It only names the Unix
// socket in the cluster's own directory: the server listens on no TCP
// address, so it cannot collide with any other server.
const pgPort = "18610"

// pgBin returns the directory of Debian's PostgreSQL server programs
// (/usr/lib/postgresql/<version>/bin, the newest), or "".
func pgBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// startPostgres initializes and starts a PostgreSQL cluster in a new
// temporary directory, stops and removes it when t ends, and returns a
// DSN for it. PostgreSQL refuses to run as root, so as root the server
// runs as nobody, in a directory it owns.
func startPostgres(t *testing.T) string {
	t.Helper()
	bin := pgBin()
	if bin == "" {
		testenv.Missing(t, "PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/*/bin: make test-deps installs Debian's postgresql")
	}
	dir, err := os.MkdirTemp("", "embellama-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	asServer := func(prog string, args ...string) *exec.Cmd {
		if os.Geteuid() != 0 {
			return exec.Command(filepath.Join(bin, prog), args...)
		}
		return exec.Command("runuser", append([]string{"-u", "nobody", "--", filepath.Join(bin, prog)}, args...)...)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running PostgreSQL as root needs the user nobody: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chown(dir, uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := asServer("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -p %s -c fsync=off", dir, pgPort)
	start := asServer("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "-o", opts, "start")
	if out, err := start.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { _ = asServer("pg_ctl", "-D", data, "-m", "immediate", "stop").Run() })
	return fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres sslmode=disable", dir, pgPort)
}
