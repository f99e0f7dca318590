package embed

import (
	"strings"
	"unicode/utf8"
)

// TokenizeOptions sets how [Engine.TokenizeWith] tokenizes.
type TokenizeOptions struct {
	// AddSpecial adds the special tokens the model's tokenizer adds (BOS,
	// CLS, EOS, SEP), as embedding does.
	AddSpecial bool
	// ParseSpecial lets the text spell special tokens ("<|im_end|>").
	ParseSpecial bool
	// Prompt names a prompt to put in front of the text (see
	// [WithPrompt]), to count tokens as the model will see them.
	Prompt string
}

// TokenizeWith returns the tokens of text as o says, without truncation.
// Errors: [ErrInvalidUTF8], [ErrNULByte], [ErrUnknownPrompt], or those of
// the model lookup.
func (e *Engine) TokenizeWith(name, text string, o TokenizeOptions) ([]int32, error) {
	m, err := e.model(name)
	if err != nil {
		return nil, err
	}
	switch {
	case !utf8.ValidString(text):
		return nil, ErrInvalidUTF8
	case strings.IndexByte(text, 0) >= 0:
		return nil, ErrNULByte
	}
	prompt, err := m.promptText(callOptions{prompt: promptChoice{name: o.Prompt, set: true}})
	if err != nil {
		return nil, err
	}
	toks, err := m.vocab.Tokenize(prompt+text, o.AddSpecial, o.ParseSpecial)
	return toks, m.libErr(err)
}

// Detokenize returns the text of tokens. unparseSpecial renders special
// tokens as their text ("[CLS]"); otherwise they give nothing. A token
// outside the vocabulary is [ErrInvalidToken].
func (e *Engine) Detokenize(name string, tokens []int32, unparseSpecial bool) (string, error) {
	m, err := e.model(name)
	if err != nil {
		return "", err
	}
	for _, t := range tokens {
		if t < 0 || int(t) >= m.info.VocabSize {
			return "", &InputError{Err: ErrInvalidToken}
		}
	}
	s, err := m.vocab.Detokenize(tokens, false, unparseSpecial)
	return s, m.libErr(err)
}

// TokenPieces returns the text of each token alone, special tokens
// rendered (llama.cpp's with_pieces). A piece may be part of a UTF-8
// character.
func (e *Engine) TokenPieces(name string, tokens []int32) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		s, err := e.Detokenize(name, []int32{t}, true)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
