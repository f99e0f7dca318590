package embed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

func TestTokenizeDetokenize(t *testing.T) {
	for _, fixture := range []string{"bert-mean-tiny", "qwen3-last-tiny"} {
		t.Run(fixture, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, fixture)}})
			text := "llamas graze 東京 café"
			plain, err := e.TokenizeWith("", text, embed.TokenizeOptions{})
			require.NoError(t, err)
			special, err := e.TokenizeWith("", text, embed.TokenizeOptions{AddSpecial: true})
			require.NoError(t, err)
			same, err := e.Tokenize("", text)
			require.NoError(t, err)
			assert.Equal(t, same, special)
			assert.Greater(t, len(special), len(plain), "special tokens added")

			back, err := e.Detokenize("", plain, false)
			require.NoError(t, err)
			if fixture == "qwen3-last-tiny" {
				assert.Equal(t, text, back, "byte-level BPE round-trips exactly")
			} else {
				assert.Equal(t, " llamas graze 東 京 cafe", back, "WordPiece lowercases, strips accents, splits CJK; llama.cpp puts a space before each word")
			}
			pieces, err := e.TokenPieces("", plain)
			require.NoError(t, err)
			assert.Len(t, pieces, len(plain))

			_, err = e.Detokenize("", []int32{-1}, false)
			assert.ErrorIs(t, err, embed.ErrInvalidToken)
			_, err = e.TokenizeWith("", "bad \xff", embed.TokenizeOptions{})
			assert.ErrorIs(t, err, embed.ErrInvalidUTF8)
		})
	}
}
