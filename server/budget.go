package server

import "sync"

// budget bounds the bytes of the request bodies being handled at once:
// a request reserves its body's size (its Content-Length, or the body
// limit when it has none) before it is read, and returns it when it is
// answered. What a request holds in memory while it is decoded and
// evaluated (its texts or token ids, their tokens, its vectors) grows
// with its body, so this bounds the memory of all requests together.
type budget struct {
	mu   sync.Mutex
	free int64
	max  int64
}

func newBudget(max int64) *budget { return &budget{free: max, max: max} }

// reserve takes n bytes, or returns false at once when they are not free.
// A quarter of the budget is kept for small requests (up to
// minReservation): large bodies cannot starve them.
func (b *budget) reserve(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.free
	if n > minReservation {
		free -= b.max / 4
	}
	if n > free {
		return false
	}
	b.free -= n
	return true
}

// release returns n bytes.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
}
