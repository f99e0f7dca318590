package embedbeam_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	//lint:ignore SA1019 the direct runner is one of the runners measured.
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/direct"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
)

// envMeasure turns TestThroughput on; it is a measurement, not a check.
const envMeasure = "EMBEDBEAM_MEASURE"

// TestThroughput measures, in rounds, the texts per second of the same
// 10,000 texts embedded by the library alone (one EmbedBatch of all of
// them, the engine already open), by the pipeline of 4 shards on the
// direct runner and on prism, and of 1 shard on prism (engine opening
// included): a measurement for
// docs/beam.md, run with EMBEDBEAM_MEASURE=<rounds>.
func TestThroughput(t *testing.T) {
	rounds, err := strconv.Atoi(os.Getenv(envMeasure))
	if err != nil || rounds < 1 {
		t.Skipf("a measurement: set %s to the number of rounds", envMeasure)
	}
	if !inPrivateNetwork(t) {
		return
	}
	engine := testenv.Open(t, openEngine)
	good := testenv.Texts(prismTexts)
	_, err = engine.EmbedBatch(t.Context(), "", good[:256]) // warm up
	require.NoError(t, err)
	rate := func(took time.Duration) float64 { return float64(len(good)) / took.Seconds() }
	for r := 1; r <= rounds; r++ {
		start := time.Now()
		res, err := engine.EmbedBatch(t.Context(), "", good)
		require.NoError(t, err)
		require.NoError(t, res.Err())
		library := time.Since(start)
		_, _, _, onDirect := runSharded(t, direct.Execute, prismShards)
		_, _, _, onPrism := runSharded(t, prism.Execute, prismShards)
		most := probe.most.Load()
		_, _, _, onPrism1 := runSharded(t, prism.Execute, 1)
		t.Logf("throughput figures, round %d: library %.0f texts/s, direct %.0f, prism %.0f (%d bundles at most at once), prism with 1 shard %.0f",
			r, rate(library), rate(onDirect), rate(onPrism), most, rate(onPrism1))
	}
}
