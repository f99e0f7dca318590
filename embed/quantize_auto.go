package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/embellama/embellama/internal/corpus"
	"github.com/embellama/embellama/internal/outfile"
	"github.com/embellama/embellama/platform"
)

// AutoType is the QuantizeOptions.Type that measures, on this machine and
// this model, which format to write: see [Engine.QuantizeAuto].
const AutoType = "auto"

// AutoMinCosine is the bound of "near-exact": the format auto picks gives
// every reference text a vector whose cosine to the F32 model's is at
// least this.
const AutoMinCosine = 0.999

// autoRounds is how many alternating timing rounds auto runs.
const autoRounds = 3

// ErrAutoNone: no candidate format of auto kept the cosine bound (the F32
// file always does, so this means every candidate failed to convert or
// load); the error carries why.
var ErrAutoNone = errors.New("embed: quantize auto: no format kept the cosine bound")

// AutoCandidate is what [Engine.QuantizeAuto] measured of one format.
type AutoCandidate struct {
	// Type is the format, as QuantizeOptions.Type spells it.
	Type string
	// MinCosine is the smallest cosine between a reference text's vector
	// from this format and from the F32 model.
	MinCosine float64
	// TextsPerSecond is the median over the timing rounds; 0 when the
	// format was not timed (it missed the bound or failed).
	TextsPerSecond float64
	// Size is the file size in bytes.
	Size int64
	// Err says why the format was left out, when it failed to convert or
	// load.
	Err error
}

// Kept reports whether c met the bound and was timed.
func (c AutoCandidate) Kept(bound float64) bool {
	return c.Err == nil && c.MinCosine >= bound && c.TextsPerSecond > 0
}

// AutoReport is the outcome of [Engine.QuantizeAuto].
type AutoReport struct {
	// Chosen is the format written to the output.
	Chosen string
	// Bound is the cosine bound, [AutoMinCosine].
	Bound float64
	// Candidates are the formats tried, in the order tried; the last is
	// always "f32", the reference.
	Candidates []AutoCandidate
	// Texts is how many reference texts were compared and timed.
	Texts int
}

// chooseAuto returns the index of the fastest candidate that kept bound,
// the smaller file on a tie, and false when none did.
func chooseAuto(cands []AutoCandidate, bound float64) (int, bool) {
	best := -1
	for i, c := range cands {
		if !c.Kept(bound) {
			continue
		}
		if best < 0 || c.TextsPerSecond > cands[best].TextsPerSecond ||
			(c.TextsPerSecond == cands[best].TextsPerSecond && c.Size < cands[best].Size) {
			best = i
		}
	}
	return best, best >= 0
}

// autoTexts are the reference texts of auto: 24 short and 4 long texts of
// the deterministic benchmark corpus, so both attention lengths count. (A
// model with a context under about 500 tokens sees the long ones cut to
// it: they are a measurement, not a user's input.)
func autoTexts() []string {
	return append(corpus.Generate(corpus.Short, 24, 7), corpus.Generate(corpus.Long, 4, 7)...)
}

// QuantizeAuto writes in to out in the format that embeds fastest on this
// machine among those whose vectors stay near-exact on this model. It
// converts in to F32 (the reference) and to each candidate format that
// platform.AutoCandidates lists for this CPU (formats measured fastest on
// its class, docs/performance.md), all in a temporary directory beside
// out; embeds the reference texts with each and drops those whose
// smallest cosine to F32 is below [AutoMinCosine]; times the rest in
// alternating rounds (each loaded alone); and keeps the fastest. F32
// always meets the bound, so there is always a choice. Cosines depend on
// the model's weights and speed on the CPU, so both are measured rather
// than assumed. opts.Type is ignored; the other options apply as in
// [Engine.Quantize]. It takes about a minute for a bge-base-sized model on
// two cores.
func (e *Engine) QuantizeAuto(ctx context.Context, in, out string, opts QuantizeOptions) (AutoReport, error) {
	rep := AutoReport{Bound: AutoMinCosine}
	if opts.Threads < 0 {
		return rep, fmt.Errorf("%w: Threads %d is negative", ErrInvalidOption, opts.Threads)
	}
	e.mu.RLock()
	closed := e.closed
	e.mu.RUnlock()
	if closed {
		return rep, ErrClosed
	}
	if err := checkQuantizeInput(in, opts.Requantize); err != nil {
		return rep, err
	}
	if err := checkQuantizeOutput(in, out, opts.Overwrite); err != nil {
		return rep, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(out), ".embellama-auto-*")
	if err != nil {
		return rep, fmt.Errorf("%w: %w", ErrQuantize, err)
	}
	defer os.RemoveAll(dir)
	convert := func(typ string) (string, error) {
		i := slices.IndexFunc(quantTypes, func(q quantType) bool { return q.name == typ })
		if i < 0 {
			return "", fmt.Errorf("%w: %q", ErrQuantizeType, typ)
		}
		p := filepath.Join(dir, typ+".gguf")
		return p, quantize(ctx, in, p, quantTypes[i], opts.Threads, opts.Requantize)
	}
	ref, err := convert("f32")
	if err != nil {
		return rep, err
	}
	texts := autoTexts()
	rep.Texts = len(texts)
	want, err := e.autoEmbed(ctx, "auto-f32", ref, texts)
	if err != nil {
		return rep, err
	}
	paths := map[string]string{"f32": ref}
	for _, typ := range append(platform.AutoCandidates(e.lib.SystemInfo()), "f32") {
		if slices.ContainsFunc(rep.Candidates, func(c AutoCandidate) bool { return c.Type == typ }) {
			continue
		}
		c := AutoCandidate{Type: typ, MinCosine: 1}
		if typ != "f32" {
			c = e.autoCheck(ctx, convert, typ, texts, want)
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			paths[typ] = filepath.Join(dir, typ+".gguf")
		}
		if fi, err := os.Stat(paths[typ]); err == nil {
			c.Size = fi.Size()
		}
		rep.Candidates = append(rep.Candidates, c)
	}
	if err := e.autoTime(ctx, rep.Candidates, paths, texts); err != nil {
		return rep, err
	}
	best, ok := chooseAuto(rep.Candidates, rep.Bound)
	if !ok {
		return rep, fmt.Errorf("%w: %v", ErrAutoNone, rep.Candidates)
	}
	rep.Chosen = rep.Candidates[best].Type
	if err := outfile.Replace(paths[rep.Chosen], out); err != nil {
		if errors.Is(err, outfile.ErrNotRegularFile) {
			return rep, notRegularOutput(err)
		}
		return rep, fmt.Errorf("%w: %w", ErrQuantize, err)
	}
	return rep, nil
}

// autoCheck converts in to typ and measures its smallest cosine to want.
func (e *Engine) autoCheck(ctx context.Context, convert func(string) (string, error), typ string, texts []string, want [][]float32) AutoCandidate {
	c := AutoCandidate{Type: typ}
	p, err := convert(typ)
	if err != nil {
		c.Err = err
		return c
	}
	got, err := e.autoEmbed(ctx, "auto-"+typ, p, texts)
	if err != nil {
		c.Err = err
		return c
	}
	c.MinCosine = math.Inf(1)
	for i := range want {
		c.MinCosine = min(c.MinCosine, Cosine(want[i], got[i]))
	}
	return c
}

// autoTime times the candidates that kept the bound, each loaded alone,
// in autoRounds alternating rounds, and sets their median texts/s.
func (e *Engine) autoTime(ctx context.Context, cands []AutoCandidate, paths map[string]string, texts []string) error {
	rates := make([][]float64, len(cands))
	for range autoRounds {
		for i, c := range cands {
			if c.Err != nil || c.MinCosine < AutoMinCosine {
				continue
			}
			_, took, err := e.autoEmbedTimed(ctx, "auto-"+c.Type, paths[c.Type], texts)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				cands[i].Err = err
				continue
			}
			rates[i] = append(rates[i], float64(len(texts))/took.Seconds())
		}
	}
	for i := range cands {
		if cands[i].Err == nil && len(rates[i]) > 0 {
			sort.Float64s(rates[i])
			cands[i].TextsPerSecond = rates[i][len(rates[i])/2]
		}
	}
	return nil
}

// autoEmbed loads path under name, embeds texts and unloads it.
func (e *Engine) autoEmbed(ctx context.Context, name, path string, texts []string) ([][]float32, error) {
	v, _, err := e.autoEmbedTimed(ctx, name, path, texts)
	return v, err
}

// autoEmbedTimed is autoEmbed, also returning how long the embedding
// took after a warm-up decode (loading excluded).
func (e *Engine) autoEmbedTimed(ctx context.Context, name, path string, texts []string) ([][]float32, time.Duration, error) {
	if err := e.LoadModel(ctx, name, ModelConfig{ModelPath: path}); err != nil {
		return nil, 0, err
	}
	defer e.UnloadModel(name)
	if err := e.Warmup(ctx, name); err != nil {
		return nil, 0, err
	}
	start := time.Now()
	res, err := e.EmbedBatch(ctx, name, texts, WithTruncation(TruncateEnd))
	took := time.Since(start)
	if err != nil {
		return nil, 0, err
	}
	for _, err := range res.Errors {
		if err != nil {
			return nil, 0, err
		}
	}
	return res.Vectors, took, nil
}
