package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/embellama/embellama/internal/pair"
)

// ErrNotReranker: [Engine.Rerank] was called on a model without rank
// pooling (an embedding model). Load a reranker (a cross-encoder GGUF,
// or Qwen3-Reranker).
var ErrNotReranker = errors.New("embed: not a reranker")

// RerankItem is the score of one document.
type RerankItem struct {
	// Index is the document's position in the call.
	Index int
	// Score is the relevance a user of the model family expects, in
	// [0, 1]: for a cross-encoder with one logit (BERT, XLM-R: bge-reranker,
	// ms-marco MiniLM) the sigmoid of the logit, as sentence-transformers'
	// CrossEncoder and text-embeddings-inference report it; for
	// Qwen3-Reranker the probability of "yes", which llama.cpp's graph
	// already computes with a softmax (no sigmoid on top); for other
	// multi-output heads the softmax's first output.
	Score float64
	// Raw is llama.cpp's score (what its server's /rerank returns): the
	// first classifier output as the graph leaves it.
	Raw float64
	// Tokens is the length of the evaluated pair; Truncated reports a
	// document cut to fit the context.
	Tokens    int
	Truncated bool
	// Err is nil or an [*InputError] for this document.
	Err error
}

// RerankResult is the outcome of [Engine.Rerank], document by document.
type RerankResult struct {
	// Items holds one entry per document, in input order.
	Items []RerankItem
}

// Err returns the documents' errors joined, or nil.
func (r *RerankResult) Err() error {
	return joinItemErrors(r.Items, func(it RerankItem) error { return it.Err })
}

// Sorted returns the documents that were scored, best first (equal scores
// keep input order), at most topN of them (all when topN <= 0).
func (r *RerankResult) Sorted(topN int) []RerankItem {
	var out []RerankItem
	for _, it := range r.Items {
		if it.Err == nil {
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	if topN > 0 && topN < len(out) {
		out = out[:topN]
	}
	return out
}

// rerank is [Model.Rerank].
func (l *loaded) rerank(ctx context.Context, query string, docs []string, opts []Option) (*RerankResult, error) {
	o, err := l.options(opRerank, opts, len(docs))
	if err != nil {
		return nil, err
	}
	if err := checkText(query); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.pairer(ctx, query)
	if err != nil {
		return nil, err
	}
	r := &RerankResult{Items: make([]RerankItem, len(docs))}
	truncate := o.truncate != TruncateNone
	out, err := l.run(ctx, spec{o: o, n: len(docs), kind: kindOf(poolingRank, false), limit: l.cfg.ContextSize,
		tokenize: func(i int) ([]int32, bool, error) { return pairDoc(p, docs[i], truncate) },
		post: func(i int, v []float32, _ [][]float32) (err error) {
			it := &r.Items[i]
			it.Raw, it.Score, err = l.ret.score(v)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	for i := range r.Items {
		it := &r.Items[i]
		it.Index, it.Tokens, it.Truncated, it.Err = i, out.tokens[i], out.cut[i], out.errs[i]
	}
	return r, nil
}

// pairer tokenizes the query of a call once, for all its documents; a
// query too long without any document is [ErrTooLong] with its count.
// Its tokenizer checks ctx first, so that a cancelled call stops within
// the tokenization in flight, even in the middle of a document's cut.
func (l *loaded) pairer(ctx context.Context, query string) (*pair.Pairer, error) {
	tok := func(s string, special bool) ([]int32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := l.vocab.Tokenize(s, false, special)
		return t, l.libErr(err)
	}
	v := l.vocab
	s := pair.Specials{BOS: v.BOS(), EOS: v.EOS(), SEP: v.SEP(), AddBOS: l.info.AddBOS, AddEOS: l.info.AddEOS, AddSEP: l.info.AddSEP}
	p, err := pair.NewPairer(tok, s, l.template, query, l.cfg.ContextSize)
	var le *pair.LengthError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%w: query: %d tokens without a document, limit %d", ErrTooLong, le.Tokens, le.Limit)
	}
	return p, err
}

// findTemplateSpecials cuts the rerank template, if any, at the special
// tokens its own text spells, so that pairs parse special tokens there
// only, never in the query or a document (pair.Template.WithSpecials).
func (l *loaded) findTemplateSpecials() error {
	if l.ret.template == nil {
		return nil
	}
	tok := func(s string, special bool) ([]int32, error) {
		t, err := l.vocab.Tokenize(s, false, special)
		return t, l.libErr(err)
	}
	piece := func(id int32) (string, error) { return l.detokenize([]int32{id}, true) }
	t, err := l.ret.template.WithSpecials(tok, piece)
	l.template = t
	return err
}

// pairDoc lays out a document with the query: its tokens, whether the
// document was cut, or its error (a pair too long is an *InputError with
// the pair's count and the limit).
func pairDoc(p *pair.Pairer, doc string, truncate bool) ([]int32, bool, error) {
	if err := checkText(doc); err != nil {
		return nil, false, err
	}
	t, cut, err := p.Pair(doc, truncate)
	var le *pair.LengthError
	if errors.As(err, &le) {
		return nil, false, &InputError{Tokens: le.Tokens, Limit: le.Limit, Err: ErrTooLong}
	}
	return t, cut, err
}

// score turns the classifier outputs of a pair into llama.cpp's score and
// the family's relevance score (see RerankItem.Score).
func (r *retrieval) score(out []float32) (raw, score float64, err error) {
	if len(out) == 0 || !finite(out) {
		return 0, 0, ErrNonFinite
	}
	raw = float64(out[0])
	switch {
	case r.softmax:
		score = raw
	case len(out) == 1:
		score = 1 / (1 + math.Exp(-raw))
	default:
		mx := float64(out[0])
		for _, v := range out {
			mx = math.Max(mx, float64(v))
		}
		var sum float64
		for _, v := range out {
			sum += math.Exp(float64(v) - mx)
		}
		score = math.Exp(raw-mx) / sum
	}
	return raw, score, nil
}

// joinItemErrors joins the errors of a result's per-input items, or nil.
func joinItemErrors[I any](items []I, errOf func(I) error) error {
	var errs []error
	for _, it := range items {
		errs = append(errs, errOf(it))
	}
	return errors.Join(errs...)
}
