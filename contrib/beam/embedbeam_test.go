package embedbeam_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	//lint:ignore SA1019 the direct runner runs in process; prism's in-process job server listens on every interface, which a test here must not.
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	embedbeam "github.com/embellama/embellama/contrib/beam"
	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func TestMain(m *testing.M) { ptest.Main(m) }

func readJSONL[T any](t *testing.T, path string) []T {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []T
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<24)
	for s.Scan() {
		var v T
		require.NoError(t, json.Unmarshal(s.Bytes(), &v), s.Text())
		out = append(out, v)
	}
	require.NoError(t, s.Err())
	return out
}

// TestJSONLPipeline runs the example pipeline on Beam's direct runner over
// a few hundred texts and a few bad records, and checks every vector
// against the engine's own in this process.
func TestJSONLPipeline(t *testing.T) {
	ctx := context.Background()
	engine := testenv.Open(t, openEngine)
	dir := t.TempDir()

	texts := testenv.Texts(300)
	in, err := os.Create(filepath.Join(dir, "in.jsonl"))
	require.NoError(t, err)
	enc := json.NewEncoder(in)
	for i, text := range texts {
		require.NoError(t, enc.Encode(embedbeam.Text{ID: "t" + strconv.Itoa(i), Text: text}))
	}
	bad := map[string]string{"blank": "   ", "nul": "a\x00b"}
	for id, text := range bad {
		require.NoError(t, enc.Encode(embedbeam.Text{ID: id, Text: text}))
	}
	_, err = in.WriteString("not json\n{\"id\":\"no-text\"}\n")
	require.NoError(t, err)
	require.NoError(t, in.Close())

	fn := embedbeam.EmbedFn{Config: embedbeam.Config{ModelPath: testenv.Model(t, testenv.DefaultModel), Library: testenv.Library(t), Backend: "cpu"}, BatchSize: 64}
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	_, err = direct.Execute(ctx, embedbeam.JSONL(fn, filepath.Join(dir, "in.jsonl"), out, dead))
	require.NoError(t, err)

	want, err := engine.EmbedBatch(ctx, "", texts)
	require.NoError(t, err)
	require.NoError(t, want.Err())
	got := readJSONL[embedbeam.Vector](t, out)
	require.Len(t, got, len(texts), "one vector per good record")
	seen := map[string]bool{}
	for _, v := range got {
		i, err := strconv.Atoi(v.ID[1:])
		require.NoError(t, err, v.ID)
		require.False(t, seen[v.ID], "duplicate %s", v.ID)
		seen[v.ID] = true
		assert.GreaterOrEqual(t, testenv.CosineOf(v.Vector, want.Vectors[i]), 0.9999, "vector of %s", v.ID)
	}

	failures := readJSONL[embedbeam.Failure](t, dead)
	byID := map[string]embedbeam.Failure{}
	for _, f := range failures {
		byID[f.ID] = f
	}
	require.Len(t, failures, 4, "%+v", failures)
	assert.Contains(t, byID["blank"].Error, "empty input")
	assert.Contains(t, byID["nul"].Error, "NUL byte")
	assert.Equal(t, "a\x00b", byID["nul"].Text)
	assert.Contains(t, byID[""].Error, "bad JSON line")
	var noText, notJSON bool
	for _, f := range failures {
		noText = noText || f.Text == `{"id":"no-text"}`
		notJSON = notJSON || f.Text == "not json"
	}
	assert.True(t, noText && notJSON, "both unparsable lines in the dead letter: %+v", failures)
}

func TestSetupNeedsAModel(t *testing.T) {
	err := (&embedbeam.EmbedFn{}).Setup(context.Background())
	assert.ErrorContains(t, err, "ModelPath is required")
}

// openEngine opens an engine on the tests' library and model (testenv.Open).
func openEngine(library, model string) (*embed.Engine, error) {
	return embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: library}, ModelConfig: embed.ModelConfig{ModelPath: model}})
}
