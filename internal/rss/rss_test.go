package rss_test

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/internal/rss"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		assert.Zero(t, rss.Current())
		assert.Zero(t, rss.Peak())
		return
	}
	cur, peak := rss.Current(), rss.Peak()
	assert.Greater(t, cur, int64(1<<20), "a Go test process holds more than 1 MiB")
	assert.GreaterOrEqual(t, peak, cur, "the peak is at least the current size")
}
