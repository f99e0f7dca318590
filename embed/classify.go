package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/embellama/embellama/internal/gguf"
)

// ErrNotClassifier: [Model.Classify] was called on a model without rank
// pooling (an embedding model): it has no classification head. Load a
// sequence classifier (or a reranker) GGUF.
var ErrNotClassifier = errors.New("embed: not a classifier")

// ErrInvalidPair: an input of [Model.Classify] is neither one text nor a
// pair of two. Give one or two texts per input.
var ErrInvalidPair = errors.New("embed: an input is one text or a pair of two")

// ModelKind tells what a model is for: [KindEmbedding] makes vectors,
// [KindReranker] scores query-document pairs, [KindClassifier] labels a
// text (or a pair of texts), and [KindNone] declares no pooling (a
// language model, embedded with a pooling chosen for it). It is a
// property of the model file, read once at load (see [ModelInfo.Kind])
// by the same rule embellama models applies to files.
type ModelKind string

// The kinds of model.
const (
	KindEmbedding  ModelKind = gguf.KindEmbedding
	KindReranker   ModelKind = gguf.KindReranker
	KindClassifier ModelKind = gguf.KindClassifier
	KindNone       ModelKind = gguf.KindNone
)

// ClassScore is the score of one class of an input.
type ClassScore struct {
	// Label is the class's label (llama_model_cls_label), or its index
	// in decimal when the model has none, as llama-embedding prints it.
	Label string
	// Score is the class probability: the softmax over the outputs when
	// the model has more than one (so that the scores sum to 1), the
	// sigmoid of the single logit otherwise — what text-embeddings-
	// inference's /predict returns. The GGUF does not keep a model's
	// problem_type (llama.cpp's converter drops it), so a multi-label
	// model also gets the softmax: use Raw and a sigmoid for those. For
	// Qwen3 rank heads the graph already applies the softmax: Score is
	// the output as it is.
	Score float64
	// Raw is the class output as llama.cpp's graph leaves it (the logit).
	Raw float64
}

// ClassifyItem is the outcome of one input of [Model.Classify].
type ClassifyItem struct {
	// Index is the input's position in the call.
	Index int
	// Classes holds one score per class, in the model's output order.
	Classes []ClassScore
	// Tokens is the length of the evaluated input; Truncated reports an
	// input cut to fit the context.
	Tokens    int
	Truncated bool
	// Err is nil or an [*InputError] for this input.
	Err error
}

// Sorted returns the classes best first (equal scores keep model order).
func (it ClassifyItem) Sorted() []ClassScore {
	out := append([]ClassScore(nil), it.Classes...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// ClassifyResult is the outcome of [Model.Classify], input by input.
type ClassifyResult struct {
	Items []ClassifyItem
}

// Err returns the inputs' errors joined, or nil.
func (r *ClassifyResult) Err() error {
	return joinItemErrors(r.Items, func(it ClassifyItem) error { return it.Err })
}

// classify is [Model.Classify].
func (l *loaded) classify(ctx context.Context, inputs [][]string, opts []Option) (*ClassifyResult, error) {
	o, err := l.options(opClassify, opts, len(inputs))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &ClassifyResult{Items: make([]ClassifyItem, len(inputs))}
	limit := l.limit(o)
	out, err := l.run(ctx, spec{o: o, n: len(inputs), kind: kindOf(poolingRank, false), limit: limit,
		tokenize: func(i int) ([]int32, bool, error) { return l.classInput(ctx, inputs[i], o.truncate, limit) },
		post: func(i int, v []float32, _ [][]float32) (err error) {
			r.Items[i].Classes, err = l.classes(v)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	for i := range r.Items {
		it := &r.Items[i]
		it.Index, it.Tokens, it.Truncated, it.Err = i, out.tokens[i], out.cut[i], out.errs[i]
		if it.Err != nil {
			it.Classes = nil
		}
	}
	return r, nil
}

// classInput tokenizes one input of Classify: a text as an embedding
// input (special tokens around it), a pair as Rerank lays a query and a
// document out (the second text is the one cut by truncation).
func (l *loaded) classInput(ctx context.Context, texts []string, trunc Truncation, limit int) ([]int32, bool, error) {
	switch len(texts) {
	case 1:
		return l.tokenize("", texts[0], trunc, limit)
	case 2:
		if err := checkText(texts[0]); err != nil {
			return nil, false, fmt.Errorf("first text: %w", err)
		}
		p, err := l.pairer(ctx, texts[0])
		if err != nil {
			var le *InputError
			if !errors.As(err, &le) && errors.Is(err, ErrTooLong) {
				return nil, false, &InputError{Limit: l.cfg.ContextSize, Err: err}
			}
			return nil, false, err
		}
		return pairDoc(p, texts[1], trunc != TruncateNone)
	}
	return nil, false, fmt.Errorf("%w: %d texts", ErrInvalidPair, len(texts))
}

// classes turns the rank head's outputs into labelled class scores.
func (l *loaded) classes(out []float32) ([]ClassScore, error) {
	if len(out) == 0 || !finite(out) {
		return nil, ErrNonFinite
	}
	cs := make([]ClassScore, len(out))
	mx := math.Inf(-1)
	for _, v := range out {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range out {
		sum += math.Exp(float64(v) - mx)
	}
	for i, v := range out {
		c := &cs[i]
		c.Raw = float64(v)
		c.Label = strconv.Itoa(i)
		if i < len(l.ret.labels) && l.ret.labels[i] != "" {
			c.Label = l.ret.labels[i]
		}
		switch {
		case l.ret.softmax:
			c.Score = c.Raw
		case len(out) == 1:
			c.Score = 1 / (1 + math.Exp(-c.Raw))
		default:
			c.Score = math.Exp(c.Raw-mx) / sum
		}
	}
	return cs, nil
}

// readClasses takes the classification head's size and labels from
// llama.cpp itself (llama_model_n_cls_out, llama_model_cls_label), which
// sizes the scores it leaves, over what the GGUF reader found; a library
// without those functions (llama.MissingOptional) keeps the GGUF's.
func (r *retrieval) readClasses(outputs func() (int, bool), label func(int) (string, bool)) {
	n, ok := outputs()
	if !r.rank || !ok || n < 1 {
		return
	}
	r.outputs, r.labels = n, nil
	for i := range n {
		s, ok := label(i)
		if !ok {
			r.labels = nil // no label for every output: none
			return
		}
		r.labels = append(r.labels, s)
	}
}

// Classify labels each input with a sequence classifier (a model with
// rank pooling: see [ModelKind]): an input is one text, embedded with its
// special tokens as [Model.EmbedBatch] does, or a pair of two, laid out
// as [Model.Rerank] lays out a query and a document (for natural-language
// inference and other pair classifiers). Each item holds every class's
// label, probability and raw output (see [ClassScore]); a reranker gives
// its one class. Inputs are packed into decodes like embeddings. An input
// longer than the context follows the truncation option (a pair's second
// text is cut); without truncation it fails alone with [ErrTooLong]. A bad
// input (empty, invalid UTF-8, neither one text nor two:
// [ErrInvalidPair]) fails alone. Only WithTruncation, WithProgress,
// WithMaxInputs, WithMaxTokens and WithMaxTotalTokens apply; any other
// option is [ErrInvalidOption].
//
// The error is for the call: [ErrNotClassifier] (an embedding model),
// [ErrNoInput], [ErrInvalidOption], [ErrTooManyInputs], or the errors of
// [Model.EmbedBatch].
func (h *Model) Classify(ctx context.Context, inputs [][]string, opts ...Option) (*ClassifyResult, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.classify(ctx, inputs, opts)
}
