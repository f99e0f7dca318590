package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestChunkText(t *testing.T) {
	tests := []struct {
		name          string
		text          string
		size, overlap int
	}{
		{"words", strings.Repeat("alpha beta gamma delta ", 40), 100, 20},
		{"no spaces", strings.Repeat("x", 1000), 128, 0},
		{"multibyte", strings.Repeat("déjà vu ünïcödé 日本語 ", 30), 50, 10},
		{"shorter than a window", "just one chunk", 100, 10},
		{"white space only", "   \n\t  ", 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks := chunkText(tt.text, tt.size, tt.overlap)
			covered := 0
			for i, c := range chunks {
				assert.Equal(t, tt.text[c.Start:c.End], c.Text)
				assert.LessOrEqual(t, c.End-c.Start, tt.size)
				assert.True(t, utf8.ValidString(c.Text), "chunk %d cuts a rune", i)
				assert.LessOrEqual(t, c.Start, covered, "chunk %d leaves a gap", i)
				covered = max(covered, c.End)
			}
			if strings.TrimSpace(tt.text) == "" {
				assert.Empty(t, chunks)
				return
			}
			assert.Equal(t, len(tt.text), covered, "the chunks cover the text")
		})
	}
}
