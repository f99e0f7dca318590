package embed

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/embellama/embellama/internal/prompts"
)

// Standard prompt names: the model's prefixes for search queries and for
// the documents searched.
const (
	PromptQuery    = prompts.Query
	PromptDocument = prompts.Document
)

// ErrUnknownPrompt: a call named a prompt the model does not have (see
// ModelInfo.Prompts). "query" and "document" are never unknown: a model
// without them takes texts as they are.
var ErrUnknownPrompt = errors.New("embed: unknown prompt")

// promptChoice is the prompt a call selected.
type promptChoice struct {
	name string
	set  bool // WithPrompt was given (its name may be "", no prompt)
}

// WithPrompt puts the model's prompt called name in front of each text
// (for example PromptQuery: "query: " for e5, "search_query: " for
// nomic-embed). Token counts, the context limit and truncation apply to
// the text with its prompt, and truncation never cuts into the prompt.
// The empty name applies no prompt, not even Config.DefaultPrompt.
// Prompts do not apply to token inputs ([Engine.EmbedBatchTokens]).
func WithPrompt(name string) Option {
	return func(o *callOptions) { o.prompt = promptChoice{name: name, set: true} }
}

// promptText returns the text of the call's prompt, "" for none.
func (m *model) promptText(o callOptions) (string, error) {
	name := o.prompt.name
	if name == "" {
		return "", nil
	}
	p, ok := m.ret.prompts[name]
	switch {
	case ok:
		return p.Text, nil
	case name == PromptQuery || name == PromptDocument:
		return "", nil
	}
	return "", fmt.Errorf("%w: %q (the model has %v)", ErrUnknownPrompt, name, m.ret.prompts.Names())
}

// EmbedQuery embeds a search query with the model's query prompt.
func (e *Engine) EmbedQuery(ctx context.Context, name, query string, opts ...Option) ([]float32, error) {
	return e.Embed(ctx, name, query, append(opts, WithPrompt(PromptQuery))...)
}

// EmbedDocuments embeds documents with the model's document prompt.
func (e *Engine) EmbedDocuments(ctx context.Context, name string, docs []string, opts ...Option) (*Result, error) {
	return e.EmbedBatch(ctx, name, docs, append(opts, WithPrompt(PromptDocument))...)
}

// tokenizePrompted tokenizes prompt+text within the context size. When
// the whole is too long and truncation is on, the text's tokens are cut
// and the prompt's kept whole, with the special tokens around both.
func (m *model) tokenizePrompted(prompt, text string, trunc Truncation, limit int) ([]int32, bool, error) {
	if prompt == "" {
		return m.tokenize(text, trunc, limit)
	}
	if _, _, err := m.tokenize(text, TruncateNone, limit); err != nil && !errors.Is(err, ErrTooLong) {
		return nil, false, err // the text's own faults: empty, bad UTF-8, NUL
	}
	full := prompt + text
	toks, _, err := m.tokenize(full, TruncateNone, limit)
	if !errors.Is(err, ErrTooLong) || trunc == TruncateNone {
		return toks, false, err
	}
	// toks = specials before, body, specials after.
	body, err := m.vocab.Tokenize(full, false, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	p, err := m.vocab.Tokenize(prompt, false, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	head := -1
	for h := 0; h+len(body) <= len(toks); h++ {
		if slices.Equal(toks[h:h+len(body)], body) {
			head = h
			break
		}
	}
	specials := len(toks) - len(body)
	if head < 0 || specials < 0 {
		head = 0
		if m.info.AddBOS && specials > 0 {
			head = 1
		}
	}
	rest := body[min(len(p), len(body)):]
	if !slices.Equal(body[:min(len(p), len(body))], p) {
		// The prompt's tokens change with what follows it: lay the
		// prompt and the text side by side.
		if rest, err = m.vocab.Tokenize(text, false, false); err != nil {
			return nil, false, m.libErr(err)
		}
	}
	keep := limit - specials - len(p)
	if keep < 1 || keep >= len(rest) {
		return toks, false, ErrTooLong
	}
	kept := rest[:keep]
	if trunc == TruncateStart {
		kept = rest[len(rest)-keep:]
	}
	out := make([]int32, 0, limit)
	out = append(out, toks[:head]...)
	out = append(out, p...)
	out = append(out, kept...)
	out = append(out, toks[min(head+len(body), len(toks)):]...)
	return out, true, nil
}
