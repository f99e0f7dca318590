package embed

import (
	"errors"
	"fmt"

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

// WithPrompt puts the model's prompt called name in front of each text
// (for example PromptQuery: "query: " for e5, "search_query: " for
// nomic-embed). Token counts, the context limit and truncation apply to
// the text with its prompt, and truncation never cuts into the prompt.
// The empty name applies no prompt, not even Config.DefaultPrompt.
// Prompts do not apply to token inputs ([Engine.EmbedBatchTokens]).
func WithPrompt(name string) Option {
	return func(o *callOptions) { o.prompt, o.given = name, o.given|optPrompt }
}

// promptText returns the text of the prompt called name, "" for none.
func (l *loaded) promptText(name string) (string, error) {
	if name == "" {
		return "", nil
	}
	p, ok := l.ret.prompts[name]
	switch {
	case ok:
		return p.Text, nil
	case name == PromptQuery || name == PromptDocument:
		return "", nil
	}
	return "", fmt.Errorf("%w: %q (the model has %v)", ErrUnknownPrompt, name, l.ret.prompts.Names())
}
