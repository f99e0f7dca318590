//go:build ortproto

package ortproto_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/ortproto"
	"github.com/embellama/embellama/internal/testenv"
)

// The prototype's native pieces (ONNX Runtime, an ONNX file,
// onnxruntime-node) are not part of CI: these tests are built only with
// -tags ortproto (go test -tags ortproto ./internal/ortproto), where
// scripts/bench-ort.sh has set them up, named by the environment.
const (
	envLib   = "EMBELLAMA_ORT_LIB"   // libonnxruntime.so.1 (onnxruntime-node's bin/napi-v6/linux/x64/)
	envModel = "EMBELLAMA_ORT_MODEL" // an ONNX file of the MiniLM shape (export_onnx.py)
	envNode  = "EMBELLAMA_ORT_NODE"  // the node_modules directory holding onnxruntime-node
	// the same weights with the pooling left out: output last_hidden_state [batch, seq, hidden]
	envStates = "EMBELLAMA_ORT_STATES_MODEL"
)

// ortEnv returns the environment's value for each name, and fails when
// one is unset: built with -tags ortproto, the tests need them.
func ortEnv(t *testing.T, names ...string) []string {
	t.Helper()
	var vals []string
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			t.Fatalf("%s unset: set %v (scripts/bench-ort.sh prints them)", n, names)
		}
		vals = append(vals, v)
	}
	return vals
}

func TestSessionErrors(t *testing.T) {
	env := ortEnv(t, envLib, envModel)
	rt, err := ortproto.Open(env[0])
	require.NoError(t, err)
	defer rt.Close()

	notONNX := filepath.Join(t.TempDir(), "model.onnx")
	require.NoError(t, os.WriteFile(notONNX, []byte("not a protobuf"), 0o644))
	_, err = rt.NewSession(notONNX, ortproto.Options{Threads: 1})
	require.ErrorIs(t, err, ortproto.ErrORT)
	assert.Contains(t, err.Error(), "CreateSession")

	s, err := rt.NewSession(env[1], ortproto.Options{Threads: 1})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Embed(context.Background(), [][]int32{{101, 102}, {}}, 8, true)
	require.ErrorIs(t, err, ortproto.ErrInput)
	_, err = s.Embed(context.Background(), [][]int32{{101, 102}}, 0, true)
	require.ErrorIs(t, err, ortproto.ErrInput)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Embed(ctx, [][]int32{{101, 102}}, 1, true)
	require.ErrorIs(t, err, context.Canceled)
}

// TestMatchesNode checks the Go runner against onnxruntime-node, the
// runner of ../shared/bench/ort, on the same ONNX file and token ids:
// every component within 1e-5, batched as node batches them and also
// length-sorted (padding must not change a vector).
func TestMatchesNode(t *testing.T) {
	env := ortEnv(t, envLib, envModel, envNode)
	ids := corpusIDs(t, 12)
	const batch = 5

	cmd := exec.Command("node", "testdata/vectors.mjs", env[1])
	cmd.Env = append(os.Environ(), "NODE_PATH="+env[2])
	in, err := json.Marshal(map[string]any{"ids": ids, "batch": batch})
	require.NoError(t, err)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	require.NoError(t, err, "node vectors.mjs")
	var node struct{ Vectors [][]float32 }
	require.NoError(t, json.Unmarshal(out, &node))
	require.Len(t, node.Vectors, len(ids))

	rt, err := ortproto.Open(env[0])
	require.NoError(t, err)
	defer rt.Close()
	s, err := rt.NewSession(env[1], ortproto.Options{Threads: 2})
	require.NoError(t, err)
	defer s.Close()
	for _, sorted := range []bool{false, true} {
		got, err := s.Embed(context.Background(), ids, batch, sorted)
		require.NoError(t, err)
		require.Len(t, got, len(ids))
		for i := range ids {
			require.Len(t, got[i], len(node.Vectors[i]))
			for k := range got[i] {
				require.InDelta(t, node.Vectors[i][k], got[i][k], 1e-5, "sorted=%v text %d component %d", sorted, i, k)
			}
		}
	}
}

// TestMeanPoolMatchesGraph checks the Go mean pooling against the
// graph's own: the same weights exported once with pooling and
// normalization in the graph and once returning the token states, which
// the session pools in Go.
func TestMeanPoolMatchesGraph(t *testing.T) {
	env := ortEnv(t, envLib, envModel, envStates)
	ids := corpusIDs(t, 12)
	rt, err := ortproto.Open(env[0])
	require.NoError(t, err)
	defer rt.Close()
	embed := func(path string) [][]float32 {
		s, err := rt.NewSession(path, ortproto.Options{Threads: 2})
		require.NoError(t, err)
		defer s.Close()
		v, err := s.Embed(context.Background(), ids, 5, true)
		require.NoError(t, err)
		return v
	}
	pooled, states := embed(env[1]), embed(env[2])
	for i := range ids {
		require.Len(t, states[i], len(pooled[i]))
		for k := range pooled[i] {
			require.InDelta(t, pooled[i][k], states[i][k], 1e-5, "text %d component %d", i, k)
		}
	}
}

// corpusIDs tokenizes the first n texts of the benchmark corpus (and one
// long text) with embellama's tokenizer on the MiniLM fixture, whose
// vocabulary is the ONNX graph's.
func corpusIDs(t *testing.T, n int) [][]int32 {
	t.Helper()
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "minilm-l6-f16")}}
	cfg.Library = testenv.Library(t)
	e, err := embed.New(context.Background(), cfg)
	require.NoError(t, err)
	defer e.Close()
	texts := append(corpus.Generate(corpus.Short, n, 1), corpus.Generate(corpus.Long, 1, 1)...)
	ids := make([][]int32, len(texts))
	for i, text := range texts {
		ids[i], err = e.Tokenize("", text)
		require.NoError(t, err)
	}
	return ids
}
