package llama

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/embellama/embellama/loader"
)

// Token is llama_token.
type Token = int32

// TokenNull is LLAMA_TOKEN_NULL, what the vocabulary returns for a special
// token it does not have.
const TokenNull Token = -1

var (
	// int32_t llama_tokenize(const struct llama_vocab * vocab, const char * text, int32_t text_len,
	//                        llama_token * tokens, int32_t n_tokens_max, bool add_special, bool parse_special);
	llamaTokenize func(vocab uintptr, text *byte, textLen int32, tokens *int32, nTokensMax int32, addSpecial, parseSpecial bool) int32
	// int32_t llama_vocab_n_tokens(const struct llama_vocab * vocab);
	llamaVocabNTokens func(vocab uintptr) int32
	// enum llama_vocab_type llama_vocab_type(const struct llama_vocab * vocab);
	llamaVocabType func(vocab uintptr) int32
	// llama_token llama_vocab_bos(const struct llama_vocab * vocab);
	llamaVocabBOS func(vocab uintptr) int32
	// llama_token llama_vocab_eos(const struct llama_vocab * vocab);
	llamaVocabEOS func(vocab uintptr) int32
	// llama_token llama_vocab_sep(const struct llama_vocab * vocab);
	llamaVocabSEP func(vocab uintptr) int32
	// bool llama_vocab_get_add_bos(const struct llama_vocab * vocab);
	llamaVocabGetAddBOS func(vocab uintptr) bool
	// bool llama_vocab_get_add_eos(const struct llama_vocab * vocab);
	llamaVocabGetAddEOS func(vocab uintptr) bool
	// bool llama_vocab_get_add_sep(const struct llama_vocab * vocab);
	llamaVocabGetAddSEP func(vocab uintptr) bool
)

var vocabFuncs = []loader.Binding{
	{Fn: &llamaTokenize, Name: "llama_tokenize"},
	{Fn: &llamaVocabNTokens, Name: "llama_vocab_n_tokens"},
	{Fn: &llamaVocabType, Name: "llama_vocab_type"},
	{Fn: &llamaVocabBOS, Name: "llama_vocab_bos"},
	{Fn: &llamaVocabEOS, Name: "llama_vocab_eos"},
	{Fn: &llamaVocabSEP, Name: "llama_vocab_sep"},
	{Fn: &llamaVocabGetAddBOS, Name: "llama_vocab_get_add_bos"},
	{Fn: &llamaVocabGetAddEOS, Name: "llama_vocab_get_add_eos"},
	{Fn: &llamaVocabGetAddSEP, Name: "llama_vocab_get_add_sep"},
}

// VocabType is enum llama_vocab_type.
type VocabType int32

// Vocabulary types.
const (
	VocabNone VocabType = 0
	VocabSPM  VocabType = 1
	VocabBPE  VocabType = 2
	VocabWPM  VocabType = 3
	VocabUGM  VocabType = 4
	VocabRWKV VocabType = 5
)

// String returns llama.cpp's short name for the tokenizer type.
func (t VocabType) String() string {
	return enumName([]string{"none", "spm", "bpe", "wpm", "ugm", "rwkv"}, t)
}

// Vocab is a model's vocabulary. It is valid while its model is open;
// afterwards its methods return [ErrClosed] or zero values.
type Vocab struct {
	model *Model
}

func vocabValue[T any](v *Vocab, f func(uintptr) T) T {
	p, done, err := v.model.handle()
	if err != nil {
		var zero T
		return zero
	}
	defer done()
	return f(llamaModelGetVocab(p))
}

// NTokens returns the vocabulary size.
func (v *Vocab) NTokens() int { return int(vocabValue(v, llamaVocabNTokens)) }

// Type returns the tokenizer type.
func (v *Vocab) Type() VocabType { return VocabType(vocabValue(v, llamaVocabType)) }

// BOS returns the beginning-of-sequence token, or [TokenNull].
func (v *Vocab) BOS() Token { return vocabValue(v, llamaVocabBOS) }

// EOS returns the end-of-sequence token, or [TokenNull].
func (v *Vocab) EOS() Token { return vocabValue(v, llamaVocabEOS) }

// SEP returns the separator token, or [TokenNull].
func (v *Vocab) SEP() Token { return vocabValue(v, llamaVocabSEP) }

// AddBOS reports whether tokenizing with special tokens prepends BOS.
func (v *Vocab) AddBOS() bool { return vocabValue(v, llamaVocabGetAddBOS) }

// AddEOS reports whether tokenizing with special tokens appends EOS.
func (v *Vocab) AddEOS() bool { return vocabValue(v, llamaVocabGetAddEOS) }

// AddSEP reports whether tokenizing with special tokens appends SEP.
func (v *Vocab) AddSEP() bool { return vocabValue(v, llamaVocabGetAddSEP) }

// emptyCString gives llama_tokenize a valid pointer for the empty text.
var emptyCString = [1]byte{0}

// Tokenize converts text to tokens. addSpecial adds the BOS/EOS/CLS/SEP
// tokens the model's tokenizer is configured to add; parseSpecial lets
// the text spell special tokens (such as "<|endoftext|>"), which is off
// for untrusted text.
func (v *Vocab) Tokenize(text string, addSpecial, parseSpecial bool) ([]Token, error) {
	if len(text) > math.MaxInt32-16 {
		return nil, fmt.Errorf("%w: text of %d bytes is too long", ErrTokenize, len(text))
	}
	p, done, err := v.model.handle()
	if err != nil {
		return nil, err
	}
	defer done()
	vocab := llamaModelGetVocab(p)

	// A token covers at least one byte; a few specials may be added.
	tokens := make([]Token, len(text)+8)
	textPtr := unsafe.StringData(text)
	if len(text) == 0 {
		textPtr = &emptyCString[0]
	}
	for {
		n := llamaTokenize(vocab, textPtr, int32(len(text)),
			&tokens[0], int32(len(tokens)), addSpecial, parseSpecial)
		switch {
		case n == math.MinInt32:
			return nil, fmt.Errorf("%w: result overflows int32", ErrTokenize)
		case n < 0:
			if int(-n) <= len(tokens) {
				return nil, fmt.Errorf("%w: status %d", ErrTokenize, n)
			}
			tokens = make([]Token, -n)
			continue
		}
		return tokens[:n:n], nil
	}
}
