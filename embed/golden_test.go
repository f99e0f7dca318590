package embed_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/fixtures"
	"github.com/embellama/embellama/internal/testenv"
)

// TestGoldenFixtures checks every generated architecture against the
// vectors llama.cpp's llama-embedding (built from the pinned source)
// recorded for it in testdata/golden.
func TestGoldenFixtures(t *testing.T) {
	for _, s := range fixtures.Specs() {
		if s.Benchmark {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "testdata", "golden", s.Name+".json"))
			require.NoError(t, err)
			var g struct {
				Dim     int    `json:"dim"`
				Pooling string `json:"pooling"`
				Results []struct {
					Text      string    `json:"text"`
					Embedding []float64 `json:"embedding"`
				} `json:"results"`
			}
			require.NoError(t, json.Unmarshal(b, &g))
			require.NotEmpty(t, g.Results)

			e := newEngine(t, embed.Config{ModelConfig: embed.ModelConfig{ModelPath: testenv.Fixture(t, s.Name)}})
			info, err := e.ModelInfo("")
			require.NoError(t, err)
			assert.Equal(t, g.Dim, info.Dim)
			assert.Equal(t, g.Pooling, info.Pooling.String())
			assert.Equal(t, s.Arch, info.Architecture)

			refs := make([]testenv.Reference, len(g.Results))
			texts := make([]string, len(g.Results))
			for i, r := range g.Results {
				texts[i] = r.Text
				refs[i] = testenv.Reference{Text: r.Text, Want: r.Embedding}
			}
			batch, err := e.EmbedBatch(context.Background(), "", texts)
			require.NoError(t, err)
			require.NoError(t, batch.Err())
			check(t, s.Name+" batched", refs, batch.Vectors)
			single := make([][]float32, len(texts))
			for i, text := range texts {
				single[i], err = e.Embed(context.Background(), "", text)
				require.NoError(t, err)
			}
			check(t, s.Name+" one by one", refs, single)

			// The fixture's vectors are finite and distinct.
			for i := range single {
				for k := i + 1; k < len(single); k++ {
					if texts[i] != texts[k] {
						assert.NotEqual(t, single[i], single[k], "%q and %q", texts[i], texts[k])
					}
				}
			}
		})
	}
}
