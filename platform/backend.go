package platform

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownBackend is returned by [ParseBackend] for a name that is not a
// backend.
var ErrUnknownBackend = errors.New("platform: unknown backend")

// Backend is a compute backend of ggml. The set is closed: the only values
// are [CPU], [CUDA], [Metal] and [Vulkan], and the zero value, which means
// "not chosen".
type Backend struct{ name string }

// The backends embellama knows how to install and load.
var (
	CPU    = Backend{"cpu"}
	CUDA   = Backend{"cuda"}
	Metal  = Backend{"metal"}
	Vulkan = Backend{"vulkan"}
)

// Backends returns every backend, in the order they are preferred when more
// than one is available.
func Backends() []Backend { return []Backend{CUDA, Metal, Vulkan, CPU} }

// ParseBackend returns the backend named s, ignoring case.
func ParseBackend(s string) (Backend, error) {
	for _, b := range Backends() {
		if strings.EqualFold(s, b.name) {
			return b, nil
		}
	}
	return Backend{}, fmt.Errorf("%w: %q (want one of cpu, cuda, metal, vulkan)", ErrUnknownBackend, s)
}

// String returns the lower-case name of the backend, or "" for the zero value.
func (b Backend) String() string { return b.name }

// IsZero reports whether b is the zero value.
func (b Backend) IsZero() bool { return b.name == "" }

// MarshalText implements [encoding.TextMarshaler].
func (b Backend) MarshalText() ([]byte, error) { return []byte(b.name), nil }

// UnmarshalText implements [encoding.TextUnmarshaler]. Empty text gives the
// zero value.
func (b *Backend) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*b = Backend{}
		return nil
	}
	v, err := ParseBackend(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}
