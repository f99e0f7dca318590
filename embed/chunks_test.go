package embed_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
	"unicode"

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
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, fixture), ContextSize: 512}})
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
			exact := 0
			assert.Equal(t, 0, doc0[0].Start)
			assert.Equal(t, strings.TrimRightFunc(chunkText, unicode.IsSpace), strings.TrimRightFunc(chunkText[:doc0[len(doc0)-1].End], unicode.IsSpace))
			for i, c := range doc0 {
				assert.Equal(t, i, c.Index)
				assert.Equal(t, count(chunkText[c.Start:c.End]), c.Tokens, "chunk %d: offsets exact", i)
				assert.LessOrEqual(t, c.Tokens, size)
				if i > 0 {
					p := doc0[i-1]
					assert.LessOrEqual(t, c.Start, p.End, "chunk %d: no byte uncovered", i)
					assert.Equal(t, count(chunkText[c.Start:p.End]), c.Overlap, "chunk %d: overlap in tokens", i)
					assert.LessOrEqual(t, c.Overlap, overlap, "chunk %d: overlap at most Overlap", i)
					assert.True(t, c.Start > p.Start && c.End > p.End, "chunk %d: not inside chunk %d", i, i-1)
					if c.Overlap == overlap {
						exact++
					}
				}
			}
			assert.Positive(t, exact, "the overlap is reached where words are single tokens")
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
			assert.Equal(t, embed.Chunk{Doc: 1, Index: 0, Start: 0, End: 9, Tokens: count("short one"),
				Evaluated: count("short one") + last.Evaluated - last.Tokens, Vector: last.Vector}, last)
			assert.Greater(t, last.Evaluated, last.Tokens, "special tokens counted")
		})
	}
}

// TestLateChunking checks that a late chunk's vector is the mean of the
// per-token vectors of its window in the whole document's encoding.
func TestLateChunking(t *testing.T) {
	ctx := context.Background()
	for _, fixture := range []string{"bert-mean-tiny", "qwen3-last-tiny"} {
		t.Run(fixture, func(t *testing.T) {
			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, fixture), ContextSize: 512}})
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
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "bert-mean-tiny"), ContextSize: 64}})
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

// TestEmbedChunksRegressions holds the chunking inputs of issue 26, each
// of which panicked or broke an invariant on the real tokenizers.
func TestEmbedChunksRegressions(t *testing.T) {
	ctx := context.Background()
	qwen := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "qwen3-last-tiny"), ContextSize: 512}})
	t.Run("white space token in a long unit", func(t *testing.T) {
		// The cut fell inside " \n " (a token of its own): a panic.
		r, err := qwen.EmbedChunks(ctx, "", []string{"a \n b"}, embed.ChunkOptions{Size: 1})
		require.NoError(t, err)
		require.NoError(t, r.Err(), "no chunk is white space only")
		for _, c := range r.Chunks {
			assert.NotEmpty(t, strings.TrimSpace("a \n b"[c.Start:c.End]), "chunk %d", c.Index)
		}
	})
	t.Run("no chunk inside its neighbour", func(t *testing.T) {
		const doc = "Llamas eat grass. They live in herds."
		r, err := qwen.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 4, Overlap: 1})
		require.NoError(t, err)
		require.NoError(t, r.Err())
		for i, c := range r.Chunks[1:] {
			p := r.Chunks[i]
			assert.True(t, c.Start > p.Start && c.End > p.End, "chunk %d %q after %q", i+1, doc[c.Start:c.End], doc[p.Start:p.End])
			assert.LessOrEqual(t, c.Overlap, 1, "chunk %d %q after %q", i+1, doc[c.Start:c.End], doc[p.Start:p.End])
		}
	})
	t.Run("size that overflows the context check", func(t *testing.T) {
		_, err := qwen.EmbedChunks(ctx, "", []string{strings.Repeat("word ", 600)}, embed.ChunkOptions{Size: math.MaxInt})
		require.ErrorIs(t, err, embed.ErrInvalidChunking)
		assert.Contains(t, err.Error(), "512")
	})
	t.Run("too long errors carry the real counts", func(t *testing.T) {
		// Chunks that cannot fit the call's token limit: refused before
		// evaluation, naming the limit (each chunk said "0 tokens; the
		// model's context holds 0" in the server).
		_, err := qwen.EmbedChunks(ctx, "", []string{strings.Repeat("word ", 100)}, embed.ChunkOptions{Size: 16}, embed.WithMaxTokens(10))
		require.ErrorIs(t, err, embed.ErrInvalidChunking)
		assert.Contains(t, err.Error(), "limit of 10")
		r, err := qwen.EmbedChunks(ctx, "", []string{strings.Repeat("word ", 600)}, embed.ChunkOptions{Size: 16, Late: true})
		require.NoError(t, err)
		var ie *embed.InputError
		require.ErrorAs(t, r.Errors[0], &ie)
		assert.ErrorIs(t, ie, embed.ErrTooLong)
		assert.Greater(t, ie.Tokens, 600)
		assert.Equal(t, 512, ie.Limit)
	})
	t.Run("white space only documents name the document", func(t *testing.T) {
		for _, late := range []bool{false, true} {
			r, err := qwen.EmbedChunks(ctx, "", []string{"words here", " \n\t ", "\n\n"}, embed.ChunkOptions{Size: 4, Late: late})
			require.NoError(t, err)
			require.NoError(t, r.Errors[0])
			for i := 1; i < 3; i++ {
				var ie *embed.InputError
				require.ErrorAs(t, r.Errors[i], &ie, "late %v", late)
				assert.Equal(t, i, ie.Index)
				assert.ErrorIs(t, ie, embed.ErrEmptyInput)
				assert.NotContains(t, ie.Error(), "chunk", "the document is empty, not one of its chunks")
			}
		}
	})
	t.Run("late chunking that is not additive is a chunking error", func(t *testing.T) {
		spm := open(t, "stories260K", embed.Config{ModelConfig: embed.ModelConfig{ContextSize: 256}})
		r, err := spm.EmbedChunks(ctx, "", []string{"Lily saw a big dog. The dog was happy."}, embed.ChunkOptions{Size: 4, Late: true})
		require.NoError(t, err)
		require.ErrorIs(t, r.Errors[0], embed.ErrNotAdditive)
		assert.ErrorIs(t, r.Errors[0], embed.ErrInvalidChunking, "a client error, not an internal one")
	})
}

// TestEmbedChunksDeadline checks that chunking a large document stops
// when its caller leaves: with a 20 ms deadline the call returns within
// 100 ms (it took 0.4 to 0.9 s in issue 26), plain and late.
func TestEmbedChunksDeadline(t *testing.T) {
	e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, "qwen3-last-tiny"), ContextSize: 512}})
	doc := strings.Repeat(chunkText, 200) // 250 KB
	for _, late := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		start := time.Now()
		_, err := e.EmbedChunks(ctx, "", []string{doc, doc}, embed.ChunkOptions{Size: 64, Overlap: 8, Late: late})
		took := time.Since(start)
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded, "late %v", late)
		assert.Less(t, took, 100*time.Millisecond, "late %v", late)
	}
	// A caller that leaves (cancels) midway.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.EmbedChunks(ctx, "", []string{doc}, embed.ChunkOptions{Size: 64, Overlap: 8})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
}
