package embed_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// abortChild names, in the environment of a child test process, the
// scenario it runs.
const abortChild = "EMBELLAMA_TEST_ABORT_CHILD"

// TestContextPastTrainedPositions runs, in a child process (an abort
// would kill the test binary), the setting of issue 17: bert-mean has
// learned positions for 512 tokens; with ContextSize 513 a 513-token text
// reached a position row that does not exist, and llama.cpp aborted with
// GGML_ASSERT(i01 >= 0 && i01 < ne01). The setting must be refused with a
// *ConfigError instead, and the process must live.
func TestContextPastTrainedPositions(t *testing.T) {
	if os.Getenv(abortChild) == "ctx513" {
		contextPastTrainedPositions(t)
		return
	}
	model := testenv.Model(t, "bert-mean.gguf")
	lib := testenv.Library(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestContextPastTrainedPositions$", "-test.v")
	cmd.Env = append(os.Environ(), abortChild+"=ctx513", "EMBELLAMA_TEST_MODEL="+model, "EMBELLAMA_TEST_LIB="+lib)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := stdout.String() + stderr.String()
	if i := strings.Index(out, "GGML_ASSERT"); i >= 0 {
		t.Errorf("llama.cpp aborted: %s", out[max(0, i-200):min(len(out), i+200)])
	}
	require.NoError(t, err, "the child process failed:\n%s", out)
	assert.Contains(t, out, "refused: ContextSize", "the child saw the *ConfigError:\n%s", out)
}

func contextPastTrainedPositions(t *testing.T) {
	ctx := context.Background()
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: os.Getenv("EMBELLAMA_TEST_LIB")}, ModelConfig: embed.ModelConfig{Threads: 1}})
	require.NoError(t, err)
	defer e.Close()
	err = e.LoadModel(ctx, "m", embed.ModelConfig{ModelPath: os.Getenv("EMBELLAMA_TEST_MODEL"), ContextSize: 513, Threads: 1})
	if err == nil {
		// Before the fix: the load succeeds, and this call aborts.
		_, err = e.Embed(ctx, "m", strings.Repeat("hello ", 511))
		t.Fatalf("ContextSize 513 was accepted; the 513-token text gave %v", err)
	}
	var ce *embed.ConfigError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, embed.ErrInvalidConfig)
	fmt.Printf("refused: %s: %v\n", ce.Field, err)
	// At the trained length the same text is refused as too long, and one
	// token shorter is embedded.
	require.NoError(t, e.LoadModel(ctx, "m", embed.ModelConfig{ModelPath: os.Getenv("EMBELLAMA_TEST_MODEL"), ContextSize: 512, Threads: 1}))
	_, err = e.Embed(ctx, "m", strings.Repeat("hello ", 511))
	require.ErrorIs(t, err, embed.ErrTooLong)
	v, err := e.Embed(ctx, "m", strings.Repeat("hello ", 510))
	require.NoError(t, err)
	require.NotEmpty(t, v)
}
