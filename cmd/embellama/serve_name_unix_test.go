//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// startServe runs serve with args on a free port until the test ends,
// and returns its base URL once every model is loaded.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), strings.NewReader(""), &bytes.Buffer{}, &stderr)
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
	t.Cleanup(func() {
		// serve stops on SIGTERM, which it catches while it runs.
		require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
		assert.Equal(t, exitOK, <-done)
	})
	m := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`).FindStringSubmatch(stderr.String())
	require.NotNil(t, m, stderr.String())
	return "http://" + m[1]
}

// TestServeModelName: serve loads -model under $EMBELLAMA_MODEL_NAME, as
// embed.New does, instead of ignoring it and always using "default".
func TestServeModelName(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Fixture(t, "bert-mean-tiny")
	t.Setenv("EMBELLAMA_MODEL_NAME", "mine")
	base := startServe(t, "-lib", lib, "-model", model)

	resp, err := http.Get(base + "/v1/models")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list struct{ Data []struct{ ID string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	require.Len(t, list.Data, 1)
	assert.Equal(t, "mine", list.Data[0].ID)

	for _, name := range []string{"mine", ""} {
		body := `{"input":"hello","model":"` + name + `"}`
		if name == "" {
			body = `{"input":"hello"}` // the only model serves requests that name none
		}
		resp, err := http.Post(base+"/v1/embeddings", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "model %q", name)
	}
}
