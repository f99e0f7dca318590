package autorecord_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/embellama/embellama/internal/autorecord"
)

// FuzzDecode: Decode never panics; it either fails with ErrCorrupt or
// returns a record that validates, that Encode accepts, and whose
// encoding decodes to the same encoding (a fixed point); input over
// MaxSize never decodes.
func FuzzDecode(f *testing.F) {
	good, err := autorecord.Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"version":1}`))
	f.Add(bytes.Replace(good, []byte(`"q8_0"`), []byte(`"q4_0"`), -1))
	f.Add(bytes.Replace(good, []byte(`0.999,`), []byte(`1e400,`), 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := autorecord.Decode(data)
		if err != nil {
			if !errors.Is(err, autorecord.ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if len(data) > autorecord.MaxSize {
			t.Fatalf("%d bytes decoded", len(data))
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("a decoded record does not validate: %v", err)
		}
		if r.Chosen != r.Ranking()[0] && !sameSpeed(r, r.Chosen, r.Ranking()[0]) {
			t.Fatalf("chosen %q is not first in the ranking %v", r.Chosen, r.Ranking())
		}
		for _, b := range r.Below() {
			for _, k := range r.Ranking() {
				if b == k {
					t.Fatalf("%q is both kept and below the bound", b)
				}
			}
		}
		enc, err := autorecord.Encode(r)
		if err != nil {
			t.Fatalf("Encode refuses a decoded record: %v", err)
		}
		r2, err := autorecord.Decode(enc)
		if err != nil {
			t.Fatalf("the encoding of a decoded record does not decode: %v", err)
		}
		enc2, err := autorecord.Encode(r2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encode-decode is not a fixed point: %v\n%s\n%s", err, enc, enc2)
		}
	})
}

// sameSpeed reports whether formats a and b were timed equally fast (a
// tie, which the ranking breaks by size).
func sameSpeed(r autorecord.Record, a, b string) bool {
	ca, _ := r.Candidate(a)
	cb, _ := r.Candidate(b)
	return ca.TextsPerSecond == cb.TextsPerSecond
}
