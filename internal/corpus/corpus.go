// Package corpus generates the deterministic benchmark corpus: English-like
// sentences from a fixed word list, short (5 to 60 words) or long (300 to
// 500 tokens for a WordPiece or BPE vocabulary, 250 to 420 words). No
// download, no randomness between runs: the same seed gives the same texts.
package corpus

import (
	"math/rand/v2"
	"strings"
)

// Kind selects text lengths.
type Kind int

// Kinds.
const (
	Short Kind = iota // 5 to 60 words
	Long              // 250 to 420 words, about 300 to 500 tokens
)

// String returns "short" or "long".
func (k Kind) String() string {
	if k == Long {
		return "long"
	}
	return "short"
}

// Generate returns n texts of kind k: the first n texts of a
// [Generator] with the same kind and seed.
func Generate(k Kind, n int, seed uint64) []string {
	g := NewGenerator(k, seed)
	texts := make([]string, n)
	for i := range texts {
		texts[i] = g.Next()
	}
	return texts
}

// Generator yields the texts of a corpus one at a time, so a long run
// need not hold them all.
type Generator struct {
	r      *rand.Rand
	lo, hi int
	b      strings.Builder
}

// NewGenerator returns a generator of texts of kind k.
func NewGenerator(k Kind, seed uint64) *Generator {
	g := &Generator{r: rand.New(rand.NewPCG(seed, uint64(k)+0x5eed)), lo: 5, hi: 60}
	if k == Long {
		g.lo, g.hi = 250, 420
	}
	return g
}

// Next returns the next text.
func (g *Generator) Next() string {
	r, b := g.r, &g.b
	b.Reset()
	words := g.lo + r.IntN(g.hi-g.lo+1)
	sentence := 0
	for w := range words {
		word := vocabulary[r.IntN(len(vocabulary))]
		if sentence == 0 {
			word = strings.ToUpper(word[:1]) + word[1:]
		}
		if w > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(word)
		sentence++
		if sentence > 6 && (r.IntN(10) == 0 || w == words-1) {
			b.WriteByte('.')
			sentence = 0
		} else if r.IntN(25) == 0 {
			b.WriteByte(',')
		}
	}
	if sentence != 0 {
		b.WriteByte('.')
	}
	return b.String()
}

// vocabulary holds common English words, most of them one token in
// WordPiece and BPE vocabularies.
var vocabulary = strings.Fields(`
the of and to in is was for that with as on by at from his her are an be this which or had not but
have were they their one all been has more when there who would will its into no can only other new
some time could these two may first then any out like over such our also most after years where about
made many before through back much should well people year way between own under even because city
world life being very while day during work part state same high without long school still same group
system public water number small large country light river music house market early place point since
both area family government program word story table night order report power field river company study
open answer paper water model language question result service garden process summer energy window
forest mountain village ocean island bridge station library museum letter journey picture animal
morning evening winter spring autumn weather travel history science nature health doctor teacher
student office friend mother father brother sister children young old great small little large good
best better right left simple clear quiet bright dark warm cold green blue red white black golden
quickly slowly carefully often always never sometimes together almost already again soon today
build write read speak listen learn teach bring carry follow change create design develop explain
discover measure observe protect provide receive remember return support visit wait watch walk
train plant paint climb travel share grow cook clean drive fly sail swim run jump play sing dance
computer network software database server memory engine signal vector search index query document
`)
