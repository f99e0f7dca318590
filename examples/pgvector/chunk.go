package main

import (
	"unicode"
	"unicode/utf8"
)

// chunk is a window of a file's text, with its byte offsets.
type chunk struct {
	Text       string
	Start, End int
}

// chunkText cuts text into windows of at most size bytes that overlap by
// about overlap bytes, ending at a space when one is near so that words
// stay whole, and never inside a UTF-8 sequence. Windows that hold only
// white space are dropped. (A fixed window is the simplest chunker; the
// engine's token-aware chunker can replace it without changing the table.)
func chunkText(text string, size, overlap int) []chunk {
	var out []chunk
	for start := 0; start < len(text); {
		end := min(start+size, len(text))
		if end < len(text) {
			end = cutPoint(text, start, end)
		}
		if c := text[start:end]; !blank(c) {
			out = append(out, chunk{Text: c, Start: start, End: end})
		}
		if end == len(text) {
			break
		}
		next := max(end-overlap, start+1)
		for next < end && !utf8.RuneStart(text[next]) {
			next++
		}
		start = next
	}
	return out
}

// cutPoint moves end back to just after a space in the last quarter of
// the window, or else to a rune boundary.
func cutPoint(text string, start, end int) int {
	for i := end; i > start+(end-start)*3/4; i-- {
		if text[i-1] == ' ' || text[i-1] == '\n' {
			return i
		}
	}
	for end > start+1 && !utf8.RuneStart(text[end]) {
		end--
	}
	return end
}

func blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
