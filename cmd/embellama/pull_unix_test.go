//go:build unix

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestPullRefusesSpecialPaths: pull writes FILE.part and renames it to
// FILE, so a FIFO, device or symbolic link at either is refused and left
// as it was. (Before, the rename replaced a FIFO or a device at FILE, a
// link at FILE.part was followed and its target appended to, a FIFO at
// FILE.part blocked the open, and a FIFO at FILE blocked the checksum.)
func TestPullRefusesSpecialPaths(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	s := sha256.Sum256(body)
	sum := hex.EncodeToString(s[:])
	srv, _ := modelServer(t, body, sum, false)
	outside := filepath.Join(t.TempDir(), "outside")

	tests := []struct {
		name string
		make func(path string) error
		at   string // "file" or "part"
		sum  bool   // pass -sha256 (an existing FILE is hashed first)
	}{
		{"FIFO at FILE", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "file", false},
		{"FIFO at FILE, with -sha256", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "file", true},
		{"device at FILE", func(p string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3) }, "file", false},
		{"link at FILE", func(p string) error { return os.Symlink(outside, p) }, "file", false},
		{"link at FILE.part", func(p string) error { return os.Symlink(outside, p) }, "part", false},
		{"FIFO at FILE.part", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "part", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(outside, []byte("keep"), 0o644))
			dir := t.TempDir()
			path := filepath.Join(dir, "m.gguf")
			if tt.at == "part" {
				path += ".part"
			}
			if err := tt.make(path); err != nil {
				t.Skipf("cannot make it here: %v", err) // a device needs root
			}
			before, err := os.Lstat(path)
			require.NoError(t, err)
			args := []string{"pull", "-dir", dir}
			if tt.sum {
				args = append(args, "-sha256", sum)
			}
			args = append(args, srv.URL+"/x/m.gguf")
			done := make(chan [2]any, 1)
			go func() {
				code, _, stderr := runCLI(t, "", args...)
				done <- [2]any{code, stderr}
			}()
			var res [2]any
			select {
			case res = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("pull blocked on %s", path)
				res = release(path, done)
			}
			assert.Equal(t, exitFailure, res[0], res[1])
			assert.Contains(t, res[1], "not a regular file")
			after, err := os.Lstat(path)
			require.NoError(t, err)
			assert.Equal(t, before.Mode(), after.Mode(), "left as it was")
			b, err := os.ReadFile(outside)
			require.NoError(t, err)
			assert.Equal(t, "keep", string(b), "a link's target is not written")
		})
	}
}

// release opens the FIFO at path until the blocked pull returns (each of
// its retries blocks again), and returns what it sent.
func release(path string, done chan [2]any) [2]any {
	for {
		if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil { // frees a FIFO's reader or writer
			f.Close()
		}
		select {
		case res := <-done:
			return res
		case <-time.After(100 * time.Millisecond):
		}
	}
}
