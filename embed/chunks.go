package embed

import (
	"context"
	"errors"
	"fmt"

	"github.com/embellama/embellama/internal/chunk"
)

// ErrNotAdditive: late chunking needs the document's tokens to be its
// chunks' tokens laid end to end, which this tokenizer does not give for
// this text (SentencePiece's space prefix, for one). Use plain chunks. It
// is an [ErrInvalidChunking] (a client's choice of options, never an
// internal error), and comes in the document's [*InputError].
var ErrNotAdditive = fmt.Errorf("%w: late chunking: the tokenizer does not split this text at word boundaries", ErrInvalidChunking)

// ChunkOptions sets how [Engine.EmbedChunks] splits documents.
type ChunkOptions struct {
	// Size is the most tokens of document text per chunk (the prompt
	// and special tokens come on top and must fit the context with it).
	Size int
	// Overlap is the most tokens a chunk shares with the one before it:
	// the next chunk starts at the earliest word boundary that leaves at
	// most Overlap tokens shared (exactly Overlap where the words there
	// are single tokens), or later where the next word would not fit
	// beside the shared text. Less than Size. No chunk lies inside
	// another.
	Overlap int
	// Late selects late chunking: each document is encoded whole, once,
	// and each chunk's vector is the mean of the per-token vectors of its
	// window, so every chunk has seen the whole document. The document
	// (with its prompt and special tokens) must fit the context.
	Late bool
}

// Chunk is one chunk of a document and its vector.
type Chunk struct {
	// Doc is the document's index in the call; Index the chunk's within
	// the document.
	Doc, Index int
	// Start and End are byte offsets: the chunk's text is doc[Start:End].
	Start, End int
	// Tokens is the chunk's token count (its text's, without prompt and
	// special tokens); Overlap the tokens it shares with the chunk before.
	Tokens, Overlap int
	// Evaluated is the tokens evaluated for the chunk, prompt and special
	// tokens included, as [Result.Tokens] counts them: a plain chunk's
	// sequence. A late call evaluates each document's sequence once: its
	// length is the document's first chunk's Evaluated, and 0 the
	// others', so that the chunks of a call sum to what it evaluated.
	Evaluated int
	Vector    []float32
}

// ChunkResult is the outcome of [Engine.EmbedChunks].
type ChunkResult struct {
	// Chunks holds every chunk of every document that succeeded, by
	// document, then by position in it.
	Chunks []Chunk
	// Errors holds nil or an [*InputError] per document.
	Errors []error
}

// Err returns the documents' errors joined, or nil.
func (r *ChunkResult) Err() error { return errors.Join(r.Errors...) }

// embedChunks is [Model.EmbedChunks].
func (l *loaded) embedChunks(ctx context.Context, docs []string, co ChunkOptions, opts []Option) (*ChunkResult, error) {
	p := opChunks
	if co.Late {
		p = opLateChunk
	}
	o, err := l.options(p, opts, len(docs))
	if err != nil {
		return nil, err
	}
	o.truncate = TruncateNone // chunks fit by construction
	prompt, err := l.promptText(o.prompt)
	if err != nil {
		return nil, err
	}
	if err := l.checkChunkSize(co, prompt, o); err != nil {
		return nil, err
	}
	res := &ChunkResult{Errors: make([]error, len(docs))}
	splits, err := l.split(ctx, docs, co, o.maxInputs, res)
	if err != nil {
		return nil, err
	}
	if co.Late {
		err = l.lateChunks(ctx, o, prompt, docs, splits, res)
	} else {
		err = l.plainChunks(ctx, o, docs, splits, res)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// split chunks every document that passes the text checks, setting
// res.Errors for the others. The chunks of all documents together are at
// most maxChunks (when positive, WithMaxInputs): each document is split
// with what the ones before it left, and the split stops as soon as it
// would make one more, so a refused call costs at most maxChunks
// windows. Only ctx's error and that [ErrTooManyInputs] are returned.
func (l *loaded) split(ctx context.Context, docs []string, co ChunkOptions, maxChunks int, res *ChunkResult) ([]*chunk.Result, error) {
	tok := func(s string) ([]int32, error) {
		t, err := l.vocab.Tokenize(s, false, false)
		return t, l.libErr(err)
	}
	splits := make([]*chunk.Result, len(docs))
	left := maxChunks
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := checkText(d); err != nil {
			res.Errors[i] = &InputError{Index: i, Err: err}
			continue
		}
		s, err := chunk.SplitWith(ctx, d, tok, chunk.Options{Size: co.Size, Overlap: co.Overlap, MaxWindows: left})
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, chunk.ErrTooManyWindows):
			return nil, fmt.Errorf("%w: document %d makes more than %d chunks (at most %d per call, documents together): "+
				"raise the chunk size or lower the overlap", ErrTooManyInputs, i, left, maxChunks)
		case errors.Is(err, chunk.ErrTooLong):
			res.Errors[i] = &InputError{Index: i, Err: fmt.Errorf("%w: chunk size %d: %w", ErrInvalidChunking, co.Size, err)}
		case err != nil:
			res.Errors[i] = &InputError{Index: i, Err: err}
		case len(s.Windows) == 0:
			// Only characters without a token (U+200B, a BOM).
			res.Errors[i] = &InputError{Index: i, Err: ErrEmptyInput}
		default:
			splits[i] = s
			if maxChunks > 0 {
				left -= len(s.Windows) // >= 1: a split over left stops with an error
			}
		}
	}
	return splits, nil
}

// checkChunkSize checks that a chunk with its prompt and special tokens
// fits the context and the call's WithMaxTokens. The sizes are compared
// by subtraction: Size may be any int, up to math.MaxInt.
func (l *loaded) checkChunkSize(co ChunkOptions, prompt string, o callOptions) error {
	if co.Size < 1 || co.Overlap < 0 || co.Overlap >= co.Size {
		return fmt.Errorf("%w: chunk size %d, overlap %d (want 0 <= overlap < size)", ErrInvalidChunking, co.Size, co.Overlap)
	}
	if co.Late {
		return nil // the whole document must fit, checked per document
	}
	p, err := l.vocab.Tokenize(prompt, false, false)
	if err != nil {
		return l.libErr(err)
	}
	limit, what := l.limit(o), "the context"
	if limit < l.cfg.ContextSize {
		what = "the call's token limit"
	}
	if extra := len(p) + l.specials; co.Size > limit-extra {
		return fmt.Errorf("%w: chunks of %d tokens with %d of prompt and special tokens exceed %s of %d",
			ErrInvalidChunking, co.Size, extra, what, limit)
	}
	return nil
}

// plainChunks embeds every chunk's text on its own, all in one call.
func (l *loaded) plainChunks(ctx context.Context, o callOptions, docs []string, splits []*chunk.Result, res *ChunkResult) error {
	var texts []string
	var at []Chunk
	for i, s := range splits {
		if s == nil {
			continue
		}
		for k, w := range s.Windows {
			texts = append(texts, docs[i][w.Start:w.End])
			at = append(at, Chunk{Doc: i, Index: k, Start: w.Start, End: w.End, Tokens: len(w.Tokens), Overlap: w.Overlap})
		}
	}
	if len(texts) == 0 {
		return nil
	}
	r, err := l.pooled(ctx, o, texts, nil)
	if err != nil {
		return err
	}
	for k, c := range at {
		if err := r.Errors[k]; err != nil && res.Errors[c.Doc] == nil {
			res.Errors[c.Doc] = rebase(err, c.Doc, fmt.Sprintf("chunk %d", c.Index))
		}
		c.Vector, c.Evaluated = r.Vectors[k], r.Tokens[k]
		at[k] = c
	}
	for _, c := range at {
		if res.Errors[c.Doc] == nil {
			res.Chunks = append(res.Chunks, c)
		}
	}
	return nil
}

// lateChunks encodes each document whole, all of them in one call, and
// pools each window's tokens.
func (l *loaded) lateChunks(ctx context.Context, o callOptions, prompt string, docs []string, splits []*chunk.Result, res *ChunkResult) error {
	p, err := l.vocab.Tokenize(prompt, false, false)
	if err != nil {
		return l.libErr(err)
	}
	first := make([]int, len(docs)) // where each document's text starts in its sequence
	chunks := make([][]Chunk, len(docs))
	limit := l.limit(o)
	out, err := l.run(ctx, spec{o: o, n: len(docs), kind: kindOf(l.pooling, true), limit: limit,
		tokenize: func(i int) (seq []int32, _ bool, err error) {
			s := splits[i]
			switch {
			case s == nil:
				return nil, false, res.Errors[i]
			case !s.Additive:
				return nil, false, ErrNotAdditive
			case len(s.Tokens) == 0:
				// Only characters without a content token (U+200B, a BOM):
				// no window has a row to pool, as plain embedding refuses it.
				return nil, false, ErrEmptyInput
			}
			seq, first[i], err = l.lateSequence(docs[i], p, s.Tokens, limit)
			return seq, false, err
		},
		post: func(i int, _ []float32, rows [][]float32) (err error) {
			chunks[i], err = windows(i, splits[i], rows, first[i], o)
			return err
		},
	})
	if err != nil {
		return err
	}
	for i := range docs {
		if res.Errors[i] = out.errs[i]; res.Errors[i] == nil {
			chunks[i][0].Evaluated = out.tokens[i] // the document's sequence, once
			res.Chunks = append(res.Chunks, chunks[i]...)
		}
	}
	return nil
}

// windows returns the late chunks of document i: the mean of each
// window's rows (the document's text starting at row first), finished.
func windows(i int, s *chunk.Result, rows [][]float32, first int, o callOptions) ([]Chunk, error) {
	out := make([]Chunk, 0, len(s.Windows))
	for k, w := range s.Windows {
		v := meanRows(rows, first+w.TokenStart, first+w.TokenStart+len(w.Tokens))
		if v == nil {
			return nil, ErrEmptyInput
		}
		v, err := finish(v, o)
		if err != nil {
			return nil, err
		}
		out = append(out, Chunk{Doc: i, Index: k, Start: w.Start, End: w.End, Tokens: len(w.Tokens), Overlap: w.Overlap, Vector: v})
	}
	return out, nil
}

// lateSequence returns the tokens a document is encoded with for late
// chunking, special tokens and prompt (its tokens p) included, and the
// position of its first text token; body is the document's tokens
// without special tokens. Longer than limit, it is [ErrTooLong].
func (l *loaded) lateSequence(doc string, p, body []int32, limit int) ([]int32, int, error) {
	full, err := l.vocab.Tokenize(doc, true, false)
	if err != nil {
		return nil, 0, l.libErr(err)
	}
	head := indexOf(full, body)
	if head < 0 {
		return nil, 0, ErrNotAdditive
	}
	seq := make([]int32, 0, len(full)+len(p))
	seq = append(seq, full[:head]...)
	seq = append(seq, p...)
	seq = append(seq, full[head:]...)
	if len(seq) > limit {
		return seq, 0, ErrTooLong
	}
	return seq, head + len(p), nil
}

// meanRows returns the mean of rows [a, b), or nil when the range holds
// no row.
func meanRows(rows [][]float32, a, b int) []float32 {
	if a < 0 || b > len(rows) || a >= b {
		return nil
	}
	dim := len(rows[a])
	out := make([]float32, dim)
	sum := make([]float64, dim)
	for r := a; r < b; r++ {
		for c, v := range rows[r] {
			sum[c] += float64(v)
		}
	}
	for c := range out {
		out[c] = float32(sum[c] / float64(b-a))
	}
	return out
}
