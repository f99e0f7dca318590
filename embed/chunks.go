package embed

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
	Vector          []float32
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

// EmbedChunks splits each document into chunks of co.Size tokens that
// overlap by co.Overlap tokens, cut preferably at paragraph, then
// sentence, then line ends, and returns a vector per chunk with the
// chunk's exact byte offsets. Options apply as in [Engine.EmbedBatch]
// (a prompt is put in front of every chunk; truncation never applies, as
// chunks fit by construction). A document that cannot be chunked or
// embedded fails alone, in Errors: a document of white space only (or of
// characters without tokens) with [ErrEmptyInput], one with a character
// longer than Size tokens with [ErrInvalidChunking]. White space between
// words belongs to the chunks around it; only where it fits in no chunk
// beside a word (a run of white space tokens longer than Size) is it in
// no chunk. When ctx is done, EmbedChunks stops chunking and evaluating
// and returns ctx's error.
func (e *Engine) EmbedChunks(ctx context.Context, name string, docs []string, co ChunkOptions, opts ...Option) (*ChunkResult, error) {
	if len(docs) == 0 {
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
	prompt, err := m.promptText(o)
	if err != nil {
		return nil, err
	}
	if err := m.checkChunkSize(co, prompt, o); err != nil {
		return nil, err
	}
	res := &ChunkResult{Errors: make([]error, len(docs))}
	splits, err := m.split(ctx, docs, co, res)
	if err != nil {
		return nil, err
	}
	if co.Late {
		err = e.lateChunks(ctx, m, docs, splits, prompt, opts, res)
	} else {
		err = e.plainChunks(ctx, m, docs, splits, opts, res)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// split chunks every document that passes the text checks, setting
// res.Errors for the others. Only ctx's error is returned.
func (m *model) split(ctx context.Context, docs []string, co ChunkOptions, res *ChunkResult) ([]*chunk.Result, error) {
	tok := func(s string) ([]int32, error) {
		t, err := m.vocab.Tokenize(s, false, false)
		return t, m.libErr(err)
	}
	splits := make([]*chunk.Result, len(docs))
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := checkText(d); err != nil {
			res.Errors[i] = &InputError{Index: i, Err: err}
			continue
		}
		s, err := chunk.Split(ctx, d, tok, co.Size, co.Overlap)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, chunk.ErrTooLong):
			res.Errors[i] = &InputError{Index: i, Err: fmt.Errorf("%w: chunk size %d: %w", ErrInvalidChunking, co.Size, err)}
		case err != nil:
			res.Errors[i] = &InputError{Index: i, Err: err}
		case len(s.Windows) == 0:
			// Only characters without a token (U+200B, a BOM).
			res.Errors[i] = &InputError{Index: i, Err: ErrEmptyInput}
		default:
			splits[i] = s
		}
	}
	return splits, nil
}

// checkChunkSize checks that a chunk with its prompt and special tokens
// fits the context and the call's WithMaxTokens. The sizes are compared
// by subtraction: Size may be any int, up to math.MaxInt.
func (m *model) checkChunkSize(co ChunkOptions, prompt string, o callOptions) error {
	if co.Size < 1 || co.Overlap < 0 || co.Overlap >= co.Size {
		return fmt.Errorf("%w: chunk size %d, overlap %d (want 0 <= overlap < size)", ErrInvalidChunking, co.Size, co.Overlap)
	}
	if co.Late {
		return nil // the whole document must fit, checked per document
	}
	p, err := m.vocab.Tokenize(prompt, false, false)
	if err != nil {
		return m.libErr(err)
	}
	specials := 0
	for _, add := range []bool{m.info.AddBOS, m.info.AddEOS, m.info.AddSEP} {
		if add {
			specials++
		}
	}
	limit, what := m.cfg.ContextSize, "the context"
	if o.maxTokens > 0 && o.maxTokens < limit {
		limit, what = o.maxTokens, "the call's token limit"
	}
	if extra := len(p) + specials; co.Size > limit-extra {
		return fmt.Errorf("%w: chunks of %d tokens with %d of prompt and special tokens exceed %s of %d",
			ErrInvalidChunking, co.Size, extra, what, limit)
	}
	return nil
}

// plainChunks embeds every chunk's text on its own, all in one call.
func (e *Engine) plainChunks(ctx context.Context, m *model, docs []string, splits []*chunk.Result, opts []Option, res *ChunkResult) error {
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
	r, err := e.EmbedBatch(ctx, m.name, texts, opts...)
	if err != nil {
		return err
	}
	for k, c := range at {
		if err := r.Errors[k]; err != nil && res.Errors[c.Doc] == nil {
			res.Errors[c.Doc] = rebase(err, c.Doc, fmt.Sprintf("chunk %d", c.Index))
		}
		c.Vector = r.Vectors[k]
		at[k] = c
	}
	for _, c := range at {
		if res.Errors[c.Doc] == nil {
			res.Chunks = append(res.Chunks, c)
		}
	}
	return nil
}

// lateChunks encodes each document whole and pools each window's tokens.
func (e *Engine) lateChunks(ctx context.Context, m *model, docs []string, splits []*chunk.Result, prompt string, opts []Option, res *ChunkResult) error {
	o, _ := m.callOptions(opts)
	raw := append(slices.Clip(opts), WithNormalization(NormalizeNone), WithDimensions(0))
	for i, s := range splits {
		if s == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.Additive {
			res.Errors[i] = &InputError{Index: i, Err: ErrNotAdditive}
			continue
		}
		if len(s.Tokens) == 0 {
			// Only characters without a content token (U+200B, a BOM):
			// no window has a row to pool, as plain embedding refuses it.
			res.Errors[i] = &InputError{Index: i, Err: ErrEmptyInput}
			continue
		}
		seq, first, err := m.lateSequence(docs[i], prompt, s.Tokens)
		if err != nil {
			ie := &InputError{Index: i, Err: err}
			if errors.Is(err, ErrTooLong) {
				ie.Tokens, ie.Limit = len(seq), m.cfg.ContextSize
			}
			res.Errors[i] = ie
			continue
		}
		c, err := e.prepare(ctx, m.name, make([]string, 1), [][]int32{seq}, raw)
		if err != nil {
			return err
		}
		vecs, err := e.perToken(ctx, c)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				return err
			}
			res.Errors[i] = rebase(err, i, "")
			continue
		}
		for k, w := range s.Windows {
			v := meanRows(vecs, first+w.TokenStart, first+w.TokenStart+len(w.Tokens))
			if v == nil {
				res.Errors[i] = &InputError{Index: i, Err: ErrEmptyInput}
				break
			}
			if v, err = finish(v, o); err != nil {
				res.Errors[i] = &InputError{Index: i, Err: err}
				break
			}
			res.Chunks = append(res.Chunks, Chunk{Doc: i, Index: k, Start: w.Start, End: w.End,
				Tokens: len(w.Tokens), Overlap: w.Overlap, Vector: v})
		}
		if res.Errors[i] != nil {
			res.Chunks = slices.DeleteFunc(res.Chunks, func(c Chunk) bool { return c.Doc == i })
		}
	}
	return nil
}

// lateSequence returns the tokens a document is encoded with for late
// chunking, special tokens and prompt included, and the position of its
// first text token.
func (m *model) lateSequence(doc, prompt string, body []int32) ([]int32, int, error) {
	full, err := m.vocab.Tokenize(doc, true, false)
	if err != nil {
		return nil, 0, m.libErr(err)
	}
	head := -1
	for h := 0; h+len(body) <= len(full); h++ {
		if slices.Equal(full[h:h+len(body)], body) {
			head = h
			break
		}
	}
	if head < 0 {
		return nil, 0, ErrNotAdditive
	}
	p, err := m.vocab.Tokenize(prompt, false, false)
	if err != nil {
		return nil, 0, m.libErr(err)
	}
	seq := make([]int32, 0, len(full)+len(p))
	seq = append(seq, full[:head]...)
	seq = append(seq, p...)
	seq = append(seq, full[head:]...)
	if len(seq) > m.cfg.ContextSize {
		return seq, 0, ErrTooLong
	}
	return seq, head + len(p), nil
}

// rebase returns the *InputError err (of a call made for a document)
// for document i, its counts kept, its cause prefixed with what.
func rebase(err error, i int, what string) error {
	ie := &InputError{Index: i, Err: err}
	var in *InputError
	if errors.As(err, &in) {
		ie.Tokens, ie.Limit, ie.Err = in.Tokens, in.Limit, in.Err
	}
	if what != "" {
		ie.Err = fmt.Errorf("%s: %w", what, ie.Err)
	}
	return ie
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
