// Package layout places the sequences of a batch so that ggml computes
// each one's outputs with the same operations, in the same order,
// whatever else shares the batch.
//
// In a batch of an encoder, a sequence's tokens are rows of every matrix
// product and columns of the attention and pooling sums. ggml's CPU
// kernels (the pinned source: ggml-cpu/ops.cpp, vec.cpp, simd-gemm.h,
// llamafile/sgemm.cpp) compute each output element in one thread, and
// what changes its bits with the batch is only
//   - where a sequence's keys fall among the SIMD lanes of a sum over the
//     batch's tokens: the softmax sums whole vectors of 16 floats (AVX-512;
//     8 with AVX2, 4 with SSE and NEON), tinyBLAS's products sum lane by
//     lane over k (16 floats);
//   - flash attention's key tiles of 64 (GGML_FA_TILE_KV), across which
//     the running maximum is rescaled, and its tiled path itself, taken
//     only when a batch has at least 64 queries (GGML_FA_TILE_Q);
//   - which kernel a product takes: tinyBLAS needs k a multiple of its
//     lanes and at least two columns (pooling multiplies by one column
//     per sequence), else ggml's vec_dot, which sums in 4 vectors.
//
// Other sequences' keys are masked to -inf, so they add exact zeros to
// every sum. A [Rule] keeps everything else fixed: each sequence starts
// at a multiple of Lane (its keys fill the same lanes as when alone),
// one of at most Tile tokens stays inside one key tile, a longer one
// starts on a tile boundary, the batch is a multiple of Lane and at
// least Min tokens, and a sequence alone gets filler tokens after it so
// that pooling always has two columns. Filler tokens belong to a
// sequence of their own whose outputs are discarded.
package layout

// Rule places sequences. The zero Rule packs them back to back.
type Rule struct {
	// Lane is the alignment of every sequence's first token and of the
	// batch size; 0 packs tight.
	Lane int
	// Tile is the attention key tile: a sequence of at most Tile tokens
	// does not cross a multiple of Tile, a longer one starts on one; 0 for
	// none.
	Tile int
	// Min is the fewest tokens a batch holds, filler included.
	Min int
	// Cap is the most tokens a batch holds, filler included.
	Cap int
}

// Aligned reports whether r places sequences with filler.
func (r Rule) Aligned() bool { return r.Lane > 0 }

// Placer places the sequences of one batch. Sequences of at most a tile
// go to the first tile with room for them (first fit), so that short
// texts of different lengths share tiles; longer ones start a tile of
// their own at the end. Without a tile, sequences go one after another.
type Placer struct {
	r     Rule
	end   int   // the end of the last sequence, rounded up to a lane
	fill  []int // per tile, the lane-rounded tokens placed in it
	count int   // sequences placed
	real  int   // their tokens
}

// Placer returns an empty placer for r.
func (r Rule) Placer() Placer { return Placer{r: r} }

// Clone returns a copy of p that places independently of it.
func (p Placer) Clone() Placer {
	p.fill = append([]int(nil), p.fill...)
	return p
}

// Add places a sequence of n tokens and returns the offset of its first
// token.
func (p *Placer) Add(n int) int {
	p.count++
	p.real += n
	if p.r.Lane == 0 {
		off := p.end
		p.end += n
		return off
	}
	w := roundUp(n, p.r.Lane)
	t := p.r.Tile
	if t == 0 {
		off := p.end
		p.end += w
		return off
	}
	if w <= t {
		for i, f := range p.fill {
			if f+w <= t {
				p.fill[i] += w
				off := i*t + f
				p.end = max(p.end, off+w)
				return off
			}
		}
	}
	off := len(p.fill) * t
	for w > 0 {
		p.fill = append(p.fill, min(w, t))
		w -= t
	}
	p.end = max(p.end, off+roundUp(n, p.r.Lane))
	return off
}

// Size is the tokens of the batch: the sequences placed, the gaps
// between them and the filler after them.
func (p Placer) Size() int {
	if p.r.Lane == 0 || p.count == 0 {
		return p.end
	}
	size := max(p.end, roundUp(p.r.Min, p.r.Lane))
	if p.count == 1 && size == p.real {
		// Alone and without a gap, pooling would multiply by one column.
		size += p.r.Lane
	}
	if p.r.Cap > 0 && size > p.r.Cap {
		// Only the filler of a sequence that fills the batch alone is
		// left out: such a sequence is never packed with another, so it
		// is always computed the same way.
		size = max(p.end, p.r.Cap)
	}
	return size
}

// Tokens is the sequences' tokens, without gaps and filler.
func (p Placer) Tokens() int { return p.real }

// Count is the sequences placed.
func (p Placer) Count() int { return p.count }

func roundUp(n, m int) int { return (n + m - 1) / m * m }
