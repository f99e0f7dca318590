package embed

import (
	"context"
	"errors"
)

// Model is a handle on a model of an [Engine], by name: every call looks
// the name up, so a handle stays valid across an unload and a load under
// the same name, and fails with [ErrUnknownModel] in between. The zero
// name is the engine's only model (or the one named DefaultModelName).
// A Model is safe for concurrent use.
type Model struct {
	e    *Engine
	name string
}

// Model returns the handle of the named model ("" for the only one). It
// does not check that the model is loaded: its calls do. Every call of
// the engine that names a model is the same call on its handle.
func (e *Engine) Model(name string) *Model { return &Model{e: e, name: name} }

// resolve looks the handle's model up, once per call: a call runs
// entirely on the model it found, even if the name is reloaded meanwhile.
func (h *Model) resolve() (*loaded, error) { return h.e.lookup(h.name) }

// Name returns the name the handle was made with.
func (h *Model) Name() string { return h.name }

// Info describes the model.
func (h *Model) Info() (ModelInfo, error) {
	l, err := h.resolve()
	if err != nil {
		return ModelInfo{}, err
	}
	return l.info, nil
}

// Stats reports the model's queue and batch counters.
func (h *Model) Stats() (Stats, error) {
	l, err := h.resolve()
	if err != nil {
		return Stats{}, err
	}
	return l.stats(), nil
}

// Tokenize returns the tokens the model evaluates for text, special
// tokens included, without truncation.
func (h *Model) Tokenize(text string) ([]int32, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	toks, _, err := l.tokenize("", text, TruncateNone, l.cfg.ContextSize)
	if errors.Is(err, ErrTooLong) {
		err = nil
	}
	return toks, err
}

// CountTokens returns len(Tokenize(text)).
func (h *Model) CountTokens(text string) (int, error) {
	toks, err := h.Tokenize(text)
	return len(toks), err
}

// Embed returns the vector of one text.
func (h *Model) Embed(ctx context.Context, text string, opts ...Option) ([]float32, error) {
	r, err := h.EmbedBatch(ctx, []string{text}, opts...)
	if err != nil {
		return nil, err
	}
	if r.Errors[0] != nil {
		return nil, r.Errors[0]
	}
	return r.Vectors[0], nil
}

// EmbedBatch embeds texts, packing them into as few decodes as the batch
// budget allows, and returns one result per input in input order. A bad
// input (empty, invalid UTF-8, too long) fails alone, in Result.Errors;
// the returned error is for the call as a whole: an unknown model, a
// closed engine, an invalid option, a limit of the call (WithMaxInputs,
// WithMaxTotalTokens), a full queue, or ctx's error when it is canceled
// (the call returns at once; the engine keeps working).
func (h *Model) EmbedBatch(ctx context.Context, texts []string, opts ...Option) (*Result, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.embedBatch(ctx, texts, nil, opts)
}

// EmbedBatchTokens embeds inputs given as token ids, exactly as given: no
// special tokens are added. Ids outside the vocabulary fail their input
// with [ErrInvalidToken]. Otherwise it behaves as [Model.EmbedBatch]
// (vectors of token inputs are not cached).
func (h *Model) EmbedBatchTokens(ctx context.Context, inputs [][]int32, opts ...Option) (*Result, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.embedBatch(ctx, nil, inputs, opts)
}

// EmbedTokens returns one vector per token of text (pooling none), for
// late-interaction retrieval or custom pooling. Normalization and
// dimensions options apply to each token's vector; WithPooling is
// [ErrInvalidOption] (the vectors are not pooled).
func (h *Model) EmbedTokens(ctx context.Context, text string, opts ...Option) ([][]float32, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.embedTokens(ctx, text, opts)
}

// Warmup evaluates a short text so that llama.cpp allocates its buffers
// and the first real call is not slower.
func (h *Model) Warmup(ctx context.Context) error {
	_, err := h.Embed(ctx, "warmup")
	return err
}
