package main

// Regression tests of review round 6 (docs/reviews/round6.md), hostile
// review of pull OWNER/REPO: each failed before its finding was fixed.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// TestReviewPullListingStatusLineEscapes: the hub's reason phrase reaches
// stderr as it is, so a hostile (or spoofed) hub writes terminal escape
// sequences (set the window title, clear the screen) into the user's
// terminal through the listing's error line.
func TestReviewPullListingStatusLineEscapes(t *testing.T) {
	isolatedCache(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				fmt.Fprint(c, "HTTP/1.1 500 \x1b]2;pwned\x07\x1b[2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}(c)
		}
	}()
	hubURL = "http://" + ln.Addr().String()
	defer func() { hubURL = "https://huggingface.co" }()
	code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), "o/r")
	assert.Equal(t, exitFailure, code, stderr)
	assert.NotContains(t, stderr, "\x1b", "the hub's status text reached the terminal with its escape sequences: %q", stderr)
}

// TestReviewPullMalformedLFSOid: a listing whose lfs.oid is not a
// sha256 is taken silently, and the file is then downloaded without any
// verification (the help says the default -sha256 is the listing's).
// The download here serves another (valid GGUF) file than the one listed,
// announcing no sha256: pull accepts it.
func TestReviewPullMalformedLFSOid(t *testing.T) {
	isolatedCache(t)
	listed, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	s := sha256.Sum256(listed)
	sum := "zz" + hex.EncodeToString(s[:])[2:] // not hex: dropped silently
	served := append([]byte(nil), listed...)
	served = append(served, 0) // another file: one byte more than the listing says, still a valid GGUF
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/models/") {
			fmt.Fprintf(w, `[{"type":"file","path":"m-F16.gguf","size":134,"lfs":{"oid":%q,"size":%d}}]`, sum, len(listed))
			return
		}
		w.Write(served)
	}))
	defer srv.Close()
	hubURL = srv.URL
	defer func() { hubURL = "https://huggingface.co" }()
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "", "pull", "-dir", dir, "o/r")
	got, _ := os.ReadFile(filepath.Join(dir, "m-F16.gguf"))
	assert.NotEqual(t, exitOK, code, "a listing with a malformed sha256 should fail, not download unverified: %s", stderr)
	assert.NotEqual(t, len(served), len(got), "an unverified file of %d bytes, not the %d listed, was kept", len(got), len(listed))
}
