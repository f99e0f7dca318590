package embed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestNoContentToken: a text the tokenizer reduces to no token of its
// own (white space; for BERT's tokenizer also U+200B or a BOM) is refused
// like "" with ErrEmptyInput, rather than embedded as the special tokens
// alone (issue 17.7). Whether U+200B is content is the tokenizer's call
// (byte-level BPE keeps its bytes); the rule is one.
func TestNoContentToken(t *testing.T) {
	ctx := context.Background()
	zeroWidth := []string{"\u200b", "\ufeff", "\u200b\u200b\ufeff"}
	for _, tt := range []struct {
		model     string
		dropsThem bool
	}{{"bert-mean.gguf", true}, {"qwen3-last.gguf", false}} {
		t.Run(tt.model, func(t *testing.T) {
			e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.Library(t)}, ModelConfig: embed.ModelConfig{ModelPath: testenv.Model(t, tt.model)}})
			require.NoError(t, err)
			defer e.Close()
			for _, text := range append([]string{"", " \n"}, zeroWidth...) {
				_, err := e.Embed(ctx, "", text)
				_, terr := e.Tokenize("", text)
				if text == "" || text == " \n" || tt.dropsThem {
					assert.ErrorIs(t, err, embed.ErrEmptyInput, "%q", text)
				} else {
					assert.NoError(t, err, "%q: this tokenizer keeps it", text)
				}
				assert.Equal(t, err != nil, terr != nil, "Tokenize and Embed agree on %q", text)
			}
			for _, text := range []string{"a", "\u200ba", "hello\ufeff"} {
				_, err := e.Embed(ctx, "", text)
				assert.NoError(t, err, "%q has content", text)
			}
		})
	}
}
