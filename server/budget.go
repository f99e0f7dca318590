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

// Reading a body: the size up to which a body counts as small, the
// most one read takes in (and so the most a request reads before the
// budget refuses it), and the longest a body may take whatever its rate
// (as http.Server's ReadTimeout in [Server.ListenAndServe], which a read
// deadline replaces).
const (
	// smallBody: bodies up to it may use the quarter of the budget kept
	// for small requests.
	smallBody   = 64 << 10
	readStep    = 64 << 10
	bodyTimeout = time.Minute
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
// A request reserves the bytes of its body as they arrive (after each
// read, what it read; see [body]) and returns them all when it is
// answered, so a connection that has sent its headers and nothing more
// holds none of it, and one that trickles holds only what it has sent.
//
// # What bounds memory
//
// The budget bounds the request bodies being read and handled, not all
// that requests hold. Beyond its body, what one request holds is
// bounded by the server's other limits: its decoded texts or ids by its
// body (at most MaxBodyBytes); their tokens by MaxInputs ×
// MaxInputBytes (a token covers at least a byte, plus the prompt's) or
// MaxRequestTokens; the answers built from token ids (/detokenize,
// /tokenize with_pieces) by [Server.answerLimit], MaxBodyBytes of text,
// refused with 413 before they pass it; the vectors of /v1/embeddings
// and of chunks by MaxInputs × the model's dimensions (4,096 × 1,024
// float32 is 16 MiB, about 60 MiB as JSON) and rerank's scores by
// MaxInputs. The number of requests past their bodies at once is
// bounded by the engine's queue (embed.Config.MaxQueue texts per
// model) and the connections, not by this budget: the memory of all
// requests is the budget plus those per-request bounds times the
// requests in flight.
type budget struct {
	mu   sync.Mutex
	free int64
	max  int64
}

func newBudget(max int64) *budget { return &budget{free: max, max: max} }

// take reserves n more bytes for a request that will then hold total, or
// returns false at once when they are not free. A quarter of the budget
// is kept for small requests (holding up to smallBody): large bodies
// cannot starve them.
func (b *budget) take(n, total int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	free := b.free
	if total > smallBody {
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
// MaxBodyBytes (413 above), reserving the budget for each read's bytes
// once they have arrived (429 when the budget cannot hold them), and no
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
// server shuts down, and not over MaxBodyBytes when the client says its
// length. It reserves nothing: the body's bytes are reserved as they
// arrive. The caller reads the body through the returned reader, and
// calls its release when answered.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*body, *APIError) {
	if s.closing.Load() {
		return nil, shuttingDown()
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, tooLarge(s.opts.MaxBodyBytes)
	}
	return &body{s: s, r: http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), rc: http.NewResponseController(w),
		start: time.Now()}, nil
}

// Read implements io.Reader: it reads at most readStep bytes, then
// reserves what it read. Its errors other than io.EOF wrap errBodyRead
// (and a *http.MaxBytesError, errBudget or a *slowBodyError).
func (b *body) Read(p []byte) (int, error) {
	b.deadline()
	n, err := b.r.Read(p[:min(len(p), readStep)])
	if !b.reserve(n) {
		return 0, fmt.Errorf("%w: %w", errBodyRead, errBudget)
	}
	b.read += int64(n)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, fmt.Errorf("%w: %w", errBodyRead, &slowBodyError{rate: b.s.opts.MinBodyRate, grace: b.s.opts.BodyGrace})
	case err != nil && err != io.EOF:
		return n, fmt.Errorf("%w: %w", errBodyRead, err)
	case err == io.EOF && !b.done:
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{}) // nothing more to read: no deadline on what follows
	}
	return n, err
}

// reserve reserves the n bytes just read, or reports false when the
// budget cannot hold them. The byte past MaxBodyBytes, which
// MaxBytesReader reads to refuse the body, needs none.
func (b *body) reserve(n int) bool {
	charge := min(int64(n), max(0, b.s.opts.MaxBodyBytes-b.read))
	if charge == 0 {
		return true
	}
	if !b.s.budget.take(charge, b.read+charge) {
		return false
	}
	b.held += charge
	return true
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
