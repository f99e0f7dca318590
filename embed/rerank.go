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
// does: the GGUF's rerank template when it has one (its markers filled in
// one pass: the texts are never read as template), otherwise
// BOS query EOS SEP document EOS as the vocabulary adds them. Pairs are
// packed into decodes like embeddings. A pair longer than the context
// follows the truncation option (WithTruncation, Config.Truncate): the end
// of the document is cut, never the query; without truncation it fails
// alone with [ErrTooLong] and its token count. An empty or
// whitespace-only document fails alone with [ErrEmptyInput]. Only
// WithTruncation, WithProgress and WithMaxInputs apply; any other option
// is [ErrInvalidOption].
//
// The query is tokenized once per call, and the documents are tokenized
// with the context checked between them: a cancelled call returns ctx's
// error promptly.
//
// The error is for the call: [ErrNotReranker], [ErrNoInput],
// [ErrInvalidOption], [ErrTooManyInputs], a query that is invalid or
// alone too long ([ErrTooLong]), or the errors of [Engine.EmbedBatch].
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
	o, err := m.rerankOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.maxInputs > 0 && len(docs) > o.maxInputs {
		return nil, fmt.Errorf("%w: %d documents, limit %d", ErrTooManyInputs, len(docs), o.maxInputs)
	}
	if err := checkText(query); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := m.pairer(ctx, query)
	if err != nil {
		return nil, err
	}
	r := &RerankResult{Items: make([]RerankItem, len(docs))}
	inputs, err := m.pairs(ctx, p, docs, o.truncate != TruncateNone, r)
	if err != nil {
		return nil, err
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

// rerankOptions applies opts to the model's defaults and refuses those
// Rerank cannot apply (silently ignored, they would read as applied).
func (m *model) rerankOptions(opts []Option) (callOptions, error) {
	o := callOptions{truncate: m.cfg.Truncate}
	for _, opt := range opts {
		opt(&o)
	}
	var bad []string
	for _, c := range []struct {
		set  bool
		name string
	}{
		{o.pooling != PoolingDefault, "pooling"},
		{o.normalize != (Normalization{}), "normalization"},
		{o.dimensions != 0, "dimensions"},
		{o.maxTokens != 0, "max tokens"},
		{o.maxTotal != 0, "max total tokens"},
		{o.prompt.set || o.prompt.name != "", "prompt"},
	} {
		if c.set {
			bad = append(bad, c.name)
		}
	}
	switch {
	case len(bad) > 0:
		return o, fmt.Errorf("%w: Rerank takes no %s option", ErrInvalidOption, strings.Join(bad, ", "))
	case !o.truncate.valid():
		return o, fmt.Errorf("%w: truncation %v", ErrInvalidOption, o.truncate)
	case o.maxInputs < 0:
		return o, fmt.Errorf("%w: negative limit (inputs %d)", ErrInvalidOption, o.maxInputs)
	}
	return o, nil
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

// pairer tokenizes the query of a call once, for all its documents; a
// query too long without any document is [ErrTooLong] with its count.
// Its tokenizer checks ctx first, so that a cancelled call stops within
// the tokenization in flight, even in the middle of a document's cut.
func (m *model) pairer(ctx context.Context, query string) (*pair.Pairer, error) {
	tok := func(s string, special bool) ([]int32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t, err := m.vocab.Tokenize(s, false, special)
		return t, m.libErr(err)
	}
	v := m.vocab
	s := pair.Specials{BOS: v.BOS(), EOS: v.EOS(), SEP: v.SEP(), AddBOS: m.info.AddBOS, AddEOS: m.info.AddEOS, AddSEP: m.info.AddSEP}
	p, err := pair.NewPairer(tok, s, m.ret.template, query, m.cfg.ContextSize)
	var le *pair.LengthError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("%w: query: %d tokens without a document, limit %d", ErrTooLong, le.Tokens, le.Limit)
	}
	return p, err
}

// pairs lays out every document with the query, recording each
// document's count, cut and error in r; it stops with ctx's error when
// the call is cancelled.
func (m *model) pairs(ctx context.Context, p *pair.Pairer, docs []string, truncate bool, r *RerankResult) ([]sched.Input, error) {
	toks := make([][]int32, len(docs))
	err := parallelCtx(ctx, len(docs), func(i int) {
		it := &r.Items[i]
		it.Index = i
		if err := checkText(docs[i]); err != nil {
			it.Err = &InputError{Index: i, Err: err}
			return
		}
		t, cut, err := p.Pair(docs[i], truncate)
		it.Tokens, it.Truncated = len(t), cut
		var le *pair.LengthError
		switch {
		case errors.As(err, &le):
			it.Tokens = le.Tokens
			it.Err = &InputError{Index: i, Tokens: le.Tokens, Limit: le.Limit, Err: ErrTooLong}
		case err != nil:
			it.Err = &InputError{Index: i, Err: err}
		default:
			toks[i] = t
		}
	})
	if err != nil {
		return nil, err
	}
	var inputs []sched.Input
	for i, t := range toks {
		if t != nil {
			inputs = append(inputs, sched.Input{Index: i, Tokens: t})
		}
	}
	return inputs, nil
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
