package testenv

import (
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// DefaultModel is the shared model the tests of the modules beside the
// root (contrib/*, examples/*) embed with: a small BERT with mean pooling
// (random weights, a real vocabulary), in [ModelsDir].
const DefaultModel = "bert-mean.gguf"

// Open returns what open makes of the installed CPU library ([Library])
// and [DefaultModel], failing t if it fails, and closes it when t ends:
// an engine, made by the caller so that this package imports no engine.
func Open[T io.Closer](t testing.TB, open func(library, model string) (T, error)) T {
	t.Helper()
	v, err := open(Library(t), Model(t, DefaultModel))
	if err != nil {
		t.Fatalf("testenv: opening the engine: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// CosineOf returns the cosine similarity of a and b (0 when either is
// zero or their lengths differ).
func CosineOf[F float32 | float64](a, b []F) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// Texts returns n distinct short texts, deterministic, for batch tests.
func Texts(n int) []string {
	words := []string{"river", "stone", "lamp", "orbit", "cedar", "quartz", "harbor", "meadow", "signal", "copper", "violet", "thunder"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := 0; j <= i%7+2; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[(i*(j+3)+j*j+i/len(words))%len(words)])
		}
		b.WriteString(" #")
		b.WriteString(strconv.Itoa(i))
		out[i] = b.String()
	}
	return out
}
