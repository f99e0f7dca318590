package layout

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deterministic is the rule the planner gives a flash-attention model
// with a 512-token batch.
var deterministic = Rule{Lane: 16, Tile: 64, Min: 64, Cap: 512}

func TestPlacer(t *testing.T) {
	for _, c := range []struct {
		name    string
		rule    Rule
		lengths []int
		offsets []int
		size    int
	}{
		{"tight", Rule{}, []int{3, 5, 1}, []int{0, 3, 8}, 9},
		{"tight empty", Rule{}, nil, nil, 0},
		{"alone short gets the minimum", deterministic, []int{10}, []int{0}, 64},
		{"alone a lane exactly gets filler", Rule{Lane: 16, Cap: 512}, []int{16}, []int{0}, 32},
		{"alone a lane short needs no more filler", Rule{Lane: 16, Cap: 512}, []int{15}, []int{0}, 16},
		{"lanes", Rule{Lane: 16, Cap: 512}, []int{3, 17, 16}, []int{0, 16, 48}, 64},
		{"no text crosses a tile", deterministic, []int{40, 30, 20}, []int{0, 64, 96}, 128},
		{"first fit", deterministic, []int{40, 30, 10}, []int{0, 64, 48}, 96},
		{"a long text starts on a tile", deterministic, []int{10, 70}, []int{0, 64}, 144},
		{"after a long text, the rest of its tile", deterministic, []int{70, 10}, []int{0, 80}, 96},
		{"filling the batch alone drops the filler", deterministic, []int{512}, []int{0}, 512},
		{"nearly filling it keeps it", deterministic, []int{500}, []int{0}, 512},
		{"two that fill it need none", Rule{Lane: 16, Cap: 512}, []int{256, 256}, []int{0, 256}, 512},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.rule.Placer()
			var got []int
			for _, n := range c.lengths {
				got = append(got, p.Add(n))
			}
			assert.Equal(t, c.offsets, got)
			assert.Equal(t, c.size, p.Size())
			assert.Equal(t, len(c.lengths), p.Count())
		})
	}
}

// FuzzPlacer checks the rule's promises for any lengths: sequences do
// not overlap, each starts on a lane, one of at most a tile stays in one
// tile and a longer one starts on a tile, the batch is a multiple of the
// lane of at least Min tokens that holds every sequence, has a gap (a
// filler token) whenever one sequence is alone and short of the cap,
// and is never more than a tile plus a lane per sequence larger than
// the tokens placed.
func FuzzPlacer(f *testing.F) {
	f.Add([]byte{10, 70, 3, 64, 65, 1})
	f.Add([]byte{255, 255})
	f.Add([]byte{16})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, r := range []Rule{deterministic, {Lane: 16, Cap: 512}, {Lane: 8, Tile: 32, Min: 32, Cap: 256}} {
			p := r.Placer()
			used := make([]bool, r.Cap)
			end, sum := 0, 0
			for _, b := range data {
				n := int(b)%r.Cap + 1
				q := p.Clone()
				off := q.Add(n)
				if q.Size() > r.Cap {
					continue // the scheduler would not take it
				}
				p = q
				require.Zero(t, off%r.Lane, "offset %d off the lane", off)
				for i := off; i < off+n; i++ {
					require.False(t, used[i], "%d tokens at %d overlap", n, off)
					used[i] = true
				}
				if n <= r.Tile {
					require.Equal(t, off/r.Tile, (off+n-1)/r.Tile, "%d tokens at %d cross a tile", n, off)
				} else if r.Tile > 0 {
					require.Zero(t, off%r.Tile, "a long text at %d", off)
				}
				end, sum = max(end, off+n), sum+n
			}
			if p.Count() == 0 {
				continue
			}
			size := p.Size()
			require.Zero(t, size%r.Lane)
			require.GreaterOrEqual(t, size, max(end, r.Min))
			require.LessOrEqual(t, size, r.Cap)
			if p.Count() == 1 && sum < r.Cap {
				require.Greater(t, size, sum, "alone without filler")
			}
			require.LessOrEqual(t, size, max(r.Min, sum+p.Count()*(r.Tile+r.Lane)))
		}
	})
}

// TestCloneIsIndependent: what a clone places does not move the
// original's placements (the scheduler tries a sequence on a clone).
func TestCloneIsIndependent(t *testing.T) {
	p := deterministic.Placer()
	p.Add(40)
	q := p.Clone()
	q.Add(10)
	assert.Equal(t, 48, p.Add(10), "the original's tile still has its room")
}
