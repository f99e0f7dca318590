package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/embellama/embellama/embed/internal/sched"
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
	var errs []error
	for _, it := range r.Items {
		errs = append(errs, it.Err)
	}
	return errors.Join(errs...)
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

// Rerank scores how relevant each document is to query with a reranker
// (a model with rank pooling). The pair is laid out as llama.cpp's server
// does: the GGUF's rerank template when it has one, otherwise
// BOS query EOS SEP document EOS as the vocabulary adds them. Pairs are
// packed into decodes like embeddings. A pair longer than the context
// follows the truncation option (WithTruncation, Config.Truncate): the end
// of the document is cut, never the query; without truncation it fails
// alone with [ErrTooLong]. Only WithTruncation and WithProgress apply.
//
// The error is for the call: [ErrNotReranker], [ErrNoInput], a query that
// is invalid or alone too long ([ErrTooLong]), or the errors of
// [Engine.EmbedBatch].
func (e *Engine) Rerank(ctx context.Context, name, query string, docs []string, opts ...Option) (*RerankResult, error) {
	if len(docs) == 0 {
		return nil, ErrNoInput
	}
	m, err := e.model(name)
	if err != nil {
		return nil, err
	}
	if !m.ret.rank {
		return nil, fmt.Errorf("%w: %q declares %s pooling", ErrNotReranker, m.name, m.info.DeclaredPooling)
	}
	o := callOptions{truncate: m.cfg.Truncate}
	for _, opt := range opts {
		opt(&o)
	}
	if !o.truncate.valid() {
		return nil, fmt.Errorf("%w: truncation %v", ErrInvalidOption, o.truncate)
	}
	if err := checkText(query); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &RerankResult{Items: make([]RerankItem, len(docs))}
	var inputs []sched.Input
	for i, d := range docs {
		it := &r.Items[i]
		it.Index = i
		toks, cut, err := m.pairTokens(query, d, o.truncate != TruncateNone)
		it.Tokens, it.Truncated = len(toks), cut
		switch {
		case errors.Is(err, pair.ErrQueryTooLong):
			return nil, fmt.Errorf("%w: query: %w", ErrTooLong, err)
		case err != nil:
			it.Err = &InputError{Index: i, Err: err}
			if errors.Is(err, ErrTooLong) {
				it.Err = &InputError{Index: i, Tokens: len(toks), Limit: m.cfg.ContextSize, Err: ErrTooLong}
			}
			continue
		}
		inputs = append(inputs, sched.Input{Index: i, Tokens: toks})
	}
	j := sched.NewJob(kindOf(poolingRank, false), len(docs), inputs)
	if err := run(ctx, m, j, len(docs)-len(inputs), len(docs), o.progress); err != nil {
		return nil, err
	}
	for _, in := range inputs {
		ri := &r.Items[in.Index]
		if err := j.Errs[in.Index]; err != nil {
			ri.Err = &InputError{Index: in.Index, Tokens: len(in.Tokens), Err: err}
			continue
		}
		ri.Raw, ri.Score, err = m.ret.score(j.Pooled[in.Index])
		if err != nil {
			ri.Err = &InputError{Index: in.Index, Tokens: len(in.Tokens), Err: err}
		}
	}
	return r, nil
}

// checkText refuses what no tokenization should see.
func checkText(s string) error {
	switch {
	case !utf8.ValidString(s):
		return ErrInvalidUTF8
	case strings.IndexByte(s, 0) >= 0:
		return ErrNULByte
	case strings.TrimSpace(s) == "":
		return ErrEmptyInput
	}
	return nil
}

// pairTokens lays out one query-document pair within the context.
func (m *model) pairTokens(query, doc string, truncate bool) ([]int32, bool, error) {
	switch {
	case !utf8.ValidString(doc):
		return nil, false, ErrInvalidUTF8
	case strings.IndexByte(doc, 0) >= 0:
		return nil, false, ErrNULByte
	}
	tok := func(s string, special bool) ([]int32, error) {
		t, err := m.vocab.Tokenize(s, false, special)
		return t, m.libErr(err)
	}
	v := m.vocab
	s := pair.Specials{BOS: v.BOS(), EOS: v.EOS(), SEP: v.SEP(), AddBOS: m.info.AddBOS, AddEOS: m.info.AddEOS, AddSEP: m.info.AddSEP}
	toks, cut, err := pair.Build(tok, s, m.ret.template, query, doc, m.cfg.ContextSize, truncate)
	if errors.Is(err, pair.ErrTooLong) {
		err = ErrTooLong
	}
	return toks, cut, err
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
