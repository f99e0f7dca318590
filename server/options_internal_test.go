package server

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
)

// stubEngine is an Engine with one model and no calls, for New alone.
type stubEngine struct{}

func (stubEngine) Models() []string { return []string{"default"} }
func (stubEngine) ModelInfo(string) (embed.ModelInfo, error) {
	return embed.ModelInfo{Name: "default", Dim: 2}, nil
}
func (stubEngine) Stats(string) (embed.Stats, error) { return embed.Stats{}, nil }
func (stubEngine) EmbedBatch(context.Context, string, []string, ...embed.Option) (*embed.Result, error) {
	return nil, errors.New("stub")
}
func (stubEngine) EmbedBatchTokens(context.Context, string, [][]int32, ...embed.Option) (*embed.Result, error) {
	return nil, errors.New("stub")
}

// TestOptionLimits: a zero limit is its documented default, a negative
// one or one above its largest value is refused by New with an
// *OptionError naming the field (ErrInvalidOptions), never replaced by
// the default; the pending-bytes default cannot overflow (review round
// 3, R9 and R10: -max-body -1 served with 16 MiB, -max-body 2^63-1
// failed with "MaxPendingBytes -4").
func TestOptionLimits(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  Options
		field string // "": accepted
		check func(t *testing.T, o Options)
	}{
		{"zero is every default", Options{}, "", func(t *testing.T, o Options) {
			assert.Equal(t, Options{MaxBodyBytes: DefaultMaxBodyBytes, MaxInputs: DefaultMaxInputs, MaxInputBytes: DefaultMaxInputBytes,
				MaxPendingBytes: 4 * DefaultMaxBodyBytes, MinBodyRate: DefaultMinBodyRate, BodyGrace: DefaultBodyGrace, Timeout: DefaultTimeout},
				Options{MaxBodyBytes: o.MaxBodyBytes, MaxInputs: o.MaxInputs, MaxInputBytes: o.MaxInputBytes, MaxRequestTokens: o.MaxRequestTokens,
					MaxPendingBytes: o.MaxPendingBytes, MinBodyRate: o.MinBodyRate, BodyGrace: o.BodyGrace, Timeout: o.Timeout})
		}},
		{"values kept", Options{MaxBodyBytes: 100, MaxInputs: 3, MaxInputBytes: 7, MaxRequestTokens: 9, MaxPendingBytes: 1000, MinBodyRate: 5, BodyGrace: time.Second, Timeout: time.Hour}, "",
			func(t *testing.T, o Options) {
				assert.Equal(t, []any{int64(100), 3, 7, 9, int64(1000), int64(5), time.Second, time.Hour},
					[]any{o.MaxBodyBytes, o.MaxInputs, o.MaxInputBytes, o.MaxRequestTokens, o.MaxPendingBytes, o.MinBodyRate, o.BodyGrace, o.Timeout})
			}},
		{"no minimum rate", Options{MinBodyRate: NoMinBodyRate}, "", func(t *testing.T, o Options) { assert.EqualValues(t, NoMinBodyRate, o.MinBodyRate) }},
		{"largest body", Options{MaxBodyBytes: MaxMaxBodyBytes}, "", func(t *testing.T, o Options) { assert.EqualValues(t, 4*MaxMaxBodyBytes, o.MaxPendingBytes) }},
		{"negative body", Options{MaxBodyBytes: -1}, "MaxBodyBytes", nil},
		{"negative inputs", Options{MaxInputs: -5}, "MaxInputs", nil},
		{"negative input bytes", Options{MaxInputBytes: -1}, "MaxInputBytes", nil},
		{"negative tokens", Options{MaxRequestTokens: -1}, "MaxRequestTokens", nil},
		{"negative pending", Options{MaxPendingBytes: -1}, "MaxPendingBytes", nil},
		{"negative rate", Options{MinBodyRate: -2}, "MinBodyRate", nil},
		{"negative grace", Options{BodyGrace: -time.Second}, "BodyGrace", nil},
		{"negative timeout", Options{Timeout: -1}, "Timeout", nil},
		{"body of 2^61", Options{MaxBodyBytes: 1 << 61}, "MaxBodyBytes", nil},
		{"body of 2^63-1", Options{MaxBodyBytes: math.MaxInt64}, "MaxBodyBytes", nil},
		{"huge inputs", Options{MaxInputs: math.MaxInt}, "MaxInputs", nil},
		{"huge input bytes", Options{MaxInputBytes: math.MaxInt}, "MaxInputBytes", nil},
		{"huge tokens", Options{MaxRequestTokens: math.MaxInt}, "MaxRequestTokens", nil},
		{"huge pending", Options{MaxPendingBytes: math.MaxInt64}, "MaxPendingBytes", nil},
		{"huge grace", Options{BodyGrace: math.MaxInt64}, "BodyGrace", nil},
		{"huge timeout", Options{Timeout: math.MaxInt64}, "Timeout", nil},
		{"pending below the body", Options{MaxBodyBytes: 1000, MaxPendingBytes: 1000}, "MaxPendingBytes", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Engine = stubEngine{}
			s, err := New(tt.opts)
			if tt.field == "" {
				require.NoError(t, err)
				tt.check(t, s.opts)
				return
			}
			require.ErrorIs(t, err, ErrInvalidOptions)
			var oe *OptionError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tt.field, oe.Field)
			assert.Contains(t, err.Error(), tt.field)
			assert.NotContains(t, err.Error(), "-4", "no overflow")
		})
	}
}
