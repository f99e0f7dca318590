package embed

import "errors"

// TokenizeOptions sets how [Model.TokenizeWith] tokenizes.
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

// tokenizeWith is [Model.TokenizeWith]: blank text is accepted.
func (l *loaded) tokenizeWith(text string, o TokenizeOptions) ([]int32, error) {
	if err := checkText(text); err != nil && !errors.Is(err, ErrEmptyInput) {
		return nil, err
	}
	prompt, err := l.promptText(o.Prompt)
	if err != nil {
		return nil, err
	}
	toks, err := l.vocab.Tokenize(prompt+text, o.AddSpecial, o.ParseSpecial)
	return toks, l.libErr(err)
}

// detokenize is [Model.Detokenize].
func (l *loaded) detokenize(tokens []int32, unparseSpecial bool) (string, error) {
	if err := l.checkVocab(tokens); err != nil {
		return "", &InputError{Err: err}
	}
	s, err := l.vocab.Detokenize(tokens, false, unparseSpecial)
	return s, l.libErr(err)
}

// tokenPieces is [Model.TokenPieces].
func (l *loaded) tokenPieces(tokens []int32) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		s, err := l.detokenize([]int32{t}, true)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
