package embed

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/embed/internal/sched"
)

// TestGroup: a pooled call is one job; a per-token call is cut into jobs
// of at most max(BatchSize, 4*BatchTarget) tokens, each of at least one
// sequence, so that the rows waiting for their post-processing stay
// bounded.
func TestGroup(t *testing.T) {
	l := &loaded{cfg: ModelConfig{BatchSize: 8, BatchTarget: 1}}
	inputs := func(lens ...int) []sched.Input {
		out := make([]sched.Input, len(lens))
		for i, n := range lens {
			out[i] = sched.Input{Index: i, Tokens: make([]int32, n)}
		}
		return out
	}
	for _, tt := range []struct {
		name     string
		perToken bool
		lens     []int
		want     int
	}{
		{"pooled: all", false, []int{8, 8, 8}, 3},
		{"per token: as many as fit", true, []int{3, 3, 3}, 2},
		{"per token: exactly the budget", true, []int{4, 4, 1}, 2},
		{"per token: all when they fit", true, []int{2, 2}, 2},
		{"per token: one longer than the budget goes alone", true, []int{20, 1}, 1},
		{"per token: none", true, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, l.group(kindOf(PoolingMean, tt.perToken), inputs(tt.lens...)))
		})
	}
}
