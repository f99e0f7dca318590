package embedbeam_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	embedbeam "github.com/embellama/embellama/contrib/beam"
	"github.com/embellama/embellama/internal/testenv"
)

// Sizes of the prism run: texts the engine embeds, and the input shards
// (independent stages, so that prism has bundles to run side by side).
const (
	prismTexts  = 10000
	prismShards = 4
)

// badTexts are the inputs the engine rejects, by ID, with a part of the
// error each must get in the dead letter.
var badTexts = map[string][2]string{
	"bad-empty": {"", "empty input"},
	"bad-blank": {"   ", "empty input"},
	"bad-nul":   {"a\x00b", "NUL byte"},
	"bad-utf8":  {"ok \xff\xfe", "UTF-8"},
}

// probe records, across the bundles of the SDK worker (prism's loopback
// worker runs in the test process), how many calls into the embedding
// DoFn run at the same time: probeFn sits just before EmbedFn in the same
// fused stage, and its emit call runs EmbedFn.ProcessElement (and the
// EmbedBatch of a full buffer) synchronously.
var probe struct {
	inflight, most, calls, setups, bundles atomic.Int64
	instances                              sync.Map // the IDs of the probeFn instances that processed texts
}

func resetProbe() {
	probe.inflight.Store(0)
	probe.most.Store(0)
	probe.calls.Store(0)
	probe.setups.Store(0)
	probe.bundles.Store(0)
	probe.instances.Clear()
}

func countInstances() int {
	n := 0
	probe.instances.Range(func(any, any) bool { n++; return true })
	return n
}

// probeFn passes texts on to the embedding DoFn and records concurrency.
// The worker sets up one instance per bundle processor (a stage's bundles
// run one at a time on an instance).
type probeFn struct{ id int64 }

// Setup numbers the instance.
func (f *probeFn) Setup() { f.id = probe.setups.Add(1) }

// StartBundle counts the bundles.
func (f *probeFn) StartBundle(func(embedbeam.Text)) { probe.bundles.Add(1) }

// ProcessElement emits in while counting the calls in flight.
func (f *probeFn) ProcessElement(in embedbeam.Text, emit func(embedbeam.Text)) {
	probe.instances.Store(f.id, true)
	probe.calls.Add(1)
	n := probe.inflight.Add(1)
	for m := probe.most.Load(); n > m && !probe.most.CompareAndSwap(m, n); m = probe.most.Load() {
	}
	emit(in)
	probe.inflight.Add(-1)
}

func vectorLine(v embedbeam.Vector) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func failureLine(f embedbeam.Failure) (string, error) {
	b, err := json.Marshal(f)
	return string(b), err
}

func init() {
	register.DoFn2x0[embedbeam.Text, func(embedbeam.Text)](&probeFn{})
	register.Function1x2(vectorLine)
	register.Function1x2(failureLine)
}

// shardedInputs returns prismTexts good texts ("t0", "t1", ...) dealt
// round robin into n shards, and the bad ones in the middle of the
// shards, one a shard.
func shardedInputs(n int) (good []string, shards [][]embedbeam.Text) {
	good = testenv.Texts(prismTexts)
	shards = make([][]embedbeam.Text, n)
	for i, text := range good {
		shards[i%n] = append(shards[i%n], embedbeam.Text{ID: "t" + strconv.Itoa(i), Text: text})
	}
	for k, id := range slices.Sorted(maps.Keys(badTexts)) {
		s := k % n
		shards[s] = slices.Insert(shards[s], len(shards[s])/2, embedbeam.Text{ID: id, Text: badTexts[id][0]})
	}
	return good, shards
}

// shardedPipeline embeds each shard with its own application of
// embedbeam.Embed (prism makes one stage, and so at least one bundle, of
// each) and writes all the vectors to out and all the failures to dead,
// as JSON lines.
func shardedPipeline(fn embedbeam.EmbedFn, shards [][]embedbeam.Text, out, dead string) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	var vectors, failures []beam.PCollection
	for i, shard := range shards {
		ss := s.Scope("shard" + strconv.Itoa(i))
		texts := beam.ParDo(ss, &probeFn{}, beam.CreateList(ss, shard))
		v, f := embedbeam.Embed(ss, fn, texts)
		vectors, failures = append(vectors, v), append(failures, f)
	}
	textio.Write(s.Scope("write"), out, beam.ParDo(s, vectorLine, beam.Flatten(s, vectors...)))
	textio.Write(s.Scope("dead-letter"), dead, beam.ParDo(s, failureLine, beam.Flatten(s, failures...)))
	return p
}

// runner is a Beam runner's Execute.
type runner func(context.Context, *beam.Pipeline) (beam.PipelineResult, error)

// runSharded runs the pipeline of n shards with run, 256 texts a batch,
// and returns its outputs and how long the run took.
func runSharded(t *testing.T, run runner, n int) (good []string, vectors []embedbeam.Vector, failures []embedbeam.Failure, took time.Duration) {
	t.Helper()
	fn := embedbeam.EmbedFn{Config: embedbeam.Config{ModelPath: testenv.Model(t, testenv.DefaultModel), Library: testenv.Library(t), Backend: "cpu"}, BatchSize: 256}
	good, shards := shardedInputs(n)
	dir := t.TempDir()
	out, dead := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dead.jsonl")
	p := shardedPipeline(fn, shards, out, dead)
	resetProbe()
	start := time.Now()
	_, err := run(t.Context(), p)
	took = time.Since(start)
	require.NoError(t, err)
	return good, readJSONL[embedbeam.Vector](t, out), readJSONL[embedbeam.Failure](t, dead), took
}

// TestPrism runs the embedding transform on Beam's prism runner (its job
// server in process, the SDK worker in loopback mode), inside a private
// network namespace, over 10,000 texts and 4 bad ones in 4 shards, and
// checks that every input ID comes out exactly once, as a vector or as a
// failure, that each vector is the library's for the same text, and that
// prism ran at least two bundles through the embedding DoFn at once.
func TestPrism(t *testing.T) {
	if !inPrivateNetwork(t) {
		return
	}
	good, vectors, failures, took := runSharded(t, prism.Execute, prismShards)
	t.Logf("prism figures: %d texts in %.2fs = %.0f texts/s; %d inputs in %d bundles on %d DoFn instances, at most %d EmbedFn calls at once",
		len(good), took.Seconds(), float64(len(good))/took.Seconds(), probe.calls.Load(), probe.bundles.Load(), countInstances(), probe.most.Load())

	assert.Equal(t, int64(len(good)+len(badTexts)), probe.calls.Load(), "every input went through the worker's DoFns once")
	assert.GreaterOrEqual(t, probe.most.Load(), int64(2), "prism ran two bundles through EmbedFn at the same time")
	assert.GreaterOrEqual(t, countInstances(), 2, "bundles of distinct DoFn instances")
	checkOutputs(t, good, vectors, failures)
}

// checkOutputs checks that each good text's ID ("t<index>") has exactly
// one vector, close to the library's own for the text, and each bad one
// exactly one failure with its reason.
func checkOutputs(t *testing.T, good []string, vectors []embedbeam.Vector, failures []embedbeam.Failure) {
	t.Helper()
	seen := map[string]int{}
	for _, v := range vectors {
		seen[v.ID]++
	}
	for _, f := range failures {
		seen[f.ID]++
		want, ok := badTexts[f.ID]
		if assert.True(t, ok, "only bad texts fail: %+v", f) {
			assert.Contains(t, f.Error, want[1], f.ID)
		}
	}
	for i := range good {
		assert.Equal(t, 1, seen["t"+strconv.Itoa(i)], "t%d: once in the output", i)
	}
	for id := range badTexts {
		assert.Equal(t, 1, seen[id], "%s: once in the dead letter", id)
	}
	require.Len(t, seen, len(good)+len(badTexts), "no ID beside the inputs'")
	require.Len(t, vectors, len(good))

	ref, err := testenv.Open(t, openEngine).EmbedBatch(t.Context(), "", good)
	require.NoError(t, err)
	require.NoError(t, ref.Err())
	for _, v := range vectors {
		i, err := strconv.Atoi(v.ID[1:])
		require.NoError(t, err, v.ID)
		assertSameVector(t, ref.Vectors[i], v.Vector, v.ID)
	}
}

// assertSameVector compares a pipeline vector with the library's. Not
// byte for byte: the engine packs the texts of the bundles it is given at
// the same time into shared decodes, and llama.cpp's CPU kernels sum in an
// order that depends on the shape of the batch, so the same text's vector
// differs in its last bits from one batch composition to another (the
// library alone, 10,000 texts in one EmbedBatch against 256 at a time:
// 891,583 of 1,280,000 floats differ, by at most 9.8e-5). The bounds are
// ten times that and a cosine of 0.9999; the vectors of two different
// texts of the test are farther apart (sampled: cosine at most 0.98,
// largest difference at least 0.05), so a vector under the wrong ID fails.
func assertSameVector(t *testing.T, want, got []float32, id string) {
	t.Helper()
	require.Len(t, got, len(want), id)
	worst := 0.0
	for d := range want {
		worst = max(worst, float64(abs32(want[d]-got[d])))
	}
	assert.LessOrEqual(t, worst, 1e-3, "%s: largest difference from the library's vector", id)
	assert.GreaterOrEqual(t, testenv.CosineOf(want, got), 0.9999, "%s: cosine with the library's vector", id)
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
