package llama

import (
	"fmt"
	"unsafe"

	"github.com/embellama/embellama/loader"
)

var (
	// int32_t llama_detokenize(const struct llama_vocab * vocab, const llama_token * tokens, int32_t n_tokens,
	//                          char * text, int32_t text_len_max, bool remove_special, bool unparse_special);
	llamaDetokenize func(vocab uintptr, tokens *int32, nTokens int32, text *byte, textLenMax int32, removeSpecial, unparseSpecial bool) int32
)

// textFuncs are the bindings that turn tokens back into text.
var textFuncs = []loader.Binding{
	{Fn: &llamaDetokenize, Name: "llama_detokenize"},
}

// Detokenize converts tokens back to text. removeSpecial drops the BOS
// and EOS tokens the vocabulary adds; unparseSpecial renders special
// tokens as their text (otherwise they give nothing). Every id must be in
// the vocabulary (llama.cpp aborts otherwise): out of range is
// [ErrTokenize].
func (v *Vocab) Detokenize(tokens []Token, removeSpecial, unparseSpecial bool) (string, error) {
	if len(tokens) == 0 {
		return "", nil
	}
	p, done, err := v.model.handle()
	if err != nil {
		return "", err
	}
	defer done()
	vocab := llamaModelGetVocab(p)
	n := llamaVocabNTokens(vocab)
	for _, t := range tokens {
		if t < 0 || t >= n {
			return "", fmt.Errorf("%w: token %d outside the vocabulary of %d", ErrTokenize, t, n)
		}
	}
	if len(tokens) > 1<<24 {
		return "", fmt.Errorf("%w: %d tokens", ErrTokenize, len(tokens))
	}
	buf := make([]byte, 8*len(tokens)+16)
	for {
		got := llamaDetokenize(vocab, &tokens[0], int32(len(tokens)), &buf[0], int32(len(buf)), removeSpecial, unparseSpecial)
		if got >= 0 {
			return string(buf[:got]), nil
		}
		if int(-got) <= len(buf) {
			return "", fmt.Errorf("%w: detokenize status %d", ErrTokenize, got)
		}
		buf = make([]byte, -got)
	}
}

// ScoresSeq copies the n scores that rank pooling left for sequence seq
// (llama_model_n_cls_out of them: the classifier's outputs) into a new
// slice. llama.cpp keeps only those n floats per sequence, not a vector
// of NEmbd.
func (c *Context) ScoresSeq(seq int32, n int) ([]float32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == 0 {
		return nil, ErrClosed
	}
	if n < 1 || n > c.nEmbd {
		return nil, fmt.Errorf("%w: %d scores per sequence", ErrNoEmbeddings, n)
	}
	src := llamaGetEmbeddingsSeq(c.p, seq)
	if src == nil {
		return nil, fmt.Errorf("%w for sequence %d", ErrNoEmbeddings, seq)
	}
	return append([]float32(nil), unsafe.Slice(src, n)...), nil
}
