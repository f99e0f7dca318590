package embed

import (
	"fmt"
	"time"

	"github.com/embellama/embellama/llama"
)

// fillerToken is the token of a laid-out batch's filler: any id of the
// vocabulary serves, since no sequence attends to the filler's sequence.
const fillerToken llama.Token = 0

// decodeLaidOut evaluates a non-causal model's batch in one call, its
// sequences placed by the model's layout rule (package layout): gaps and
// the tail hold filler tokens of a sequence of their own (id len(seqs),
// every position 0, which llama.cpp accepts as one position), whose
// outputs are never read.
func (ev *evaluator) decodeLaidOut(c *llama.Context, seqs [][]int32) (time.Duration, error) {
	p := ev.l.layout.Placer()
	offsets := make([]int, len(seqs))
	for s, seq := range seqs {
		offsets[s] = p.Add(len(seq))
	}
	// owner[i] is the sequence whose token sits at batch index i, -1 for
	// filler; token[i] its index in that sequence.
	size := p.Size()
	owner, token := make([]int32, size), make([]int32, size)
	for i := range owner {
		owner[i] = -1
	}
	ev.index = ev.index[:0:0]
	counts := make(map[int]int, len(seqs))
	for s, seq := range seqs {
		for i := range seq {
			owner[offsets[s]+i], token[offsets[s]+i] = int32(s), int32(i)
			ev.index = append(ev.index, int32(offsets[s]+i))
		}
		counts[s] = len(seq)
	}
	ev.batch.Clear()
	for i, s := range owner {
		var err error
		if s < 0 {
			err = ev.batch.Add(fillerToken, 0, int32(len(seqs)), true)
		} else {
			err = ev.batch.Add(seqs[s][token[i]], token[i], s, true)
		}
		if err != nil {
			return 0, fmt.Errorf("%w: %w", ErrDecode, err)
		}
	}
	took, err := ev.evaluate(c)
	if err != nil {
		return took, err
	}
	return took, ev.collect(c, counts)
}
