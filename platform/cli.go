package platform

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
)

// cliMain is the main package of the embellama command.
const cliMain = "github.com/embellama/embellama/cmd/embellama"

// cliBeside reports whether the running program is the embellama command
// and, when it is not, returns the embellama command beside it (see
// findCLI). The command is recognised by the main package recorded in
// the build information of every Go binary (go build, go install and go
// run alike), so the command needs no set-up call of its own and a Go
// program cannot be mistaken for it by its file name.
func cliBeside(exeDir, goos string) (bool, string) {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Path == cliMain {
		return true, ""
	}
	return false, findCLI(exeDir, goos, exec.LookPath)
}

// findCLI returns the embellama command a Go program's user can run: the
// one in the program's directory (exeDir, as a release archive unpacked
// beside it leaves it), by its path, else "embellama" when lookPath finds
// it on PATH, else "".
func findCLI(exeDir, goos string, lookPath func(string) (string, error)) string {
	name := "embellama"
	if goos == "windows" {
		name += ".exe"
	}
	if exeDir != "" {
		p := filepath.Join(exeDir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	if _, err := lookPath("embellama"); err == nil {
		return "embellama"
	}
	return ""
}
