package server

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Defaults for zero Options fields.
const (
	DefaultMaxBodyBytes  = 16 << 20
	DefaultMaxInputs     = 4096
	DefaultMaxInputBytes = 1 << 20
	DefaultTimeout       = 5 * time.Minute
)

// The largest values of the Options limits that [New] accepts
// ([ErrInvalidOptions] above them). They are far above any use, and keep
// the server's arithmetic on them (4 × MaxBodyBytes, a body's deadline
// of BodyGrace + MaxBodyBytes/MinBodyRate seconds, Timeout + a minute)
// clear of overflow.
const (
	MaxMaxBodyBytes     = 1 << 30 // 1 GiB
	MaxMaxInputs        = 1 << 24
	MaxMaxInputBytes    = 1 << 30 // 1 GiB
	MaxMaxRequestTokens = math.MaxInt32
	MaxMaxPendingBytes  = 1 << 40 // 1 TiB
	MaxTimeout          = 24 * time.Hour
	MaxBodyGrace        = bodyTimeout // every body must arrive within it anyway
)

// NoMinBodyRate, as Options.MinBodyRate, enforces no minimum rate: the
// one negative value of the Options that [New] accepts.
const NoMinBodyRate = -1

// ErrInvalidOptions: an Options limit is negative, or above its largest
// value (MaxMaxBodyBytes and the others). New returns it wrapped in an
// [*OptionError] that names the field, rather than replace the value by
// its default: a limit a user gave is never silently changed.
var ErrInvalidOptions = errors.New("server: invalid options")

// OptionError reports an Options field that [New] refuses. It matches
// [ErrInvalidOptions] with [errors.Is].
type OptionError struct {
	// Field is the Options field, such as "MaxBodyBytes".
	Field string
	// Value is the value given.
	Value any
	// Reason says what is wrong and what is accepted.
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%v: Options.%s %v %s", ErrInvalidOptions, e.Field, e.Value, e.Reason)
}

// Unwrap returns [ErrInvalidOptions].
func (e *OptionError) Unwrap() error { return ErrInvalidOptions }

// Options configures a [Server]. Of its limits, 0 means the default
// each names; a negative value (but MinBodyRate's [NoMinBodyRate]) or
// one above its largest (MaxMaxBodyBytes and the others) makes [New]
// fail with an [*OptionError].
type Options struct {
	// Engine serves the requests. Required; an [*embed.Engine] or any
	// other implementation of [Engine].
	Engine Engine
	// APIKey, when set, is required as "Authorization: Bearer <key>" (the
	// scheme in any case) on the API routes, and to see model names on
	// /health. A key with white space at either end or a control
	// character is refused by New ([ErrInvalidAPIKey]), not trimmed.
	APIKey string
	// MaxBodyBytes bounds a request body (413 above it). 0: 16 MiB; at
	// most 1 GiB.
	MaxBodyBytes int64
	// MaxInputs bounds the inputs of one request (413 above it); they are
	// split into batches by token budget, so any number up to it works.
	// 0: 4096; at most 2^24.
	MaxInputs int
	// MaxInputBytes bounds one text, in bytes (413 above it), which also
	// bounds the time spent tokenizing it. 0: 1 MiB; at most 1 GiB.
	MaxInputBytes int
	// MaxRequestTokens bounds the tokens of one request (413 above it),
	// checked before anything is evaluated. 0: no bound; at most
	// 2^31 - 1.
	MaxRequestTokens int
	// MaxPendingBytes bounds the request bodies handled at once, summed
	// (429 with Retry-After when a body's next bytes do not fit): a body
	// holds what it has sent, reserved after each read of at most
	// 64 KiB, until it is answered (a connection that has sent only its
	// headers holds nothing); a quarter is kept for bodies up to 64 KiB,
	// so that large ones cannot starve small ones. At least 4/3 of
	// MaxBodyBytes. 0: four bodies of MaxBodyBytes; at most 1 TiB.
	MaxPendingBytes int64
	// MinBodyRate is the slowest, in bytes per second, that a request
	// body may arrive once BodyGrace has passed: a body must have sent
	// its first n bytes by BodyGrace + n/MinBodyRate after the request
	// began, or the server answers 408 and closes the connection, so
	// that clients trickling bodies hold neither connections nor budget
	// for long. Every body must also arrive within a minute. 0: 1 KiB/s;
	// [NoMinBodyRate]: no minimum rate.
	MinBodyRate int64
	// BodyGrace is the time a body has before MinBodyRate applies. 0:
	// 10 s; at most a minute.
	BodyGrace time.Duration
	// Timeout bounds the handling of one request (503 when it runs out).
	// 0: 5 minutes; at most 24 hours.
	Timeout time.Duration
	// Aliases maps names that clients send (say "text-embedding-3-small")
	// to loaded model names. Default: none.
	Aliases map[string]string
	// Models names the models that will be loaded after New, if any:
	// until each is loaded, requests naming it answer 503 with
	// Retry-After, and /health answers 503. Without it the server is
	// ready as soon as the engine has a model.
	Models []string
	// DefaultModel is the model (or alias) of the requests that name
	// none. Default: the first of Models (serve's -model, under any
	// name); without Models, the engine's own default (its only model,
	// or the one named embed.DefaultModelName).
	DefaultModel string
	// Logger logs failed requests and internal errors, and one access
	// line per request at level Info ("request": route, method, dialect,
	// model, status, inputs, tokens, queue_wait, evaluation, duration,
	// bytes_in, bytes_out). Default: discard.
	Logger *slog.Logger
	// TracerProvider, when set, traces each request: a span named after
	// its route, with child spans tokenize, queue and decode (tracing.go).
	// Default: none.
	TracerProvider trace.TracerProvider
	// Registerer receives the metrics. Default: a registry of the
	// server's own, served on /metrics.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics when Registerer is set. Default:
	// prometheus.DefaultGatherer when Registerer is the default registry.
	Gatherer prometheus.Gatherer
}

// limit is one Options limit: its field's name, value and largest
// value, and where to write its default when it is 0.
type limit struct {
	field    string
	value    int64
	max      int64
	setDflt  func()
	negative bool // a negative value is accepted (MinBodyRate's NoMinBodyRate)
}

// limits checks o's limits and fills the defaults of those that are 0
// (see [Options]); it returns an *OptionError for the first one out of
// range.
func (o *Options) limits() error {
	for _, l := range []limit{
		{"MaxBodyBytes", o.MaxBodyBytes, MaxMaxBodyBytes, func() { o.MaxBodyBytes = DefaultMaxBodyBytes }, false},
		{"MaxInputs", int64(o.MaxInputs), MaxMaxInputs, func() { o.MaxInputs = DefaultMaxInputs }, false},
		{"MaxInputBytes", int64(o.MaxInputBytes), MaxMaxInputBytes, func() { o.MaxInputBytes = DefaultMaxInputBytes }, false},
		{"MaxRequestTokens", int64(o.MaxRequestTokens), MaxMaxRequestTokens, func() {}, false},
		{"MaxPendingBytes", o.MaxPendingBytes, MaxMaxPendingBytes, func() { o.MaxPendingBytes = 4 * o.MaxBodyBytes }, false},
		{"MinBodyRate", o.MinBodyRate, math.MaxInt64, func() { o.MinBodyRate = DefaultMinBodyRate }, o.MinBodyRate == NoMinBodyRate},
		{"BodyGrace", int64(o.BodyGrace), int64(MaxBodyGrace), func() { o.BodyGrace = DefaultBodyGrace }, false},
		{"Timeout", int64(o.Timeout), int64(MaxTimeout), func() { o.Timeout = DefaultTimeout }, false},
	} {
		switch {
		case l.value == 0:
			l.setDflt() // in order: MaxPendingBytes's default follows MaxBodyBytes's
		case l.value < 0 && !l.negative:
			return &OptionError{Field: l.field, Value: l.show(l.value), Reason: "is negative; give a positive value, or 0 for the default"}
		case l.value > l.max:
			return &OptionError{Field: l.field, Value: l.show(l.value), Reason: fmt.Sprintf("is above the largest accepted, %v", l.show(l.max))}
		}
	}
	if o.MaxPendingBytes-o.MaxPendingBytes/4 < o.MaxBodyBytes {
		return &OptionError{Field: "MaxPendingBytes", Value: o.MaxPendingBytes,
			Reason: fmt.Sprintf("is below 4/3 of MaxBodyBytes %d: a request of the largest size could never be served (a quarter is kept for small requests)", o.MaxBodyBytes)}
	}
	return nil
}

// show is v as the field's type prints it: durations as durations.
func (l limit) show(v int64) any {
	if l.field == "BodyGrace" || l.field == "Timeout" {
		return time.Duration(v)
	}
	return v
}
