package gguf_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
)

// at returns the offset of the first occurrence of s in b.
func at(t *testing.T, b []byte, s string) int {
	t.Helper()
	i := bytes.Index(b, []byte(s))
	require.GreaterOrEqual(t, i, 0, "%q not in sample", s)
	return i
}

// keyLen returns the offset of the length field of the string s.
func keyLen(t *testing.T, b []byte, s string) int { return at(t, b, s) - 8 }

// afterKey returns the offset just past the string s: its value's type.
func afterKey(t *testing.T, b []byte, s string) int { return at(t, b, s) + len(s) }

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// TestCorruptFiles cuts and flips a valid file and checks that each defect
// gets its own typed error, at the place where it is.
func TestCorruptFiles(t *testing.T) {
	good := sample(t)
	parsed, err := gguf.Read(bytes.NewReader(good), int64(len(good)))
	require.NoError(t, err)
	dataStart := int(parsed.DataOffset)

	type mutation func(t *testing.T, b []byte) []byte
	cut := func(n func(b []byte) int) mutation {
		return func(t *testing.T, b []byte) []byte { return b[:n(b)] }
	}
	tests := []struct {
		name string
		mut  mutation
		want error
	}{
		{"empty file", cut(func([]byte) int { return 0 }), gguf.ErrTruncated},
		{"random bytes", func(t *testing.T, b []byte) []byte {
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}, gguf.ErrMagic},
		{"bad magic", func(t *testing.T, b []byte) []byte { b[3] = 'X'; return b }, gguf.ErrMagic},
		{"version 1", func(t *testing.T, b []byte) []byte { put32(b, 4, 1); return b }, gguf.ErrVersion},
		{"version 4", func(t *testing.T, b []byte) []byte { put32(b, 4, 4); return b }, gguf.ErrVersion},

		// Truncated at 12 offsets, from the header to the data.
		{"cut in magic", cut(func([]byte) int { return 2 }), gguf.ErrTruncated},
		{"cut in version", cut(func([]byte) int { return 6 }), gguf.ErrTruncated},
		{"cut in tensor count", cut(func([]byte) int { return 12 }), gguf.ErrTruncated},
		{"cut in kv count", cut(func([]byte) int { return 20 }), gguf.ErrTruncated},
		{"cut in first key length", cut(func([]byte) int { return 27 }), gguf.ErrTruncated},
		{"cut in a key", cut(func(b []byte) int { return at(t, b, "general.name") + 3 }), gguf.ErrTruncated},
		{"cut in a value type", cut(func(b []byte) int { return afterKey(t, b, "t.f64") + 2 }), gguf.ErrTruncated},
		{"cut in a float64 value", cut(func(b []byte) int { return afterKey(t, b, "t.f64") + 4 + 5 }), gguf.ErrTruncated},
		{"cut in a string array", cut(func(b []byte) int { return at(t, b, "world") + 2 }), gguf.ErrTruncated},
		{"cut in a tensor name", cut(func(b []byte) int { return at(t, b, "b.weight") + 1 }), gguf.ErrTruncated},
		{"cut in tensor dims", cut(func(b []byte) int { return afterKey(t, b, "c.weight") + 4 + 3 }), gguf.ErrTruncated},
		{"cut in tensor offset", cut(func(b []byte) int { return afterKey(t, b, "d.bias") + 4 + 8 + 4 + 2 }), gguf.ErrTruncated},
		{"cut before data", cut(func(b []byte) int { return dataStart - 1 }), gguf.ErrTruncated},
		{"cut in data", cut(func(b []byte) int { return dataStart + 900 }), gguf.ErrTensorBounds},
		{"last byte missing", cut(func(b []byte) int { return len(b) - 4 - 1 }), gguf.ErrTensorBounds},

		// Counts and lengths beyond the file.
		{"huge tensor count", func(t *testing.T, b []byte) []byte { put64(b, 8, 1<<40); return b }, gguf.ErrTooLarge},
		{"huge kv count", func(t *testing.T, b []byte) []byte { put64(b, 16, 1<<62); return b }, gguf.ErrTooLarge},
		{"huge key length", func(t *testing.T, b []byte) []byte { put64(b, keyLen(t, b, "general.name"), 1<<50); return b }, gguf.ErrTooLarge},
		{"huge string length", func(t *testing.T, b []byte) []byte {
			put64(b, afterKey(t, b, "general.name")+4, 1<<33)
			return b
		}, gguf.ErrTooLarge},
		{"huge array length", func(t *testing.T, b []byte) []byte {
			put64(b, afterKey(t, b, "t.arr.i32")+4+4, 1<<31)
			return b
		}, gguf.ErrTooLarge},
		{"array running past the end", func(t *testing.T, b []byte) []byte {
			put64(b, afterKey(t, b, "t.arr.i32")+4+4, uint64(len(b)))
			return b
		}, gguf.ErrTruncated},
		{"plausible tensor count past the end", func(t *testing.T, b []byte) []byte { put64(b, 8, 1<<19); return b }, gguf.ErrTruncated},

		// Types.
		{"unknown value type", func(t *testing.T, b []byte) []byte { put32(b, afterKey(t, b, "t.i32"), 13); return b }, gguf.ErrValueType},
		{"nested array", func(t *testing.T, b []byte) []byte { put32(b, afterKey(t, b, "t.arr.f32")+4, 9); return b }, gguf.ErrValueType},
		{"empty key", func(t *testing.T, b []byte) []byte { put64(b, 24, 0); return b }, gguf.ErrEmptyKey},
		{"duplicate key", func(t *testing.T, b []byte) []byte { copy(b[at(t, b, "t.i8"):], "t.u8"); return b }, gguf.ErrDuplicateKey},

		// Tensor table.
		{"duplicate tensor", func(t *testing.T, b []byte) []byte { copy(b[at(t, b, "b.weight"):], "a.weight"); return b }, gguf.ErrDuplicateTensor},
		{"tensor name too long", func(t *testing.T, b []byte) []byte { put64(b, keyLen(t, b, "a.weight"), 100); return b }, gguf.ErrTensorName},
		{"removed tensor type", func(t *testing.T, b []byte) []byte { put32(b, afterKey(t, b, "a.weight")+4+16, 4); return b }, gguf.ErrTensorType},
		{"unknown tensor type", func(t *testing.T, b []byte) []byte { put32(b, afterKey(t, b, "a.weight")+4+16, 99); return b }, gguf.ErrTensorType},
		{"five dimensions", func(t *testing.T, b []byte) []byte { put32(b, afterKey(t, b, "a.weight"), 5); return b }, gguf.ErrTensorShape},
		{"negative dimension", func(t *testing.T, b []byte) []byte { put64(b, afterKey(t, b, "a.weight")+4, 1<<63); return b }, gguf.ErrTensorShape},
		{"element count overflow", func(t *testing.T, b []byte) []byte {
			off := afterKey(t, b, "a.weight") + 4
			put64(b, off, 1<<40)
			put64(b, off+8, 1<<40)
			return b
		}, gguf.ErrTensorShape},
		{"row not a block multiple", func(t *testing.T, b []byte) []byte { put64(b, afterKey(t, b, "c.weight")+4, 48); return b }, gguf.ErrTensorShape},
		{"misplaced offset", func(t *testing.T, b []byte) []byte { put64(b, afterKey(t, b, "b.weight")+4+16+4, 64); return b }, gguf.ErrTensorOffset},
		{"overlapping tensors", func(t *testing.T, b []byte) []byte { put64(b, afterKey(t, b, "b.weight")+4+16+4, 0); return b }, gguf.ErrTensorOffset},
		{"tensor beyond the end", func(t *testing.T, b []byte) []byte { put64(b, afterKey(t, b, "d.bias")+4, 1<<20); return b }, gguf.ErrTensorBounds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mut(t, bytes.Clone(good))
			var err error
			require.NotPanics(t, func() { _, err = gguf.Read(bytes.NewReader(b), int64(len(b))) })
			require.ErrorIs(t, err, tt.want)
			var fe *gguf.FormatError
			require.ErrorAs(t, err, &fe)
			assert.GreaterOrEqual(t, fe.Offset, int64(0))
			assert.LessOrEqual(t, fe.Offset, int64(len(good)))
			assert.NotEmpty(t, fe.Field)
		})
	}
}

func TestAlignmentKey(t *testing.T) {
	build := func(v any) []byte {
		w := gguf.NewWriter()
		require.NoError(t, w.Set("general.architecture", "x"))
		require.NoError(t, w.Set("general.alignment", uint32(64)))
		require.NoError(t, w.AddFloat32("w", gguf.TypeF32, []uint64{3}, []float32{1, 2, 3}))
		var buf bytes.Buffer
		_, err := w.WriteTo(&buf)
		require.NoError(t, err)
		b := buf.Bytes()
		off := afterKey(t, b, "general.alignment")
		switch x := v.(type) {
		case uint32:
			put32(b, off+4, x)
		case string: // retype the value as i32
			put32(b, off, 5)
		}
		return b
	}
	b := build(uint32(64))
	f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	assert.Equal(t, uint64(64), f.Alignment)
	assert.Zero(t, f.DataOffset%64)

	b = build(uint32(48))
	_, err = gguf.Read(bytes.NewReader(b), int64(len(b)))
	assert.ErrorIs(t, err, gguf.ErrAlignment)
	b = build(uint32(0))
	_, err = gguf.Read(bytes.NewReader(b), int64(len(b)))
	assert.ErrorIs(t, err, gguf.ErrAlignment)
	b = build("i32")
	_, err = gguf.Read(bytes.NewReader(b), int64(len(b)))
	assert.ErrorIs(t, err, gguf.ErrKeyType)
}
