package embed_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// envExtremes carries the cases a child process of TestExtremeSettings
// runs (see TestMain).
const envExtremes = "EMBELLAMA_TEST_EXTREMES"

// extremeCase is one setting at an extreme value on one model. Values are
// written relative to the model's trained context where that matters: "T"
// is n_ctx_train, "T+1" one more, "2T" twice.
type extremeCase struct {
	Model string `json:"model"`
	Path  string `json:"path"`
	Knob  string `json:"knob"`
	Value string `json:"value"`
}

func (c extremeCase) String() string { return c.Model + "/" + c.Knob + "=" + c.Value }

// maxExercise is the longest input a case embeds, in tokens: above the
// longest context of the absolute-position models (nomic-bert-tiny's
// 2048), whose edges are embedded exactly; the decoders' 32k contexts are
// only approached (a 4096-token text at ubatch 1 cost minutes of CI).
const maxExercise = 2048

// extremeValues are the values each Config knob is run at, one knob at a
// time, every other knob at its default.
var extremeValues = []struct {
	knob   string
	values []string
}{
	{"ContextSize", []string{"-1", "1", "2", "3", "8", "T-1", "T", "T+1", "2T", "1048576"}},
	{"BatchSize", []string{"-1", "1", "2", "63", "65", "T+1", "1048576"}},
	{"UBatchSize", []string{"-1", "1", "2", "3", "7", "1048576"}},
	{"MaxSequences", []string{"-1", "1", "3", "255", "256", "257", "1048576"}},
	{"Threads", []string{"-1", "1", "3", "513", "100000"}},
	{"Contexts", []string{"-1", "1", "3", "64", "100000"}},
	{"FlashAttention", []string{"on", "off", "auto", "9"}},
	{"Pooling", []string{"mean", "cls", "last", "none", "rank", "99"}},
	{"GPULayers", []string{"-1", "1000000"}},
	{"MainGPU", []string{"-1", "7"}},
	{"small", []string{"ctx=8,batch=8,seq=8", "ctx=T,batch=T,ubatch=1,seq=1", "ctx=16,batch=64,ubatch=16,seq=4"}},
}

// extremeModels are the shared models and every other fixture
// architecture (bert-mean-tiny is bert-mean's architecture and pooling).
var extremeModels = []struct{ name, fixture string }{
	{"bert-mean", ""},
	{"qwen3-last", ""},
	{"stories260K", ""},
	{"bert-cls-tiny", "bert-cls-tiny"},
	{"nomic-bert-tiny", "nomic-bert-tiny"},
	{"jina-bert-v2-tiny", "jina-bert-v2-tiny"},
	{"qwen3-last-tiny", "qwen3-last-tiny"},
}

// TestExtremeSettings runs every Config knob at its extremes on every
// model architecture, each in a child process, and fails if any aborts
// the process (a GGML_ASSERT, a signal, a panic) instead of succeeding or
// returning a typed error. Each child embeds a short text, a text as long
// as the context allows, the same text past the context with and without
// truncation, token ids past the context, and extreme per-call options.
func TestExtremeSettings(t *testing.T) {
	var cases []extremeCase
	for _, m := range extremeModels {
		path := ""
		if m.fixture != "" {
			path = testenv.Fixture(t, m.fixture)
		} else {
			path = testenv.Model(t, m.name+".gguf")
		}
		for _, k := range extremeValues {
			for _, v := range k.values {
				cases = append(cases, extremeCase{Model: m.name, Path: path, Knob: k.knob, Value: v})
			}
		}
	}
	outcomes := runExtremes(t, cases)
	refusals := map[string]int{}
	for i, c := range cases {
		o, ok := outcomes[i]
		if !assert.True(t, ok, "%s: no outcome", c) {
			continue
		}
		assert.NotEqual(t, "ABORT", o.kind, "%s aborted the process:\n%s", c, o.detail)
		assert.NotEqual(t, "UNTYPED", o.kind, "%s: error without a type: %s", c, o.detail)
		assert.NotEqual(t, "WRONG", o.kind, "%s: %s", c, o.detail)
		refusals[o.kind]++
	}
	t.Logf("%d cases over %d models: %v", len(cases), len(extremeModels), refusals)
}

type extremeOutcome struct{ kind, detail string }

// extremeShards is how many children run cases side by side: the cases
// are small and mostly single-threaded (loading, planning, refusing), so
// two children on two cores finish in well under the time of one.
const extremeShards = 2

// runExtremes runs cases in child processes, extremeShards at a time (case
// i in shard i%extremeShards), a new child after each one that dies, and
// returns each case's outcome by index.
func runExtremes(t *testing.T, cases []extremeCase) map[int]extremeOutcome {
	outcomes := map[int]extremeOutcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, extremeShards)
	for shard := range extremeShards {
		var index []int
		for i := shard; i < len(cases); i += extremeShards {
			index = append(index, i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := runExtremeShard(cases, index)
			errs[shard] = err
			mu.Lock()
			defer mu.Unlock()
			for i, o := range got {
				outcomes[i] = o
			}
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	return outcomes
}

// runExtremeShard runs the cases at index, in order, in child processes,
// and returns their outcomes by index into cases.
func runExtremeShard(cases []extremeCase, index []int) (map[int]extremeOutcome, error) {
	outcomes := map[int]extremeOutcome{}
	for start := 0; start < len(index); {
		var todo []extremeCase
		for _, i := range index[start:] {
			todo = append(todo, cases[i])
		}
		b, err := json.Marshal(todo)
		if err != nil {
			return outcomes, err
		}
		cmd := exec.Command(os.Args[0], "-test.run", "^$")
		// GGML_NO_BACKTRACE: an abort would otherwise attach gdb to print a
		// backtrace, seconds per case.
		cmd.Env = append(os.Environ(), envExtremes+"="+string(b), "GGML_NO_BACKTRACE=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, runErr := cmd.Output()
		last := -1
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.SplitN(line, " ", 3)
			if len(f) < 2 || f[0] != "CASE" {
				continue
			}
			i, err := strconv.Atoi(f[1])
			if err != nil || start+i >= len(index) {
				return outcomes, fmt.Errorf("child printed a bad line %q", line)
			}
			last = max(last, start+i)
			if len(f) == 3 && f[2] != "START" {
				kind, detail, _ := strings.Cut(f[2], " ")
				outcomes[index[start+i]] = extremeOutcome{kind, detail}
			}
		}
		if runErr == nil {
			break
		}
		if last < start {
			return outcomes, fmt.Errorf("child died before its first case: %v\n%s", runErr, tail(stderr.String()))
		}
		outcomes[index[last]] = extremeOutcome{"ABORT", fmt.Sprintf("%v\n%s", runErr, tail(stderr.String()))}
		start = last + 1
	}
	return outcomes, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// runExtremesChild is the child side: it runs each case of the
// environment variable, printing "CASE i START" before and "CASE i KIND
// detail" after, and returns the exit status.
func runExtremesChild(spec string) int {
	var cases []extremeCase
	if err := json.Unmarshal([]byte(spec), &cases); err != nil {
		fmt.Println("bad", envExtremes, err)
		return 2
	}
	w := bufio.NewWriter(os.Stdout)
	for i, c := range cases {
		fmt.Fprintf(w, "CASE %d START\n", i)
		w.Flush()
		kind, detail := runExtreme(c)
		fmt.Fprintf(w, "CASE %d %s %s\n", i, kind, strings.ReplaceAll(detail, "\n", " "))
		w.Flush()
	}
	return 0
}

// runExtreme runs one case and classifies it: OK, REFUSED (a typed
// error), UNTYPED (an error no sentinel or type matches) or WRONG (a
// result that breaks a promise, such as a vector of the wrong length).
func runExtreme(c extremeCase) (kind, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	trained, ok := trainedContexts[c.Path]
	if !ok {
		var err error
		if trained, err = trainedContext(ctx, c.Path); err != nil {
			return classify(err)
		}
		trainedContexts[c.Path] = trained
	}
	if trained <= 0 {
		return "WRONG", "the model reports no trained context"
	}
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: c.Path}}
	if c.Model == "stories260K" {
		cfg.Pooling = embed.PoolingLast // it declares none
	}
	if err := setExtreme(&cfg, c.Knob, c.Value, trained); err != nil {
		// A value the API's own parser refuses (pooling "none" or
		// "rank" for embeddings) is a refusal like any other.
		if k, d := classify(err); k == "REFUSED" {
			return k, d
		}
		return "WRONG", "bad case: " + err.Error()
	}
	e, err := embed.New(ctx, cfg)
	if err != nil {
		return classify(err)
	}
	defer e.Close()
	return exercise(ctx, e)
}

// trainedContexts caches each model's n_ctx_train in a child.
var trainedContexts = map[string]int{}

func trainedContext(ctx context.Context, path string) (int, error) {
	e, err := embed.New(ctx, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: path, Pooling: embed.PoolingLast, Contexts: 1, Threads: 1}})
	if err != nil {
		return 0, err
	}
	defer e.Close()
	info, err := e.ModelInfo("")
	return info.TrainedContext, err
}

// exercise embeds what reaches the context's edges and past them.
func exercise(ctx context.Context, e *embed.Engine) (kind, detail string) {
	info, err := e.ModelInfo("")
	if err != nil {
		return classify(err)
	}
	// Texts reach the context's edge and pass it, up to maxExercise tokens
	// (the edge matters for absolute-position models, whose contexts are
	// short; a 32k-token decode would only cost time).
	edge := info.ContextSize <= maxExercise
	n := min(info.ContextSize, maxExercise)
	long := strings.Repeat("hello ", n+8)
	r, err := e.EmbedBatch(ctx, "", []string{"hello world", long}, embed.WithTruncation(embed.TruncateEnd))
	if err != nil {
		return classify(err)
	}
	for i, v := range r.Vectors {
		if r.Errors[i] != nil {
			if k, d := classify(r.Errors[i]); k != "REFUSED" {
				return k, d
			}
			continue
		}
		if len(v) != info.Dim {
			return "WRONG", fmt.Sprintf("vector %d has %d components, want %d", i, len(v), info.Dim)
		}
	}
	if edge {
		if r, err = e.EmbedBatch(ctx, "", []string{long}); err != nil {
			return classify(err)
		}
		if !errors.Is(r.Errors[0], embed.ErrTooLong) {
			return "WRONG", fmt.Sprintf("a text past the context: %v, want ErrTooLong", r.Errors[0])
		}
	}
	ids := make([]int32, n+1)
	for i := range ids {
		ids[i] = 1
	}
	inputs := [][]int32{ids[:n], {int32(info.VocabSize)}, {-1}}
	if edge {
		inputs = append(inputs, ids)
	}
	if r, err = e.EmbedBatchTokens(ctx, "", inputs); err != nil {
		return classify(err)
	}
	for _, err := range r.Errors {
		if k, d := classify(err); err != nil && k != "REFUSED" {
			return k, d
		}
	}
	if edge && r.Errors[len(inputs)-1] == nil {
		return "WRONG", "token ids past the context were accepted"
	}
	if r.Errors[1] == nil || r.Errors[2] == nil {
		return "WRONG", "token ids outside the vocabulary were accepted"
	}
	for _, opt := range []embed.Option{
		embed.WithDimensions(1), embed.WithDimensions(info.Dim + 1), embed.WithDimensions(-1),
		embed.WithPooling(embed.PoolingCLS), embed.WithPooling(embed.PoolingLast), embed.WithPooling(embed.Pooling(99)),
		embed.WithNormalization(embed.NormalizeMaxAbs), embed.WithNormalization(embed.NormalizeP(-3)),
	} {
		if _, err := e.Embed(ctx, "", "hello world", opt); err != nil {
			if k, d := classify(err); k != "REFUSED" {
				return k, d
			}
		}
	}
	return "OK", fmt.Sprintf("ctx=%d batch=%d seq=%d threads=%d contexts=%d", info.ContextSize, info.BatchSize, info.MaxSequences, info.Threads, info.Contexts)
}

// typedErrors are the errors a refusal may match.
var typedErrors = []error{
	embed.ErrInvalidConfig, embed.ErrInvalidOption, embed.ErrTooLong, embed.ErrInvalidToken,
	embed.ErrNotEmbeddingModel, embed.ErrMemoryLimit, embed.ErrModelLoad, embed.ErrEmptyInput,
	embed.ErrOverloaded, embed.ErrDecode, embed.ErrNonFinite,
}

func classify(err error) (kind, detail string) {
	if err == nil {
		return "OK", ""
	}
	for _, target := range typedErrors {
		if errors.Is(err, target) {
			return "REFUSED", err.Error()
		}
	}
	return "UNTYPED", fmt.Sprintf("%T: %v", err, err)
}

// setExtreme sets one knob of cfg to value.
func setExtreme(cfg *embed.Config, knob, value string, trained int) error {
	if knob == "small" {
		for _, kv := range strings.Split(value, ",") {
			k, v, _ := strings.Cut(kv, "=")
			name := map[string]string{"ctx": "ContextSize", "batch": "BatchSize", "ubatch": "UBatchSize", "seq": "MaxSequences"}[k]
			if err := setExtreme(cfg, name, v, trained); err != nil {
				return err
			}
		}
		return nil
	}
	switch knob {
	case "FlashAttention":
		if value == "9" {
			cfg.FlashAttention = embed.FlashAttention(9)
			return nil
		}
		f, err := embed.ParseFlashAttention(value)
		cfg.FlashAttention = f
		return err
	case "Pooling":
		if value == "99" {
			cfg.Pooling = embed.Pooling(99)
			return nil
		}
		p, err := embed.ParsePooling(value)
		cfg.Pooling = p
		return err
	}
	n, err := relative(value, trained)
	if err != nil {
		return err
	}
	// Every numeric knob is a field of the settings table, which sets it
	// as the environment and the flags do.
	for _, st := range embed.Settings() {
		if st.Field == knob {
			return st.Set(cfg, strconv.Itoa(n))
		}
	}
	return fmt.Errorf("unknown knob %q", knob)
}

// relative reads "T", "T+1", "T-1", "2T" or a number.
func relative(s string, trained int) (int, error) {
	switch {
	case s == "T":
		return trained, nil
	case s == "2T":
		return 2 * trained, nil
	case strings.HasPrefix(s, "T+"), strings.HasPrefix(s, "T-"):
		d, err := strconv.Atoi(s[1:])
		return trained + d, err
	}
	return strconv.Atoi(s)
}
