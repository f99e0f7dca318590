package testenv

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Reference is one text of ../shared/models/reference/<model>.json with
// what llama.cpp computed for it.
type Reference struct {
	Text   string
	Tokens []int32   // special tokens included
	Want   []float64 // L2-normalized
}

// LoadReference reads the reference file of a shared model, failing t if
// it cannot. The fixture files carry the prebuilt library's vectors
// (embedding_l2_prebuilt) and tokens; the stories260K file carries raw
// vectors and tokens without the BOS that llama.cpp prepends.
func LoadReference(t testing.TB, name string) []Reference {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ModelsDir(t), "reference", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Results []struct {
			Text                 string    `json:"text"`
			Tokens               []int32   `json:"tokens"`
			TokensWithoutSpecial []int32   `json:"tokens_without_special"`
			EmbeddingL2Prebuilt  []float64 `json:"embedding_l2_prebuilt"`
			Embedding            []float64 `json:"embedding"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("reference %s: %v", name, err)
	}
	if len(f.Results) == 0 {
		t.Fatalf("reference %s: no results", name)
	}
	var refs []Reference
	for _, r := range f.Results {
		ref := Reference{Text: r.Text, Tokens: r.Tokens, Want: r.EmbeddingL2Prebuilt}
		if ref.Want == nil {
			ref.Tokens = append([]int32{1}, r.TokensWithoutSpecial...) // BOS
			ref.Want = l2(r.Embedding)
		}
		if len(ref.Want) == 0 {
			t.Fatalf("reference for %q has no vector", r.Text)
		}
		refs = append(refs, ref)
	}
	return refs
}

func l2(v []float64) []float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / math.Sqrt(s)
	}
	return out
}

// Cosine returns the cosine similarity of a vector and a reference vector.
func Cosine(a []float32, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * b[i]
		na += float64(a[i]) * float64(a[i])
		nb += b[i] * b[i]
	}
	return dot / math.Sqrt(na*nb)
}
