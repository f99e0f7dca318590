package chunk_test

import (
	"hash/fnv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/embellama/embellama/internal/chunk"
)

// pieces is a WordPiece-like tokenizer: white space separates words, a
// word is one token per piece of at most n characters, and every CJK
// character is a token of its own.
func pieces(n int) chunk.Tokenizer {
	return func(text string) ([]int32, error) {
		var out []int32
		for _, w := range strings.FieldsFunc(text, unicode.IsSpace) {
			run := 0
			for _, r := range w {
				if unicode.Is(unicode.Han, r) {
					out = append(out, int32(r))
					run = 0
					continue
				}
				if run%n == 0 {
					out = append(out, int32(r))
				}
				run++
			}
		}
		return out, nil
	}
}

// bpe is a toy byte-level BPE with GPT-2's pre-tokenizer shape: a word
// takes the one space in front of it, other white space forms tokens of
// its own, and every pre-token is one token per n bytes (ids hash the
// bytes, so equal text gives equal tokens).
func bpe(n int) chunk.Tokenizer {
	return func(text string) ([]int32, error) {
		var out []int32
		emit := func(s string) {
			for len(s) > 0 {
				k := min(n, len(s))
				h := fnv.New32a()
				h.Write([]byte(s[:k]))
				out = append(out, int32(h.Sum32()>>1))
				s = s[k:]
			}
		}
		i := 0
		for i < len(text) {
			j := i
			for j < len(text) && isSpace(text[j]) {
				j++
			}
			if j < len(text) && j > i && text[j-1] == ' ' {
				j-- // the last space goes with the word
			}
			emit(text[i:j])
			i = j
			if i < len(text) && text[i] == ' ' {
				j++
			}
			for j < len(text) && !isSpace(text[j]) {
				j++
			}
			emit(text[i:j])
			i = j
		}
		return out, nil
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// spm is a toy SentencePiece: the text gets a space in front, every
// space becomes part of the next character's token, and each character
// is one token (multi-byte characters one token per byte, as byte
// fallback does). It is not additive: "a" and " a" tokenize alike.
func spm(text string) ([]int32, error) {
	var out []int32
	s := " " + text
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == ' ' && len(s) > 1 {
			r2, n2 := utf8.DecodeRuneInString(s[1:])
			out = append(out, -int32(r2))
			n += n2
		} else if n > 1 {
			for k := 0; k < n; k++ {
				out = append(out, int32(s[k])<<8)
			}
		} else {
			out = append(out, int32(r))
		}
		s = s[n:]
	}
	return out, nil
}
