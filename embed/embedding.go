package embed

import (
	"context"
	"errors"
	"fmt"
)

// Result is the outcome of [Model.EmbedBatch], input by input.
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

// embedBatch is [Model.EmbedBatch], or [Model.EmbedBatchTokens] when ids
// is not nil.
func (l *loaded) embedBatch(ctx context.Context, texts []string, ids [][]int32, opts []Option) (*Result, error) {
	o, err := l.options(opEmbed, opts, max(len(texts), len(ids)))
	if err != nil {
		return nil, err
	}
	return l.pooled(ctx, o, texts, ids)
}

// pooled embeds texts (or the token inputs ids, when not nil), a pooled
// vector each: the spec of EmbedBatch and of plain chunks. A text
// repeated in the call is evaluated once, and cached texts not at all.
func (l *loaded) pooled(ctx context.Context, o callOptions, texts []string, ids [][]int32) (*Result, error) {
	n := max(len(texts), len(ids))
	prompt, err := l.promptText(o.prompt)
	if err != nil {
		return nil, err
	}
	r := &Result{Vectors: make([][]float32, n)}
	key, limit := cacheOptions(o), l.limit(o)
	s := spec{o: o, n: n, kind: kindOf(o.pooling, false), limit: limit,
		tokenize: func(i int) ([]int32, bool, error) {
			if ids != nil {
				return l.checkTokens(ids[i], o.truncate, limit)
			}
			return l.tokenize(prompt, texts[i], o.truncate, limit)
		},
		post: func(i int, v []float32, _ [][]float32) error {
			v, err := finish(v, o)
			if err != nil {
				return err
			}
			if ids == nil {
				l.cache.put(cacheKey{l.id, key, texts[i]}, v)
			}
			r.Vectors[i] = v
			return nil
		},
	}
	var copies [][2]int // {index, index of its first occurrence}
	if ids == nil {
		first := make(map[string]int, n)
		s.reuse = func(i int) bool {
			if j, ok := first[texts[i]]; ok {
				copies = append(copies, [2]int{i, j})
				return true
			}
			first[texts[i]] = i
			v, ok := l.cache.get(cacheKey{l.id, key, texts[i]})
			if ok {
				r.Vectors[i] = v
				r.CacheHits++
			}
			return ok
		}
	}
	out, err := l.run(ctx, s)
	if err != nil {
		return nil, err
	}
	r.Errors, r.Tokens, r.Truncated = out.errs, out.tokens, out.cut
	for _, cp := range copies {
		if r.Errors[cp[1]] != nil {
			r.Errors[cp[0]] = &InputError{Index: cp[0], Tokens: r.Tokens[cp[0]], Err: errors.Unwrap(r.Errors[cp[1]])}
		} else if v := r.Vectors[cp[1]]; v != nil {
			r.Vectors[cp[0]] = append([]float32(nil), v...)
		}
	}
	return r, nil
}

// embedTokens is [Model.EmbedTokens]: one text, a vector per token.
func (l *loaded) embedTokens(ctx context.Context, text string, opts []Option) ([][]float32, error) {
	o, err := l.options(opPerToken, opts, 1)
	if err != nil {
		return nil, err
	}
	prompt, err := l.promptText(o.prompt)
	if err != nil {
		return nil, err
	}
	var vecs [][]float32
	limit := l.limit(o)
	out, err := l.run(ctx, spec{o: o, n: 1, kind: kindOf(l.pooling, true), limit: limit,
		tokenize: func(int) ([]int32, bool, error) { return l.tokenize(prompt, text, o.truncate, limit) },
		post: func(_ int, _ []float32, rows [][]float32) error {
			for i, v := range rows {
				v, err := finish(v, o)
				if err != nil {
					return err
				}
				rows[i] = v
			}
			vecs = rows
			return nil
		},
	})
	switch {
	case err != nil:
		return nil, err
	case out.errs[0] != nil:
		return nil, out.errs[0]
	}
	return vecs, nil
}

func cacheOptions(o callOptions) string {
	return fmt.Sprintf("%v/%v/%d/%v/%d/%q", o.pooling, o.normalize, o.dimensions, o.truncate, o.maxTokens, o.prompt)
}
