package embed

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/embellama/embellama/platform"
)

// DefaultContextSize is the context size (tokens) used when none is given,
// capped by the model's trained context. Longer texts are refused with
// [ErrTooLong] unless a larger context is configured.
const DefaultContextSize = 4096

// Option configures [Open].
type Option func(*options) error

type options struct {
	library string
	backend platform.Backend
	ctxSize int
	threads int
	logger  *slog.Logger
}

func defaultOptions() options {
	return options{backend: platform.CPU, threads: runtime.NumCPU()}
}

// WithLibrary names the llama library file, or a directory holding it. By
// default the library is searched for as package platform describes:
// $EMBELLAMA_LIB_DIR, the executable's directory, then
// ./lib/<goos>-<goarch>-<backend>.
func WithLibrary(path string) Option {
	return func(o *options) error { o.library = path; return nil }
}

// WithBackend selects which installed library to search for (CPU by
// default).
func WithBackend(b platform.Backend) Option {
	return func(o *options) error {
		if b.IsZero() {
			return fmt.Errorf("%w: backend is unset", ErrInvalidOption)
		}
		o.backend = b
		return nil
	}
}

// WithContextSize sets the context size in tokens: the longest text the
// engine accepts, special tokens included. It is capped by the model's
// trained context. The default is [DefaultContextSize].
func WithContextSize(n int) Option {
	return func(o *options) error {
		if n < 8 || n > 1<<20 {
			return fmt.Errorf("%w: context size %d (want 8 to %d)", ErrInvalidOption, n, 1<<20)
		}
		o.ctxSize = n
		return nil
	}
}

// WithThreads sets the number of CPU threads llama.cpp uses. The default
// is the number of logical CPUs.
func WithThreads(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: threads %d (want 1 to 1024)", ErrInvalidOption, n)
		}
		o.threads = n
		return nil
	}
}

// WithLogger routes llama.cpp's log lines to l (see llama.SetLogger). By
// default they are discarded.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}
