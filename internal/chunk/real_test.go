package chunk_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/chunk"
	"github.com/embellama/embellama/internal/testenv"
)

// families are the vocabulary families of the fixtures, by model name.
var families = []string{"wordpiece", "bpe", "sentencepiece"}

// realTokenizers loads one model of each vocabulary family (WordPiece:
// BERT, byte-level BPE: Qwen3, SentencePiece: Llama's stories260K) and
// returns their tokenizers as Split calls them (no special tokens). It
// skips, or fails under CI=true, without the library or the models.
func realTokenizers(tb testing.TB) []chunk.Tokenizer {
	tb.Helper()
	e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.Library(tb)}})
	require.NoError(tb, err)
	tb.Cleanup(func() { e.Close() })
	models := []embed.ModelConfig{
		{ModelPath: testenv.Fixture(tb, "bert-mean-tiny"), ContextSize: 64},
		{ModelPath: testenv.Fixture(tb, "qwen3-last-tiny"), ContextSize: 64},
		{ModelPath: testenv.Model(tb, "stories260K.gguf"), ContextSize: 64, Pooling: embed.PoolingLast},
	}
	var toks []chunk.Tokenizer
	for i, mc := range models {
		require.NoError(tb, e.LoadModel(ctx, families[i], mc))
		name := families[i]
		toks = append(toks, func(text string) ([]int32, error) {
			return e.TokenizeWith(name, text, embed.TokenizeOptions{})
		})
	}
	return toks
}

// FuzzSplitTokenizers checks the package's invariants with the real
// tokenizers of every vocabulary family, through the native library.
func FuzzSplitTokenizers(f *testing.F) {
	toks := realTokenizers(f)
	for i, s := range seeds {
		for k := range families {
			f.Add(s, uint8(1+i%4), uint8(i%2), uint8(k))
			f.Add(s, uint8(6), uint8(2), uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, text string, size, overlap, family uint8) {
		if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
			return // the library refuses such text before tokenizing
		}
		fuzzSplit(t, text, toks[int(family)%len(toks)], size, overlap)
	})
}
