package embed

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunStopsAtMaxTotal is review R16's class: a call that fails as a
// whole on its inputs (WithMaxTotalTokens: the sequences together over
// the limit) tokenized every input before the refusal, so a refused call
// cost all of them. Tokenization stops once the running total crosses
// the limit: at most the inputs that crossed it and those in flight.
func TestRunStopsAtMaxTotal(t *testing.T) {
	const n, each, limit = 10000, 10, 100
	var calls atomic.Int64
	l := &loaded{}
	_, err := l.run(context.Background(), spec{o: callOptions{maxTotal: limit}, n: n, limit: 512,
		tokenize: func(int) ([]int32, bool, error) {
			calls.Add(1)
			return make([]int32, each), false, nil
		},
	})
	require.ErrorIs(t, err, ErrTooManyTokens)
	assert.Contains(t, err.Error(), "limit 100")
	assert.LessOrEqual(t, calls.Load(), int64(limit/each+1+runtime.GOMAXPROCS(0)), "tokenizations")
}
