package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

func TestEmbedFileFormats(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "bert-mean.gguf")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(in, []byte(`{"id":"a","body":"hello world"}
{"id":7,"body":"The quick brown fox"}

{"body":"third"}
`), 0o644))

	code, out, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", model, "-file", in, "-field", "body", "-format", "jsonl", "-skip-empty")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	var ids []string
	var first []float64
	for i, l := range lines {
		var rec struct {
			ID        json.RawMessage `json:"id"`
			Embedding []float64       `json:"embedding"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		ids = append(ids, string(rec.ID))
		assert.Len(t, rec.Embedding, 128)
		if i == 0 {
			first = rec.Embedding
		}
	}
	assert.Equal(t, []string{`"a"`, "7", "3"}, ids, "ids as written; without one, the 0-based line (the skipped blank line counts)")
	testenv.AssertNear(t, testenv.ReferenceVector(t, "bert-mean", "hello world"), first, "hello world from a JSONL file")

	npy := filepath.Join(dir, "out.npy")
	code, _, stderr = runCLI(t, "one\ntwo\nthree\n", "embed", "-lib", lib, "-model", model, "-format", "npy", "-o", npy, "-dimensions", "16")
	require.Equal(t, exitOK, code, stderr)
	b, err := os.ReadFile(npy)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte("\x93NUMPY\x01\x00")))
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	assert.Zero(t, (10+hl)%64, "header padded to 64 bytes")
	header := string(b[10 : 10+hl])
	assert.Contains(t, header, "'descr': '<f4'")
	assert.Contains(t, header, "'shape': (3, 16)")
	data := b[10+hl:]
	require.Len(t, data, 3*16*4)
	var norm float64
	for i := range 16 {
		x := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		norm += float64(x) * float64(x)
	}
	assert.InDelta(t, 1, norm, 1e-5, "rows are unit vectors")

	code, _, stderr = runCLI(t, "", "embed", "-lib", lib, "-model", model, "-format", "xml", "x")
	assert.Equal(t, exitUsage, code, stderr)
	code, _, stderr = runCLI(t, "", "embed", "-lib", lib, "-model", model, "-file", in, "-field", "missing")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, `field "missing"`)
}

func TestEmbedPoolingFlag(t *testing.T) {
	lib, model := testenv.Library(t), testenv.Model(t, "stories260K.gguf")
	code, _, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", model, "hello")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "not an embedding model")
	code, out, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", model, "-pooling", "last", "hello")
	require.Equal(t, exitOK, code, stderr)
	assert.Len(t, vectors(t, out)[0], 64)
}

func TestInfoCommand(t *testing.T) {
	code, out, stderr := runCLI(t, "", "info", "-lib", testenv.Library(t), "-model", testenv.Model(t, "bert-mean.gguf"))
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"library", "llama.cpp", "0.5.0", "CPU", "device 0", "architecture  bert", "pooling       mean"} {
		assert.Contains(t, out, want)
	}
}

func TestParseModels(t *testing.T) {
	got, err := parseModels("a=/x.gguf, b=y.gguf", "default")
	require.NoError(t, err)
	assert.Equal(t, [][2]string{{"a", "/x.gguf"}, {"b", "y.gguf"}}, got)
	for _, bad := range []string{"a", "=x", "a=", "a=x,a=y", "default=x"} {
		_, err := parseModels(bad, "default")
		assert.Error(t, err, bad)
	}
	// -model's name is $EMBELLAMA_MODEL_NAME when set: that name is
	// taken, and "default" is free.
	_, err = parseModels("mine=x", "mine")
	assert.ErrorContains(t, err, `model name "mine" is used twice`)
	got, err = parseModels("default=x", "mine")
	require.NoError(t, err)
	assert.Equal(t, [][2]string{{"default", "x"}}, got)
}

// modelServer serves the bytes of a GGUF model the way the hub does:
// ranges, an ETag of its sha256, and optionally a first response cut
// short.
func modelServer(t *testing.T, body []byte, etag string, cutFirst bool) (*httptest.Server, *atomic.Int32) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if etag != "" {
			w.Header().Set("X-Linked-Etag", `"`+etag+`"`)
		}
		start := 0
		if rg := r.Header.Get("Range"); rg != "" {
			start, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
			w.Header().Set("Content-Range", "bytes "+strconv.Itoa(start)+"-"+strconv.Itoa(len(body)-1)+"/"+strconv.Itoa(len(body)))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)-start))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		chunk := body[start:]
		if cutFirst && n == 1 {
			w.Write(chunk[:len(chunk)/3])
			panic(http.ErrAbortHandler) // drop the connection mid-body
		}
		w.Write(chunk)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func TestPull(t *testing.T) {
	body, err := os.ReadFile(testenv.Model(t, "stories260K.gguf"))
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])

	t.Run("interrupted transfer resumes", func(t *testing.T) {
		srv, requests := modelServer(t, body, want, true)
		hubURL = srv.URL
		defer func() { hubURL = "https://huggingface.co" }()
		dir := t.TempDir()
		code, out, stderr := runCLI(t, "", "pull", "-dir", dir, "owner/repo/stories.gguf")
		require.Equal(t, exitOK, code, stderr)
		got, err := os.ReadFile(strings.TrimSpace(out))
		require.NoError(t, err)
		assert.Equal(t, body, got)
		assert.GreaterOrEqual(t, requests.Load(), int32(2), "a second, ranged request finished it")
		_, err = os.Stat(filepath.Join(dir, "stories.gguf.part"))
		assert.True(t, os.IsNotExist(err))
	})
	t.Run("explicit checksum", func(t *testing.T) {
		srv, _ := modelServer(t, body, "", false)
		code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), "-sha256", want, srv.URL+"/m/stories.gguf")
		assert.Equal(t, exitOK, code, stderr)
	})
	t.Run("checksum mismatch", func(t *testing.T) {
		srv, _ := modelServer(t, body, "", false)
		dir := t.TempDir()
		code, _, stderr := runCLI(t, "", "pull", "-dir", dir, "-sha256", strings.Repeat("0", 64), srv.URL+"/m/stories.gguf")
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, stderr, "checksum mismatch")
		entries, _ := os.ReadDir(dir)
		assert.Empty(t, entries, "nothing is left behind")
	})
	t.Run("announced checksum mismatch", func(t *testing.T) {
		srv, _ := modelServer(t, body, strings.Repeat("a", 64), false)
		code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), srv.URL+"/m/stories.gguf")
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, stderr, "checksum mismatch")
	})
	t.Run("not a GGUF file", func(t *testing.T) {
		srv, _ := modelServer(t, []byte("<html>not found</html>"), "", false)
		code, _, stderr := runCLI(t, "", "pull", "-dir", t.TempDir(), srv.URL+"/m/x.gguf")
		assert.Equal(t, exitFailure, code)
		assert.Contains(t, stderr, "not a valid GGUF file")
	})
	t.Run("bad reference", func(t *testing.T) {
		code, _, _ := runCLI(t, "", "pull", "-dir", t.TempDir(), "just-a-name")
		assert.Equal(t, exitUsage, code)
	})
}
