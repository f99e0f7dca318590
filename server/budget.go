package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Reading a body: what a request reserves of the pending-bytes budget
// before its body arrives, how much more it reserves ahead of each read,
// and the longest a body may take whatever its rate (as http.Server's
// ReadTimeout in [Server.ListenAndServe], which a read deadline replaces).
const (
	// minReservation is the decoder's buffer and the answer of a small
	// request; bodies up to it may use the quarter of the budget kept
	// for small requests.
	minReservation = 64 << 10
	readStep       = 64 << 10
	bodyTimeout    = time.Minute
)

// Defaults of the body's minimum rate (Options.MinBodyRate, BodyGrace).
const (
	DefaultMinBodyRate = 1 << 10
	DefaultBodyGrace   = 10 * time.Second
)

// The errors of reading a body through [body], which [Server.errorFor]
// maps: each asks for a different answer.
var (
	// errBodyRead wraps every error of reading a body other than its
	// end (io.EOF), so that the mapper can tell a broken connection from
	// an engine's failure.
	errBodyRead = errors.New("server: cannot read the request body")
	// errBudget: the pending-bytes budget cannot hold more of this body
	// now (429).
	errBudget = errors.New("server: the pending-bytes budget is spent")
)

// slowBodyError: the body arrived slower than Options.MinBodyRate.
type slowBodyError struct {
	rate  int64
	grace time.Duration
}

func (e *slowBodyError) Error() string {
	return fmt.Sprintf("the request body arrived slower than %d bytes per second (after the first %v)", e.rate, e.grace)
}

// budget bounds the bytes of the request bodies being handled at once.
// A request reserves bytes as its body arrives (a step ahead of each
// read, see [body]) and returns them all when it is answered; a body
// without a Content-Length, or one that trickles, holds only what it
// has sent. What a request holds in memory while it is decoded and
// evaluated (its texts or token ids, their tokens, its vectors) grows
// with its body, so this bounds the memory of all requests together.
type budget struct {
	mu   sync.Mutex
	free int64
	max  int64
}

func newBudget(max int64) *budget { return &budget{free: max, max: max} }

// take reserves n more bytes for a request that will then hold total, or
// returns false at once when they are not free. A quarter of the budget
// is kept for small requests (holding up to minReservation): large
// bodies cannot starve them.
func (b *budget) take(n, total int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.free
	if total > minReservation {
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

// body reads a request body within the server's limits: at most
// MaxBodyBytes (413 above), reserving the budget a step ahead of what
// it reads (429 when the budget cannot hold the next step), and no
// slower than MinBodyRate after BodyGrace (408), enforced with the
// connection's read deadline so that a stalled read ends on time.
type body struct {
	s     *Server
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	read  int64
	held  int64
	done  bool // at the end of the body: the deadline is cleared
}

// admit is what every request with a body passes first: not while the
// server shuts down, not over MaxBodyBytes when the client says its
// length, and only when the budget has minReservation free (429
// otherwise). The caller reads the body through the returned reader,
// and calls its release when answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*body, *APIError) {
	if s.closing.Load() {
		return nil, shuttingDown()
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, tooLarge(s.opts.MaxBodyBytes)
	}
	first := min(minReservation, s.opts.MaxBodyBytes)
	if !s.budget.take(first, first) {
		return nil, overloaded()
	}
	return &body{s: s, r: http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), rc: http.NewResponseController(w),
		start: time.Now(), held: first}, nil
}

// Read implements io.Reader. Its errors other than io.EOF wrap
// errBodyRead (and a *http.MaxBytesError, errBudget or a
// *slowBodyError).
func (b *body) Read(p []byte) (int, error) {
	p, err := b.reserve(p[:min(len(p), readStep)])
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errBodyRead, err)
	}
	b.deadline()
	n, err := b.r.Read(p)
	b.read += int64(n)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, fmt.Errorf("%w: %w", errBodyRead, &slowBodyError{rate: b.s.opts.MinBodyRate, grace: b.s.opts.BodyGrace})
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("%w: %w", errBodyRead, err)
	case err == io.EOF && !b.done:
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{}) // nothing more to read: no deadline on what follows
		if keep := max(b.read, minReservation); b.held > keep {
			b.s.budget.release(b.held - keep)
			b.held = keep
		}
	}
	return n, err
}

// reserve grows the reservation to cover p, or as much of it as the
// budget allows, and returns p cut to what is reserved; errBudget when
// nothing more is. The byte past MaxBodyBytes, which MaxBytesReader
// reads to refuse the body, needs none.
func (b *body) reserve(p []byte) ([]byte, error) {
	limit := b.s.opts.MaxBodyBytes
	if b.read >= limit {
		return p[:min(len(p), 1)], nil
	}
	if want := min(b.read+int64(len(p)), limit); want > b.held && b.s.budget.take(want-b.held, want) {
		b.held = want
	}
	if b.held <= b.read {
		return nil, errBudget
	}
	return p[:min(int64(len(p)), b.held-b.read)], nil
}

// deadline sets the connection's read deadline for the next read: the
// body must have arrived, BodyGrace after it began, at MinBodyRate (its
// n bytes by start + BodyGrace + n/MinBodyRate), and whole within
// bodyTimeout. Where the connection cannot take deadlines
// (http.ErrNotSupported) the rate is not enforced.
func (b *body) deadline() {
	dl := b.start.Add(bodyTimeout)
	if rate := b.s.opts.MinBodyRate; rate > 0 {
		if r := b.start.Add(b.s.opts.BodyGrace + time.Duration(float64(b.read)/float64(rate)*float64(time.Second))); r.Before(dl) {
			dl = r
		}
	}
	_ = b.rc.SetReadDeadline(dl)
}

// release returns what the request holds of the budget.
func (b *body) release() {
	b.s.budget.release(b.held)
	b.held = 0
}
