package embed

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/embellama/embellama/llama"
)

// tokenize returns the tokens of text within limit (the context size, or
// less), applying truncation, and whether it truncated.
func (m *model) tokenize(text string, trunc Truncation, limit int) ([]int32, bool, error) {
	switch {
	case !utf8.ValidString(text):
		return nil, false, ErrInvalidUTF8
	case strings.IndexByte(text, 0) >= 0:
		return nil, false, ErrNULByte
	case strings.TrimSpace(text) == "":
		return nil, false, ErrEmptyInput
	}
	toks, err := m.vocab.Tokenize(text, true, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	if len(toks) <= m.specialCount() { // only characters the tokenizer drops, such as U+200B
		return nil, false, ErrEmptyInput
	}
	if len(toks) <= limit {
		return toks, false, nil
	}
	if trunc == TruncateNone {
		return toks, false, ErrTooLong
	}
	// Cut the text's own tokens, keeping the special tokens around them:
	// toks = toks[:head] + body + toks[head+len(body):].
	body, err := m.vocab.Tokenize(text, false, false)
	if err != nil {
		return nil, false, m.libErr(err)
	}
	specials := len(toks) - len(body)
	head := -1
	for h := 0; h <= specials && specials >= 0; h++ {
		if slices.Equal(toks[h:h+len(body)], body) {
			head = h
			break
		}
	}
	if head < 0 || specials >= limit {
		return toks, false, ErrTooLong
	}
	keep := limit - specials
	kept := body[:keep]
	if trunc == TruncateStart {
		kept = body[len(body)-keep:]
	}
	out := make([]int32, 0, limit)
	out = append(out, toks[:head]...)
	out = append(out, kept...)
	out = append(out, toks[head+len(body):]...)
	return out, true, nil
}

// checkTokens validates token ids given by the caller, applying
// truncation to limit by plain slicing (no special tokens are involved).
func (m *model) checkTokens(ids []int32, trunc Truncation, limit int) ([]int32, bool, error) {
	if len(ids) == 0 {
		return nil, false, ErrEmptyInput
	}
	for _, id := range ids {
		if id < 0 || int(id) >= m.info.VocabSize {
			return nil, false, fmt.Errorf("%w: %d (vocabulary of %d)", ErrInvalidToken, id, m.info.VocabSize)
		}
	}
	switch {
	case len(ids) <= limit:
		return ids, false, nil
	case trunc == TruncateEnd:
		return ids[:limit:limit], true, nil
	case trunc == TruncateStart:
		return ids[len(ids)-limit:], true, nil
	}
	return ids, false, ErrTooLong
}

func (m *model) libErr(err error) error {
	if errors.Is(err, llama.ErrClosed) {
		return ErrModelUnloaded
	}
	return err
}
