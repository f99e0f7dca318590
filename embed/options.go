package embed

import "fmt"

// Option adjusts one call of [Engine.Embed], [Engine.EmbedBatch] or
// [Engine.EmbedTokens]; without options a call uses the model's Config.
type Option func(*callOptions)

type callOptions struct {
	pooling    Pooling
	normalize  Normalization
	dimensions int
	truncate   Truncation
	progress   func(done, total int)
	maxInputs  int          // 0: no limit
	maxTokens  int          // per input; 0: the context size
	maxTotal   int          // all inputs together; 0: no limit
	prompt     promptChoice // prompt.go
}

// WithPooling pools with p instead of the model's configured pooling.
func WithPooling(p Pooling) Option { return func(o *callOptions) { o.pooling = p } }

// WithNormalization normalizes with n instead of the configured one.
func WithNormalization(n Normalization) Option { return func(o *callOptions) { o.normalize = n } }

// WithDimensions keeps the first d components of each vector, then
// normalizes again (Matryoshka truncation). d must not exceed the model's
// dimension; 0 keeps them all.
func WithDimensions(d int) Option { return func(o *callOptions) { o.dimensions = d } }

// WithTruncation sets what happens to texts longer than the context.
func WithTruncation(t Truncation) Option { return func(o *callOptions) { o.truncate = t } }

// WithProgress calls f, on the calling goroutine, with the number of texts
// done so far and the total: the counts only grow, and the last call has
// done == total (unless the call fails).
func WithProgress(f func(done, total int)) Option { return func(o *callOptions) { o.progress = f } }

// WithMaxInputs refuses a call of more than n inputs with
// [ErrTooManyInputs] before any input is tokenized; 0 is no limit.
func WithMaxInputs(n int) Option { return func(o *callOptions) { o.maxInputs = n } }

// WithMaxTokens lowers the most tokens one input may have, special tokens
// included, from the context size to n for this call: a longer input
// fails alone with [ErrTooLong] (its [InputError.Limit] is n), or is
// truncated to n when truncation is on. It is checked after tokenizing
// and before anything is queued. 0 leaves the context size.
func WithMaxTokens(n int) Option { return func(o *callOptions) { o.maxTokens = n } }

// WithMaxTotalTokens refuses a call whose inputs together have more than
// n tokens (as they would be evaluated) with [ErrTooManyTokens], after
// tokenizing and before anything is queued; 0 is no limit.
func WithMaxTotalTokens(n int) Option { return func(o *callOptions) { o.maxTotal = n } }

func (m *model) callOptions(opts []Option) (callOptions, error) {
	o := callOptions{pooling: m.pooling, normalize: m.cfg.Normalize, truncate: m.cfg.Truncate, prompt: promptChoice{name: m.cfg.DefaultPrompt}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.pooling == PoolingDefault {
		o.pooling = m.pooling
	}
	if o.pooling == poolingRank {
		return o, fmt.Errorf("%w: %s is a reranker (rank pooling): score pairs with Rerank, or give a pooling to embed with it",
			ErrNotEmbeddingModel, m.name) // the name, not the path: server errors name no files
	}
	switch {
	case !o.pooling.valid():
		return o, fmt.Errorf("%w: pooling %v", ErrInvalidOption, o.pooling)
	case o.normalize.check() != nil:
		return o, fmt.Errorf("%w: normalization: %v", ErrInvalidOption, o.normalize.check())
	case o.dimensions < 0 || o.dimensions > m.info.Dim:
		return o, fmt.Errorf("%w: dimensions %d (model has %d)", ErrInvalidOption, o.dimensions, m.info.Dim)
	case !o.truncate.valid():
		return o, fmt.Errorf("%w: truncation %v", ErrInvalidOption, o.truncate)
	case o.maxInputs < 0 || o.maxTokens < 0 || o.maxTotal < 0:
		return o, fmt.Errorf("%w: negative limit (inputs %d, tokens %d, total %d)", ErrInvalidOption, o.maxInputs, o.maxTokens, o.maxTotal)
	}
	return o, nil
}
