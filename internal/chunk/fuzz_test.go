package chunk_test

import (
	"math"
	"strings"
	"testing"

	"github.com/embellama/embellama/internal/chunk"
)

// seeds are texts that reach every path: white space that is a token of
// its own, sentence and paragraph ends, long words, CJK without spaces,
// characters without tokens and white space only.
var seeds = []string{
	"a \n b",
	"Llamas eat grass. They live in herds.",
	"a b c. d e f g h i j k l.\n\nm n o. p q r s t u v w x y z. a b c d e f g h i j k",
	"  Ünïcödé wörds, naïve café.\tÉté à Paris!\n" + strings.Repeat("日本語のテキスト。", 4) + " done  \n",
	"supercalifragilisticexpialidocious-antidisestablishmentarianism end.",
	"Emoji 🦙🦙 and\u200b zero\u200b-width \u200b\u200b marks",
	" \n\n \t ",
	"word" + strings.Repeat(" ", 40) + "\n\n\n" + strings.Repeat("\t", 9) + "word!\n\n",
	"\"Quoted.\" (Bracketed!) Ellipsis… 終わり。 next",
	"",
}

// toys are the pure-Go tokenizers the fuzz target picks from: WordPiece
// like (additive), byte-level BPE like (white space tokens of its own),
// SentencePiece like (not additive).
var toys = []chunk.Tokenizer{pieces(100), pieces(2), bpe(1), bpe(3), spm}

// FuzzSplit checks the package's invariants on toy tokenizers, without
// the native library.
func FuzzSplit(f *testing.F) {
	for i, s := range seeds {
		f.Add(s, uint8(1+i%4), uint8(i%2), uint8(i))
		f.Add(s, uint8(8), uint8(3), uint8(i+1))
		f.Add(s, uint8(255), uint8(7), uint8(i+2))
	}
	f.Fuzz(func(t *testing.T, text string, size, overlap, kind uint8) {
		fuzzSplit(t, text, toys[int(kind)%len(toys)], size, overlap)
	})
}

// fuzzSplit splits text with tok into windows of 1 to 32 tokens (or
// near math.MaxInt) and checks the invariants.
func fuzzSplit(t *testing.T, text string, tok chunk.Tokenizer, size, overlap uint8) {
	n := 1 + int(size)%32
	if size >= 250 { // sizes near math.MaxInt: nothing may overflow
		n = math.MaxInt - int(size-250)
	}
	m := int(overlap) % n
	r, err := chunk.Split(ctx, text, tok, n, m)
	if err != nil {
		if strings.Contains(err.Error(), chunk.ErrTooLong.Error()) {
			return // a character longer than a window: refused, as documented
		}
		t.Fatalf("Split(%q, %d, %d): %v", text, n, m, err)
	}
	if err := invariants(text, tok, r, n, m); err != nil {
		t.Fatalf("Split(%q, %d, %d): %v", text, n, m, err)
	}
}
