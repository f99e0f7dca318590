package embed

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/embellama/embellama/llama"
)

// checkText refuses what no tokenization should see: invalid UTF-8, a
// NUL byte, and (checked last, so that a caller may accept it) text of
// white space only, [ErrEmptyInput].
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

// countSpecials returns how many tokens the vocabulary adds around every
// text (BOS, CLS, SEP, EOS...): a text that tokenizes to no more has no
// content token, and is refused like "" with ErrEmptyInput rather than
// embedded as the special tokens alone; a chunk's prompt and special
// tokens must fit the context beside it.
func (l *loaded) countSpecials() (int, error) {
	t, err := l.vocab.Tokenize("", true, false)
	return len(t), err
}

// tokenize returns the tokens of prompt+text, special tokens included,
// within limit (the context size, or less), applying truncation, and
// whether it truncated. The text alone is checked: bad text, or text
// without a content token (only characters the tokenizer drops, such as
// U+200B), is refused whatever the prompt. Truncation cuts the text's
// tokens only: the prompt and the special tokens around both are kept.
func (l *loaded) tokenize(prompt, text string, trunc Truncation, limit int) ([]int32, bool, error) {
	if err := checkText(text); err != nil {
		return nil, false, err
	}
	toks, err := l.vocab.Tokenize(text, true, false)
	if err != nil {
		return nil, false, l.libErr(err)
	}
	if len(toks) <= l.specials {
		return nil, false, ErrEmptyInput
	}
	if prompt != "" {
		if toks, err = l.vocab.Tokenize(prompt+text, true, false); err != nil {
			return nil, false, l.libErr(err)
		}
	}
	switch {
	case len(toks) <= limit:
		return toks, false, nil
	case trunc == TruncateNone:
		return toks, false, ErrTooLong
	}
	out, err := l.truncate(prompt, text, toks, trunc, limit)
	if err != nil {
		return toks, false, err
	}
	return out, true, nil
}

// truncate cuts toks, the tokens of prompt+text with special tokens, to
// limit: toks = specials before, body, specials after, where body is
// prompt+text without special tokens; the text's share of body is cut.
func (l *loaded) truncate(prompt, text string, toks []int32, trunc Truncation, limit int) ([]int32, error) {
	body, err := l.vocab.Tokenize(prompt+text, false, false)
	if err != nil {
		return nil, l.libErr(err)
	}
	var p []int32
	if prompt != "" {
		if p, err = l.vocab.Tokenize(prompt, false, false); err != nil {
			return nil, l.libErr(err)
		}
	}
	rest := body[min(len(p), len(body)):]
	if !slices.Equal(body[:min(len(p), len(body))], p) {
		// The prompt's tokens change with what follows it: lay the
		// prompt and the text side by side.
		if rest, err = l.vocab.Tokenize(text, false, false); err != nil {
			return nil, l.libErr(err)
		}
	}
	head := indexOf(toks, body)
	keep := limit - (len(toks) - len(body)) - len(p)
	if head < 0 || keep < 1 || keep >= len(rest) {
		return nil, ErrTooLong
	}
	kept := rest[:keep]
	if trunc == TruncateStart {
		kept = rest[len(rest)-keep:]
	}
	out := make([]int32, 0, limit)
	out = append(out, toks[:head]...)
	out = append(out, p...)
	out = append(out, kept...)
	out = append(out, toks[head+len(body):]...)
	return out, nil
}

// indexOf returns where body lies in seq (a text's tokens among the
// special tokens the vocabulary added around them), or -1.
func indexOf(seq, body []int32) int {
	for h := 0; h+len(body) <= len(seq); h++ {
		if slices.Equal(seq[h:h+len(body)], body) {
			return h
		}
	}
	return -1
}

// checkTokens validates token ids given by the caller, applying
// truncation to limit by plain slicing (no special tokens are involved).
func (l *loaded) checkTokens(ids []int32, trunc Truncation, limit int) ([]int32, bool, error) {
	if len(ids) == 0 {
		return nil, false, ErrEmptyInput
	}
	if err := l.checkVocab(ids); err != nil {
		return nil, false, err
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

// checkVocab refuses a token id outside the vocabulary.
func (l *loaded) checkVocab(ids []int32) error {
	for _, id := range ids {
		if id < 0 || int(id) >= l.info.VocabSize {
			return fmt.Errorf("%w: %d (vocabulary of %d)", ErrInvalidToken, id, l.info.VocabSize)
		}
	}
	return nil
}

// libErr maps the llama package's error for a freed model to the
// package's: the model was unloaded during the call.
func (l *loaded) libErr(err error) error {
	if errors.Is(err, llama.ErrClosed) {
		return ErrModelUnloaded
	}
	return err
}
