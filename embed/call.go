package embed

import (
	"context"
	"errors"
	"fmt"

	"github.com/embellama/embellama/embed/internal/sched"
)

// Result is the outcome of [Engine.EmbedBatch], input by input.
type Result struct {
	// Vectors holds one vector per input, in input order; nil where the
	// input failed.
	Vectors [][]float32
	// Errors holds nil or an [*InputError] per input.
	Errors []error
	// Tokens is the number of tokens evaluated per input.
	Tokens []int
	// Truncated reports the inputs that were cut to fit the context.
	Truncated []bool
	// CacheHits counts the inputs served from the cache.
	CacheHits int
}

// Err returns the inputs' errors joined, or nil when all succeeded.
func (r *Result) Err() error { return errors.Join(r.Errors...) }

// call is one call's inputs, tokenized and checked against its limits.
type call struct {
	m     *model
	o     callOptions
	texts []string  // the texts; "" for token inputs
	ids   [][]int32 // the token inputs, or nil
	toks  [][]int32 // what is evaluated per input; nil where it failed
	r     *Result
}

// prepare checks the call's options and limits, and tokenizes its inputs
// (texts, or the token inputs ids when not nil): everything a call is
// refused for is found here, before anything is queued.
func (e *Engine) prepare(ctx context.Context, name string, texts []string, ids [][]int32, opts []Option) (*call, error) {
	if len(texts) == 0 {
		return nil, ErrNoInput
	}
	m, err := e.model(name)
	if err != nil {
		return nil, err
	}
	o, err := m.callOptions(opts)
	if err != nil {
		return nil, err
	}
	n := len(texts)
	if o.maxInputs > 0 && n > o.maxInputs {
		return nil, fmt.Errorf("%w: %d inputs, limit %d", ErrTooManyInputs, n, o.maxInputs)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &call{m: m, o: o, texts: texts, ids: ids, toks: make([][]int32, n),
		r: &Result{Vectors: make([][]float32, n), Errors: make([]error, n), Tokens: make([]int, n), Truncated: make([]bool, n)}}
	limit := m.cfg.ContextSize
	if o.maxTokens > 0 {
		limit = min(limit, o.maxTokens)
	}
	prompt, err := m.promptText(o)
	if err != nil {
		return nil, err
	}
	err = parallelCtx(ctx, n, func(i int) {
		var t []int32
		var cut bool
		var err error
		if ids != nil {
			t, cut, err = m.checkTokens(ids[i], o.truncate, limit)
		} else {
			t, cut, err = m.tokenizePrompted(prompt, texts[i], o.truncate, limit)
		}
		c.r.Tokens[i], c.r.Truncated[i] = len(t), cut
		if err != nil {
			ie := &InputError{Index: i, Tokens: len(t), Err: err}
			if errors.Is(err, ErrTooLong) {
				ie.Limit = limit
			}
			c.r.Errors[i] = ie
			return
		}
		c.toks[i] = t
	})
	if err != nil {
		return nil, err
	}
	if o.maxTotal > 0 {
		total := 0
		for _, t := range c.toks {
			total += len(t)
		}
		if total > o.maxTotal {
			return nil, fmt.Errorf("%w: %d tokens, limit %d", ErrTooManyTokens, total, o.maxTotal)
		}
	}
	return c, nil
}

// pooled embeds a prepared call's inputs, one pooled vector each: a text
// repeated in the call is evaluated once, and cached texts not at all.
func (e *Engine) pooled(ctx context.Context, c *call) (*Result, error) {
	m, r, n := c.m, c.r, len(c.toks)
	key := cacheOptions(c.o)
	var first map[string]int
	var copies [][2]int // {index, index of its first occurrence}
	if c.ids == nil {
		first = make(map[string]int, n)
	}
	var inputs []sched.Input
	for i, t := range c.toks {
		if t == nil {
			continue
		}
		if first != nil {
			if j, ok := first[c.texts[i]]; ok {
				copies = append(copies, [2]int{i, j})
				continue
			}
			first[c.texts[i]] = i
			if v, ok := e.cache.get(cacheKey{m.id, key, c.texts[i]}); ok {
				r.Vectors[i] = v
				r.CacheHits++
				continue
			}
		}
		inputs = append(inputs, sched.Input{Index: i, Tokens: t})
	}
	j := sched.NewJob(kindOf(c.o.pooling, false), n, inputs)
	if err := run(ctx, m, j, n-len(inputs), n, c.o.progress); err != nil {
		return nil, err
	}
	parallel(len(inputs), func(k int) {
		i := inputs[k].Index
		v, err := j.Pooled[i], j.Errs[i]
		if err == nil {
			v, err = finish(v, c.o)
		}
		if err != nil {
			r.Errors[i] = &InputError{Index: i, Tokens: len(inputs[k].Tokens), Err: err}
			return
		}
		if c.ids == nil {
			e.cache.put(cacheKey{m.id, key, c.texts[i]}, v)
		}
		r.Vectors[i] = v
	})
	for _, cp := range copies {
		if r.Errors[cp[1]] != nil {
			r.Errors[cp[0]] = &InputError{Index: cp[0], Tokens: r.Tokens[cp[0]], Err: errors.Unwrap(r.Errors[cp[1]])}
		} else if v := r.Vectors[cp[1]]; v != nil {
			r.Vectors[cp[0]] = append([]float32(nil), v...)
		}
	}
	return r, nil
}

// perToken embeds the one text of a prepared call, a vector per token.
func (e *Engine) perToken(ctx context.Context, c *call) ([][]float32, error) {
	if err := c.r.Errors[0]; err != nil {
		return nil, err
	}
	j := sched.NewJob(kindOf(c.o.pooling, true), 1, []sched.Input{{Index: 0, Tokens: c.toks[0]}})
	if err := run(ctx, c.m, j, 0, 1, c.o.progress); err != nil {
		return nil, err
	}
	if err := j.Errs[0]; err != nil {
		return nil, &InputError{Index: 0, Tokens: len(c.toks[0]), Err: err}
	}
	out := j.Tokens[0]
	for i, v := range out {
		v, err := finish(v, c.o)
		if err != nil {
			return nil, &InputError{Index: 0, Tokens: len(c.toks[0]), Err: err}
		}
		out[i] = v
	}
	return out, nil
}

// run queues j on m's scheduler and waits for it, reporting progress
// (already inputs of total were done without it).
func run(ctx context.Context, m *model, j *sched.Job, already, total int, progress func(done, total int)) error {
	var report func(int)
	if progress != nil {
		report = func(d int) { progress(already+d, total) }
		if already == total {
			progress(total, total)
		}
	}
	if err := m.sched.Submit(j); err != nil {
		return schedErr(err)
	}
	return schedErr(m.sched.Wait(ctx, j, report))
}

// finish checks and post-processes a raw vector: finite, cut to the
// requested dimensions, normalized.
func finish(v []float32, o callOptions) ([]float32, error) {
	if !finite(v) {
		return nil, ErrNonFinite
	}
	if o.dimensions > 0 && o.dimensions < len(v) {
		v = v[:o.dimensions:o.dimensions]
	}
	normalize(v, o.normalize)
	return v, nil
}

func cacheOptions(o callOptions) string {
	return fmt.Sprintf("%v/%v/%d/%v/%d/%q", o.pooling, o.normalize, o.dimensions, o.truncate, o.maxTokens, o.prompt.name)
}

// parallelCtx is [parallel] that stops handing out indices once ctx is
// done, and then returns ctx's error: every loop over a call's inputs
// runs through it, so a cancelled call frees its cores after the inputs
// being tokenized, not after all of them.
func parallelCtx(ctx context.Context, n int, f func(i int)) error {
	done := ctx.Done()
	parallel(n, func(i int) {
		select {
		case <-done:
		default:
			f(i)
		}
	})
	return ctx.Err()
}
