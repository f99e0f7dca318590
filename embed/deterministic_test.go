package embed_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/testenv"
)

// detSetups are the three ways a model is loaded for the determinism
// tests, all with Deterministic on: one context with
// one thread, two contexts sharing two threads (a batch alone gets both,
// side by side one each), and one context with two threads. A text's
// bytes must not depend on which of them evaluates it.
var detSetups = []embed.ModelConfig{
	{Threads: 1, Contexts: 1},
	{Threads: 2, Contexts: 2},
	{Threads: 2, Contexts: 1},
}

// detRounds is how many rounds of concurrent packings each test runs per
// fixture, and detClients the concurrent calls of a round: every round
// starts detClients calls at once, each on a setup and with a packing of
// its own, so detRounds*detClients packings are compared per fixture.
const detClients = 4

// detCorpus returns n texts of 2 to about 300 tokens: the short corpus,
// and every fifth text the concatenation of four, so that packings mix
// lengths as real calls do.
func detCorpus(n int) []string {
	short := corpus.Generate(corpus.Short, 4*n, 7)
	out := make([]string, n)
	for i := range out {
		out[i] = short[i]
		if i%5 == 4 {
			out[i] = strings.Join(short[n+4*i/5:n+4*i/5+4], " ")
		}
	}
	out[0] = "a" // the shortest text: CLS, one token, SEP
	return out
}

// packing returns a random call over n texts: 1 to 2n indices drawn
// with repetition (a text may come twice in one call), in random order.
func packing(rng *rand.Rand, n int) []int {
	idx := make([]int, 1+rng.IntN(2*n))
	for i := range idx {
		idx[i] = rng.IntN(n)
	}
	return idx
}

// loadSetups loads fixture once per detSetups entry, named "s0", "s1"...,
// with the flash attention setting fa.
func loadSetups(t *testing.T, fixture string, fa embed.FlashAttention) (*embed.Engine, []string) {
	t.Helper()
	e := newEngine(t, embed.Config{})
	var names []string
	for i, cfg := range detSetups {
		cfg.ModelPath, cfg.FlashAttention, cfg.Deterministic = testenv.Fixture(t, fixture), fa, embed.DeterminismOn
		name := fmt.Sprintf("s%d", i)
		require.NoError(t, e.LoadModel(context.Background(), name, cfg))
		info, err := e.Model(name).Info()
		require.NoError(t, err)
		require.True(t, info.Deterministic)
		t.Logf("%s: MaxSequences %d, flash attention %v", name, info.MaxSequences, info.FlashAttention)
		names = append(names, name)
	}
	return e, names
}

// Under the race detector, which checks the Go side's
// concurrency and not ggml's sums, the determinism tests run the tiny
// fixtures only, at half their rounds: the larger fixtures take the same
// Go paths (CI time). The plain run compares every fixture and packing.
//
// runRounds runs rounds of detClients concurrent calls; call evaluates
// one packing on one setup and returns what differs from the texts
// evaluated alone ("" when nothing does). Under the race detector, which
// checks the Go side's concurrency and not ggml's sums, half the rounds
// run: the plain test run compares every packing.
func runRounds(rounds int, seed uint64, setups, n int, call func(setup int, idx []int) string) []string {
	if raceEnabled {
		rounds = (rounds + 1) / 2
	}
	var mu sync.Mutex
	var bad []string
	for r := range rounds {
		var wg sync.WaitGroup
		for c := range detClients {
			rng := rand.New(rand.NewPCG(seed, uint64(r*detClients+c)))
			setup, idx := rng.IntN(setups), packing(rng, n)
			wg.Go(func() {
				if msg := call(setup, idx); msg != "" {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("round %d, setup %d, %d texts: %s", r, setup, len(idx), msg))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	return bad
}

// TestDeterministicBytes proves ModelConfig.Deterministic's claim by
// comparing bytes (math.Float32bits of every component), never by a
// tolerance.
//
// Design: each text of a corpus of 24 (lengths 3 to about 300 tokens,
// the shortest a one-word text) is embedded alone, one call per text, on
// the first setup of detSetups: that is the reference. Then rounds of
// detClients concurrent calls run; each call takes a random setup (one
// context and one thread; two contexts sharing two threads; one context
// with two threads) and a random packing (1 to 48 texts drawn with
// repetition, in random order), so that the texts share calls with
// different neighbours, in different positions, while other calls run on
// the same model and on other loads of it, with 1 or 2 threads. Every
// vector of every call must be bit-identical to its text's reference.
// Packings compared: 10 rounds x 4 = 40 calls per fixture on the tiny
// BERT (mean pooling, F32 weights), 6 x 4 = 24 on the MiniLM-L6 shape in
// F16 and in Q8_0 (whose activations ggml quantizes and multiplies by
// repacked or tinyBLAS kernels): 88 calls, about 2,000 vectors.
//
// The same corpus in one call with Deterministic off is not asserted
// (it is what the mode exists to avoid); the test logs how many vectors
// differ from alone, which shows that packing reaches the
// batch-dependent paths: 22 of 24 on each fixture when written, up to
// 7.8e-5 per component (F16) and 2.6e-3 (Q8_0).
func TestDeterministicBytes(t *testing.T) {
	for _, c := range []struct {
		fixture string
		rounds  int
		fa      embed.FlashAttention
	}{
		{"bert-mean-tiny", 10, embed.FlashAttentionAuto},
		{"minilm-l6-f16", 6, embed.FlashAttentionAuto},
		{"minilm-l6-q8_0", 6, embed.FlashAttentionAuto},
		{"minilm-l6-f16", 2, embed.FlashAttentionOff},
	} {
		if raceEnabled && c.fixture != "bert-mean-tiny" {
			continue // under the race detector: see runRounds
		}
		t.Run(c.fixture+"/flash-attention-"+c.fa.String(), func(t *testing.T) {
			ctx := context.Background()
			texts := detCorpus(24)
			e, names := loadSetups(t, c.fixture, c.fa)
			ref := make([][]float32, len(texts))
			for i, text := range texts {
				v, err := e.Model(names[0]).Embed(ctx, text)
				require.NoError(t, err)
				ref[i] = v
			}
			bad := runRounds(c.rounds, 1, len(names), len(texts), func(setup int, idx []int) string {
				in := make([]string, len(idx))
				for k, i := range idx {
					in[k] = texts[i]
				}
				res, err := e.Model(names[setup]).EmbedBatch(ctx, in)
				if err != nil {
					return err.Error()
				}
				for k, i := range idx {
					if d := bitsDiffer(ref[i], res.Vectors[k]); d != "" {
						return fmt.Sprintf("text %d at position %d: %s", i, k, d)
					}
				}
				return ""
			})
			assert.Empty(t, bad, "vectors that moved with their packing")
			logPackedControl(t, e, c.fixture, texts, ref)
		})
	}
}

// logPackedControl embeds texts in one call with Deterministic off and
// logs how many vectors differ from ref, the texts alone.
func logPackedControl(t *testing.T, e *embed.Engine, fixture string, texts []string, ref [][]float32) {
	t.Helper()
	err := e.LoadModel(context.Background(), "packed", embed.ModelConfig{ModelPath: testenv.Fixture(t, fixture), Deterministic: embed.DeterminismOff})
	require.NoError(t, err)
	info, err := e.Model("packed").Info()
	require.NoError(t, err)
	require.False(t, info.Deterministic)
	res, err := e.Model("packed").EmbedBatch(context.Background(), texts)
	require.NoError(t, err)
	moved, worst := 0, 0.0
	for i, v := range res.Vectors {
		if bitsDiffer(ref[i], v) != "" {
			moved++
		}
		for k := range v {
			worst = max(worst, math.Abs(float64(v[k]-ref[i][k])))
		}
	}
	t.Logf("control, Deterministic off, %d texts in one call: %d vectors not bit-identical to alone, max abs difference %.3g", len(texts), moved, worst)
}

// bitsDiffer returns "" when a and b hold the same bits, else the first
// component that differs.
func bitsDiffer(a, b []float32) string {
	if len(a) != len(b) {
		return fmt.Sprintf("lengths %d and %d", len(a), len(b))
	}
	for k := range a {
		if math.Float32bits(a[k]) != math.Float32bits(b[k]) {
			return fmt.Sprintf("component %d: %08x (%g) alone, %08x (%g) packed", k, math.Float32bits(a[k]), a[k], math.Float32bits(b[k]), b[k])
		}
	}
	return ""
}

// TestDeterministicRerankBytes is TestDeterministicBytes for rerankers,
// with their default kernel (flash attention off: ggml's plain attention
// path) and with flash attention on, which moved packed logits
// by up to 0.007 before (embed/retrieval.go). A query's score against
// each of 16 documents, one document per call, is the reference, and
// rounds of detClients concurrent calls
// score random packings of the documents (1 to 32 with repetition) on
// random setups; every score's bits (math.Float64bits of Raw, the
// classifier's output) must equal the reference. Packings compared: 8 x 4
// = 32 calls on the tiny BERT cross-encoder and 4 x 4 = 16 with flash
// attention on, 4 x 4 = 16 on the MiniLM-L6-shaped one: 64 calls.
func TestDeterministicRerankBytes(t *testing.T) {
	for _, c := range []struct {
		fixture string
		rounds  int
		fa      embed.FlashAttention
	}{
		{"bert-rerank-tiny", 8, embed.FlashAttentionAuto},
		{"bert-rerank-tiny", 4, embed.FlashAttentionOn},
		{"minilm-l6-rerank-f16", 4, embed.FlashAttentionAuto},
	} {
		if raceEnabled && c.fixture != "bert-rerank-tiny" {
			continue // under the race detector: see runRounds
		}
		t.Run(c.fixture+"/flash-attention-"+c.fa.String(), func(t *testing.T) {
			ctx := context.Background()
			docs := detCorpus(16)
			const query = "which river runs past the old stone harbor"
			e, names := loadSetups(t, c.fixture, c.fa)
			ref := make([]uint64, len(docs))
			for i, d := range docs {
				res, err := e.Model(names[0]).Rerank(ctx, query, []string{d})
				require.NoError(t, err)
				require.NoError(t, res.Err())
				ref[i] = math.Float64bits(res.Items[0].Raw)
			}
			bad := runRounds(c.rounds, 2, len(names), len(docs), func(setup int, idx []int) string {
				in := make([]string, len(idx))
				for k, i := range idx {
					in[k] = docs[i]
				}
				res, err := e.Model(names[setup]).Rerank(ctx, query, in)
				if err != nil {
					return err.Error()
				}
				for k, i := range idx {
					if got := math.Float64bits(res.Items[k].Raw); got != ref[i] {
						return fmt.Sprintf("document %d at position %d: %v alone, %v packed", i, k,
							math.Float64frombits(ref[i]), res.Items[k].Raw)
					}
				}
				return ""
			})
			assert.Empty(t, bad, "scores that moved with their packing")
		})
	}
}

// TestDeterministicTokens is TestDeterministicBytes for token vectors
// (EmbedTokens, which late chunking and /embed_all use): each text's
// token vectors alone are the reference, then every text is asked for at
// once from as many goroutines, twice, so that the scheduler packs them
// into shared batches, and every token's vector must keep its bits.
func TestDeterministicTokens(t *testing.T) {
	ctx := context.Background()
	texts := detCorpus(16)
	e, names := loadSetups(t, "minilm-l6-f16", embed.FlashAttentionAuto)
	ref := make([][][]float32, len(texts))
	for i, text := range texts {
		v, err := e.Model(names[0]).EmbedTokens(ctx, text)
		require.NoError(t, err)
		ref[i] = v
	}
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make([]string, len(texts))
		for i, text := range texts {
			wg.Go(func() {
				got, err := e.Model(names[(i+round)%len(names)]).EmbedTokens(ctx, text)
				switch {
				case err != nil:
					errs[i] = err.Error()
				case len(got) != len(ref[i]):
					errs[i] = fmt.Sprintf("%d token vectors, %d alone", len(got), len(ref[i]))
				default:
					for k := range got {
						if d := bitsDiffer(ref[i][k], got[k]); d != "" {
							errs[i] = fmt.Sprintf("token %d: %s", k, d)
							break
						}
					}
				}
			})
		}
		wg.Wait()
		for i, msg := range errs {
			assert.Empty(t, msg, "round %d, text %d", round, i)
		}
	}
}
