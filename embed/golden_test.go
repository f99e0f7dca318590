package embed_test

import (
	"context"
	"encoding/json"
	"fmt"
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

			e, err := embed.Open(context.Background(), testenv.Fixture(t, s.Name), embed.WithLibrary(testenv.Library(t)))
			require.NoError(t, err)
			defer e.Close()
			assert.Equal(t, g.Dim, e.Dim())
			assert.Equal(t, g.Pooling, e.Info().Pooling)
			assert.Equal(t, s.Arch, e.Info().Architecture)

			texts := make([]string, len(g.Results))
			for i, r := range g.Results {
				texts[i] = r.Text
			}
			got, err := e.Embed(context.Background(), texts...)
			require.NoError(t, err)
			worstCos, worstAbs := 1.0, 0.0
			for i, r := range g.Results {
				name := fmt.Sprintf("%d:%.30q", i, r.Text)
				c, d := cosine(got[i], r.Embedding), maxAbsDiff(got[i], r.Embedding)
				assert.GreaterOrEqual(t, c, 0.9999, "cosine of %s", name)
				assert.LessOrEqual(t, d, 1e-3, "max abs diff of %s", name)
				worstCos, worstAbs = min(worstCos, c), max(worstAbs, d)
			}
			t.Logf("%s: %d texts, worst cosine %.9f, worst abs diff %.3g", s.Name, len(g.Results), worstCos, worstAbs)
		})
	}
}
