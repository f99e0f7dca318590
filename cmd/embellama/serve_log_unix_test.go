//go:build unix

package main

import (
	"bytes"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeLogsModelPaths: serve logs the path of every model it loaded,
// the default one included, so an operator sees which file answers.
func TestServeLogsModelPaths(t *testing.T) {
	lib, bert, qwen := testenv.Library(t), testenv.Model(t, "bert-mean.gguf"), testenv.Model(t, "qwen3-last.gguf")
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"serve", "-lib", lib, "-model", bert, "-models", "qwen=" + qwen, "-addr", "127.0.0.1:0"},
			strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(stderr.String(), "msg=ready") {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before it was ready: %s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "serve did not get ready: %s", stderr.String())
	}
	// serve stops on SIGTERM, which it catches while it runs.
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	assert.Equal(t, exitOK, <-done)
	log := stderr.String()
	assert.Contains(t, log, `msg="model loaded" name=default path=`+absPath(bert)+" ")
	assert.Contains(t, log, `msg="model loaded" name=qwen path=`+absPath(qwen)+" ")
	assert.Regexp(t, `msg="model loaded" name=qwen .* context_memory=[1-9][0-9]{6,}\n`, log, "the memory bound of a context, in bytes")
}
