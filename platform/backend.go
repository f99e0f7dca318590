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
// are [CPU], [Native], [CUDA], [Metal] and [Vulkan], and the zero value,
// which means "not chosen".
type Backend struct{ name string }

// The backends embellama knows how to install and load.
var (
	CPU    = Backend{"cpu"}
	CUDA   = Backend{"cuda"}
	Metal  = Backend{"metal"}
	Vulkan = Backend{"vulkan"}
	// Native is the CPU library `embellama lib build` compiles from the
	// pinned llama.cpp source for the machine it runs on (GGML_NATIVE):
	// no package ships it, and it is never downloaded.
	Native = Backend{"native"}
)

// Backends returns every backend, in the order they are preferred when more
// than one is available.
func Backends() []Backend { return []Backend{CUDA, Metal, Vulkan, Native, CPU} }

// ParseBackend returns the backend named s, ignoring case.
func ParseBackend(s string) (Backend, error) {
	for _, b := range Backends() {
		if strings.EqualFold(s, b.name) {
			return b, nil
		}
	}
	return Backend{}, fmt.Errorf("%w: %q (want one of cpu, native, cuda, metal, vulkan)", ErrUnknownBackend, s)
}

// String returns the lower-case name of the backend, or "" for the zero value.
func (b Backend) String() string { return b.name }

// GPU reports whether b is a GPU backend (CUDA, Metal, Vulkan): one whose
// library can find no device and run on the CPU instead.
func (b Backend) GPU() bool { return b == CUDA || b == Metal || b == Vulkan }

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
