package sched

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stopping is an evaluator that evaluates in steps: after its first
// step it waits for gate, then asks stop, as the real evaluator does
// between llama_decode calls.
type stopping struct {
	gate    chan struct{}
	started chan struct{}
	decodes atomic.Int32
	stopped atomic.Bool
}

func (e *stopping) Decode(_ Kind, seqs [][]int32, _ int, stop func() bool) (time.Duration, error) {
	e.decodes.Add(1)
	e.started <- struct{}{}
	<-e.gate
	if stop() {
		e.stopped.Store(true)
		return time.Microsecond, ErrStopped
	}
	return time.Microsecond, nil
}

func (e *stopping) Pooled(int) ([]float32, error) { return []float32{1}, nil }
func (e *stopping) Token(int) ([]float32, error)  { return []float32{1}, nil }
func (e *stopping) Close()                        {}

// TestStopCanceledBatch: a batch whose only call was canceled is stopped
// by its evaluator, and its sequences are not retried one by one.
func TestStopCanceledBatch(t *testing.T) {
	ev := &stopping{gate: make(chan struct{}), started: make(chan struct{}, 8)}
	s, err := New(Config{BatchTarget: 64, MaxSequences: 8, Threads: 1}, []Evaluator{ev})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	j := NewJob(Kind{}, 2, []Input{text(0, 1, 4), text(1, 2, 4)})
	require.NoError(t, s.Submit(j))
	<-ev.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Wait(ctx, j, nil), context.Canceled)
	close(ev.gate)
	// The next job runs once the worker has given the stopped batch up.
	j2 := NewJob(Kind{}, 1, []Input{text(0, 3, 4)})
	require.NoError(t, s.Submit(j2))
	require.NoError(t, s.Wait(context.Background(), j2, nil))
	assert.True(t, ev.stopped.Load(), "the evaluator was told to stop")
	assert.Equal(t, int32(2), ev.decodes.Load(), "one decode for each job: no retry per sequence of the stopped one")
}
