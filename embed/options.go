package embed

import (
	"fmt"
	"strings"
)

// Option adjusts one call of an operation ([Model.EmbedBatch],
// [Model.EmbedTokens], [Model.Rerank], [Model.EmbedChunks], ...); without
// options a call uses the model's Config. An option the operation cannot
// apply is refused with [ErrInvalidOption], never ignored.
type Option func(*callOptions)

type callOptions struct {
	given      optionSet // the options the call gave
	pooling    Pooling
	normalize  Normalization
	dimensions int
	truncate   Truncation
	progress   func(done, total int)
	maxInputs  int    // 0: no limit
	maxTokens  int    // per input; 0: the context size
	maxTotal   int    // all inputs together; 0: no limit
	prompt     string // the prompt's name (prompt.go)
}

// optionSet is a set of the With* options, one bit each.
type optionSet uint16

const (
	optPooling optionSet = 1 << iota
	optNormalization
	optDimensions
	optTruncation
	optProgress
	optMaxInputs
	optMaxTokens
	optMaxTotal
	optPrompt

	optAll optionSet = 1<<iota - 1
)

// optionNames names each option in errors, in bit order.
var optionNames = [...]string{"pooling", "normalization", "dimensions", "truncation", "progress",
	"max inputs", "max tokens", "max total tokens", "prompt"}

// names returns the names of the options in s.
func (s optionSet) names() []string {
	var out []string
	for i, n := range optionNames {
		if s&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// WithPooling pools with p instead of the model's configured pooling.
func WithPooling(p Pooling) Option {
	return func(o *callOptions) { o.pooling, o.given = p, o.given|optPooling }
}

// WithNormalization normalizes with n instead of the configured one.
func WithNormalization(n Normalization) Option {
	return func(o *callOptions) { o.normalize, o.given = n, o.given|optNormalization }
}

// WithDimensions keeps the first d components of each vector, then
// normalizes again (Matryoshka truncation). d must not exceed the model's
// dimension; 0 keeps them all.
func WithDimensions(d int) Option {
	return func(o *callOptions) { o.dimensions, o.given = d, o.given|optDimensions }
}

// WithTruncation sets what happens to texts longer than the context.
func WithTruncation(t Truncation) Option {
	return func(o *callOptions) { o.truncate, o.given = t, o.given|optTruncation }
}

// WithProgress calls f, on the calling goroutine, with the number of
// inputs done so far and the total: the counts only grow, and the last
// call has done == total (unless the call fails). The inputs are what the
// call evaluates: texts, pairs, chunks, or late-chunked documents.
func WithProgress(f func(done, total int)) Option {
	return func(o *callOptions) { o.progress, o.given = f, o.given|optProgress }
}

// WithMaxInputs refuses a call of more than n inputs (texts, documents)
// with [ErrTooManyInputs] before any input is tokenized; 0 is no limit.
// For [Model.EmbedChunks] it also bounds the chunks of the call, all
// documents together, refused while chunking.
func WithMaxInputs(n int) Option {
	return func(o *callOptions) { o.maxInputs, o.given = n, o.given|optMaxInputs }
}

// WithMaxTokens lowers the most tokens one input may have, special tokens
// included, from the context size to n for this call: a longer input
// fails alone with [ErrTooLong] (its [InputError.Limit] is n), or is
// truncated to n when truncation is on. It is checked after tokenizing
// and before anything is queued. 0 leaves the context size.
func WithMaxTokens(n int) Option {
	return func(o *callOptions) { o.maxTokens, o.given = n, o.given|optMaxTokens }
}

// WithMaxTotalTokens refuses a call whose inputs together have more than
// n tokens (as they would be evaluated) with [ErrTooManyTokens], before
// anything is queued: tokenizing stops as soon as the inputs done so far
// are over n; 0 is no limit.
func WithMaxTotalTokens(n int) Option {
	return func(o *callOptions) { o.maxTotal, o.given = n, o.given|optMaxTotal }
}

// op is an operation as options see it: its name in errors, the options
// it applies, whether it makes vectors (the vector options are then
// checked against the model), and the error of a model that does not
// rank when it needs one that does (nil: any model).
type op struct {
	name    string
	accepts optionSet
	vectors bool
	ranks   error
}

// The operations. Rerank scores pairs, Classify labels texts or pairs: no vector option applies, nor a
// prompt or a per-input token limit (WithMaxTotalTokens bounds the pairs
// together). Per-token vectors are not pooled.
// Chunks fit by construction: truncation never applies; late chunks are
// means of token vectors, not pooled.
var (
	opEmbed     = op{"EmbedBatch", optAll, true, nil}
	opPerToken  = op{"EmbedTokens", optAll &^ optPooling, true, nil}
	opRerank    = op{"Rerank", optTruncation | optProgress | optMaxInputs | optMaxTotal, false, ErrNotReranker}
	opClassify  = op{"Classify", optTruncation | optProgress | optMaxInputs | optMaxTokens | optMaxTotal, false, ErrNotClassifier}
	opChunks    = op{"EmbedChunks", optAll &^ optTruncation, true, nil}
	opLateChunk = op{"late EmbedChunks", optAll &^ (optTruncation | optPooling), true, nil}
)

// options applies opts to the model's defaults and checks them once,
// against what the operation applies and what the model allows, and the
// call's n inputs against them (checkInputs).
func (l *loaded) options(p op, opts []Option, n int) (callOptions, error) {
	if p.ranks != nil && !l.ret.rank {
		return callOptions{}, fmt.Errorf("%w: %q declares %s pooling", p.ranks, l.name, l.info.DeclaredPooling)
	}
	o := callOptions{pooling: l.pooling, normalize: l.cfg.Normalize, truncate: l.cfg.Truncate, prompt: l.cfg.DefaultPrompt}
	for _, opt := range opts {
		opt(&o)
	}
	if bad := o.given &^ p.accepts; bad != 0 {
		return o, fmt.Errorf("%w: %s takes no %s option", ErrInvalidOption, p.name, strings.Join(bad.names(), ", "))
	}
	if o.pooling == PoolingDefault {
		o.pooling = l.pooling
	}
	if p.vectors && o.pooling == poolingRank {
		return o, fmt.Errorf("%w: %s is a reranker (rank pooling): score pairs with Rerank, or give a pooling to embed with it",
			ErrNotEmbeddingModel, l.name) // the name, not the path: server errors name no files
	}
	switch {
	case !o.pooling.valid() && o.pooling != poolingRank:
		return o, fmt.Errorf("%w: pooling %v", ErrInvalidOption, o.pooling)
	case o.normalize.check() != nil:
		return o, fmt.Errorf("%w: normalization: %v", ErrInvalidOption, o.normalize.check())
	case o.dimensions < 0 || o.dimensions > l.info.Dim:
		return o, fmt.Errorf("%w: dimensions %d (model has %d)", ErrInvalidOption, o.dimensions, l.info.Dim)
	case !o.truncate.valid():
		return o, fmt.Errorf("%w: truncation %v", ErrInvalidOption, o.truncate)
	case o.maxInputs < 0 || o.maxTokens < 0 || o.maxTotal < 0:
		return o, fmt.Errorf("%w: negative limit (inputs %d, tokens %d, total %d)", ErrInvalidOption, o.maxInputs, o.maxTokens, o.maxTotal)
	}
	return o, o.checkInputs(n)
}

// limit is the most tokens one input of the call may have: the context
// size, or less with WithMaxTokens.
func (l *loaded) limit(o callOptions) int {
	if o.maxTokens > 0 {
		return min(l.cfg.ContextSize, o.maxTokens)
	}
	return l.cfg.ContextSize
}

// checkInputs refuses a call of no input, or of more than WithMaxInputs.
func (o callOptions) checkInputs(n int) error {
	switch {
	case n == 0:
		return ErrNoInput
	case o.maxInputs > 0 && n > o.maxInputs:
		return fmt.Errorf("%w: %d inputs, limit %d", ErrTooManyInputs, n, o.maxInputs)
	}
	return nil
}

// checkTotal refuses a call whose sequences, as they would be evaluated,
// exceed WithMaxTotalTokens together.
func (o callOptions) checkTotal(seqs [][]int32) error {
	if o.maxTotal == 0 {
		return nil
	}
	total := 0
	for _, t := range seqs {
		total += len(t)
	}
	if total > o.maxTotal {
		return fmt.Errorf("%w: %d tokens, limit %d", ErrTooManyTokens, total, o.maxTotal)
	}
	return nil
}
