package embed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// chunkText mixes paragraphs, sentences, multi-byte UTF-8 (accents, CJK
// without spaces, emoji) and a long word.
var chunkText = "Embellama turns text into vectors. It runs llama.cpp without cgo!\n\n" +
	"Ünïcödé wörds: naïve café, Größe, façade. Ça marche? Oui.\n" +
	strings.Repeat("東京は日本の首都であり、最大の都市です。", 6) + "\n\n" +
	"Emoji 🦙🦙 and a longword supercalifragilisticexpialidocious-antidisestablishmentarianism end. " +
	strings.Repeat("The giant panda eats bamboo for most of the day. ", 8) + "  \n"

// TestEmbedChunksOffsets checks, on every fixture vocabulary, that chunk
// offsets are exact (the text between them tokenizes to the chunk's
// tokens), that the chunks cover every byte, that overlaps are counted
// exactly in tokens and that each vector is the chunk text's own.
func TestEmbedChunksOffsets(t *testing.T) {
	ctx := context.Background()
	for _, fixture := range []string{"bert-mean-tiny", "qwen3-last-tiny"} { // bert-bge WordPiece, qwen2 BPE
		t.Run(fixture, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelPath: testenv.Fixture(t, fixture), ContextSize: 512})
			const size, overlap = 24, 6
			r, err := e.EmbedChunks(ctx, "", []string{chunkText, "short one"}, embed.ChunkOptions{Size: size, Overlap: overlap})
			require.NoError(t, err)
			require.NoError(t, r.Err())
			count := func(s string) int {
				toks, err := e.TokenizeWith("", s, embed.TokenizeOptions{})
				require.NoError(t, err)
				return len(toks)
			}
			var doc0 []embed.Chunk
			for _, c := range r.Chunks {
				if c.Doc == 0 {
					doc0 = append(doc0, c)
				}
			}
			require.Greater(t, len(doc0), 5)
			assert.Equal(t, 0, doc0[0].Start)
			assert.Equal(t, len(chunkText), doc0[len(doc0)-1].End)
			for i, c := range doc0 {
				assert.Equal(t, i, c.Index)
				assert.Equal(t, count(chunkText[c.Start:c.End]), c.Tokens, "chunk %d: offsets exact", i)
				assert.LessOrEqual(t, c.Tokens, size)
				if i > 0 {
					p := doc0[i-1]
					assert.LessOrEqual(t, c.Start, p.End, "chunk %d: no byte uncovered", i)
					assert.Equal(t, count(chunkText[c.Start:p.End]), c.Overlap, "chunk %d: overlap in tokens", i)
					if c.Overlap < overlap {
						// Only when going back one more word would reach the
						// previous chunk's start.
						assert.LessOrEqual(t, len(strings.Fields(chunkText[p.Start:c.Start])), 1, "chunk %d: overlap %d", i, c.Overlap)
					}
				}
			}
			texts := make([]string, len(doc0))
			for i, c := range doc0 {
				texts[i] = chunkText[c.Start:c.End]
			}
			want, err := e.EmbedBatch(ctx, "", texts)
			require.NoError(t, err)
			for i, c := range doc0 {
				assert.GreaterOrEqual(t, embed.Cosine(want.Vectors[i], c.Vector), 0.9999, "chunk %d: its text's vector", i)
			}
			last := r.Chunks[len(r.Chunks)-1]
			assert.Equal(t, embed.Chunk{Doc: 1, Index: 0, Start: 0, End: 9, Tokens: count("short one"), Vector: last.Vector}, last)
		})
	}
}

// TestLateChunking checks that a late chunk's vector is the mean of the
// per-token vectors of its window in the whole document's encoding.
func TestLateChunking(t *testing.T) {
	ctx := context.Background()
	for _, fixture := range []string{"bert-mean-tiny", "qwen3-last-tiny"} {
		t.Run(fixture, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelPath: testenv.Fixture(t, fixture), ContextSize: 512})
			r, err := e.EmbedChunks(ctx, "", []string{chunkText}, embed.ChunkOptions{Size: 32, Overlap: 8, Late: true})
			require.NoError(t, err)
			require.NoError(t, r.Err())
			require.Greater(t, len(r.Chunks), 3)
			perToken, err := e.EmbedTokens(ctx, "", chunkText, embed.WithNormalization(embed.NormalizeNone))
			require.NoError(t, err)
			withSpecials, err := e.TokenizeWith("", chunkText, embed.TokenizeOptions{AddSpecial: true})
			require.NoError(t, err)
			require.Len(t, perToken, len(withSpecials))
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			lead := 0
			if info.AddBOS {
				lead = 1
			}
			var texts []string
			for _, c := range r.Chunks {
				texts = append(texts, chunkText[c.Start:c.End])
			}
			plain, err := e.EmbedBatch(ctx, "", texts)
			require.NoError(t, err)
			for i, c := range r.Chunks {
				before, err := e.TokenizeWith("", chunkText[:c.Start], embed.TokenizeOptions{})
				require.NoError(t, err)
				a := lead + len(before)
				want := make([]float32, len(perToken[0]))
				for _, v := range perToken[a : a+c.Tokens] {
					for k := range want {
						want[k] += v[k] / float32(c.Tokens)
					}
				}
				assert.GreaterOrEqual(t, embed.Cosine(want, c.Vector), 0.9999, "chunk %d: mean of its window's token vectors", i)
				assert.Less(t, embed.Cosine(plain.Vectors[i], c.Vector), 0.9999, "chunk %d: a late chunk has seen the whole document", i)
			}
		})
	}
}

func TestEmbedChunksErrors(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, embed.Config{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 64})
	for _, co := range []embed.ChunkOptions{{Size: 0}, {Size: 8, Overlap: 8}, {Size: 64}} {
		_, err := e.EmbedChunks(ctx, "", []string{"text"}, co)
		assert.ErrorIs(t, err, embed.ErrInvalidOption, "%+v", co)
		assert.ErrorIs(t, err, embed.ErrInvalidChunking, "%+v", co)
	}
	r, err := e.EmbedChunks(ctx, "", []string{"ok text", "bad \xff", strings.Repeat("word ", 100)},
		embed.ChunkOptions{Size: 16, Overlap: 4, Late: true})
	require.NoError(t, err)
	assert.NoError(t, r.Errors[0])
	assert.ErrorIs(t, r.Errors[1], embed.ErrInvalidUTF8)
	assert.ErrorIs(t, r.Errors[2], embed.ErrTooLong, "late chunking needs the whole document in the context")
	for _, c := range r.Chunks {
		assert.Equal(t, 0, c.Doc)
	}
	// A text without a content token has no row to pool (it was a 500 in
	// the server: a mean over no rows is not finite).
	for _, late := range []bool{false, true} {
		r, err = e.EmbedChunks(ctx, "", []string{"\u200b"}, embed.ChunkOptions{Size: 4, Late: late})
		require.NoError(t, err)
		assert.ErrorIs(t, r.Errors[0], embed.ErrEmptyInput, "late %v", late)
		assert.Empty(t, r.Chunks)
	}
}
