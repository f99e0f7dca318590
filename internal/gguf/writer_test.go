package gguf_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/gguf"
)

// sample builds a small valid file with every value type and the three
// tensor encodings the writer produces.
func sample(t testing.TB) []byte {
	t.Helper()
	w := gguf.NewWriter()
	set := func(k string, v any) { require.NoError(t, w.Set(k, v)) }
	set("general.architecture", "bert")
	set("general.name", "sample")
	set("bert.embedding_length", uint32(64))
	set("bert.context_length", uint32(128))
	set("bert.block_count", uint32(1))
	set("bert.attention.head_count", uint32(2))
	set("bert.pooling_type", uint32(2))
	set("bert.attention.causal", false)
	set("t.u8", uint8(200))
	set("t.i8", int8(-7))
	set("t.u16", uint16(65000))
	set("t.i16", int16(-30000))
	set("t.i32", int32(-5))
	set("t.f32", float32(1.5))
	set("t.u64", uint64(1)<<40)
	set("t.i64", int64(-1)<<40)
	set("t.f64", math.Pi)
	set("tokenizer.ggml.tokens", []string{"[PAD]", "hello", "world", ""})
	set("t.arr.i32", []int32{1, -2, 3})
	set("t.arr.f32", []float32{0.5, -0.25})
	set("t.arr.bool", []bool{true, false})
	set("t.arr.u8", []uint8{1, 2, 3})
	vals := make([]float32, 64*3)
	for i := range vals {
		vals[i] = float32(math.Sin(float64(i)))
	}
	require.NoError(t, w.AddFloat32("a.weight", gguf.TypeF32, []uint64{64, 3}, vals))
	require.NoError(t, w.AddFloat32("b.weight", gguf.TypeF16, []uint64{64, 3}, vals))
	require.NoError(t, w.AddFloat32("c.weight", gguf.TypeQ8_0, []uint64{64, 3}, vals))
	require.NoError(t, w.AddFloat32("d.bias", gguf.TypeF32, []uint64{7}, vals[:7]))
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	require.NoError(t, err)
	require.Equal(t, int64(buf.Len()), n)
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	b := sample(t)
	f, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	assert.Equal(t, uint32(3), f.Version)
	assert.Equal(t, "bert", f.Architecture())
	assert.Equal(t, 64, f.EmbeddingLength())
	p, ok := f.PoolingType()
	assert.True(t, ok)
	assert.Equal(t, gguf.PoolingCLS, p)
	assert.True(t, f.IsEmbeddingModel())
	assert.Equal(t, 4, f.VocabSize())
	for key, want := range map[string]any{
		"t.u8": uint8(200), "t.i8": int8(-7), "t.u16": uint16(65000), "t.i16": int16(-30000),
		"t.i32": int32(-5), "t.f32": float32(1.5), "t.u64": uint64(1) << 40, "t.i64": int64(-1) << 40,
		"t.f64": math.Pi, "bert.attention.causal": false,
	} {
		got, ok := f.Value(key)
		assert.True(t, ok, key)
		assert.Equal(t, want, got, key)
	}
	a, ok := f.Array("t.arr.i32")
	require.True(t, ok)
	assert.Equal(t, []int32{1, -2, 3}, a.Values)
	a, _ = f.Array("tokenizer.ggml.tokens")
	assert.Equal(t, []string{"[PAD]", "hello", "world", ""}, a.Values)
	a, _ = f.Array("t.arr.bool")
	assert.Equal(t, []bool{true, false}, a.Values)

	require.Len(t, f.Tensors, 4)
	assert.Equal(t, uint64(64*3*4), f.Tensors[0].Bytes)
	assert.Equal(t, uint64(64*3*2), f.Tensors[1].Bytes)
	assert.Equal(t, uint64(6*34), f.Tensors[2].Bytes)
	assert.Equal(t, uint64(7*4), f.Tensors[3].Bytes)
	assert.Equal(t, "F32", f.FileType(), "no general.file_type: the type with the most 2-D bytes")
	assert.Equal(t, uint64(64*3*3+7), f.ParameterCount())
	for _, tt := range f.Tensors {
		assert.Zero(t, tt.Offset%f.Alignment)
	}
	assert.Zero(t, f.DataOffset%int64(f.Alignment))
}

func TestFloat16(t *testing.T) {
	// Every finite half converts to float32 and back unchanged.
	for h := 0; h < 1<<16; h++ {
		if h&0x7c00 == 0x7c00 {
			continue
		}
		f := gguf.Float16ToFloat32(uint16(h))
		require.Equal(t, uint16(h), gguf.Float32ToFloat16(f), "half %#04x (%g)", h, f)
	}
	tests := []struct {
		in   float32
		want uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, {1e9, 0x7c00},
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001}, {2.98e-08, 0x0000},
		{1.0009765625, 0x3c01}, {1.00048828125, 0x3c00}, // tie to even
		{1.00146484375, 0x3c02}, // tie to even, upward
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, gguf.Float32ToFloat16(tt.in), "%g", tt.in)
	}
	assert.Equal(t, uint16(0x7e00), gguf.Float32ToFloat16(float32(math.NaN()))&0x7e00)
}

func TestWriterRejects(t *testing.T) {
	w := gguf.NewWriter()
	assert.ErrorIs(t, w.Set("", uint32(1)), gguf.ErrEmptyKey)
	assert.ErrorIs(t, w.Set("x", struct{}{}), gguf.ErrValueType)
	assert.ErrorIs(t, w.Set("general.alignment", uint32(3)), gguf.ErrAlignment)
	assert.ErrorIs(t, w.Set("general.alignment", uint64(32)), gguf.ErrKeyType)
	assert.ErrorIs(t, w.AddTensor("", gguf.TypeF32, []uint64{1}, make([]byte, 4)), gguf.ErrTensorName)
	assert.ErrorIs(t, w.AddTensor("x", gguf.TypeF32, []uint64{2}, make([]byte, 4)), gguf.ErrTensorShape)
	assert.ErrorIs(t, w.AddTensor("x", gguf.TypeQ8_0, []uint64{16}, make([]byte, 17)), gguf.ErrTensorShape)
	assert.ErrorIs(t, w.AddTensor("x", gguf.TensorType(4), []uint64{1}, nil), gguf.ErrTensorType)
	require.NoError(t, w.AddTensor("x", gguf.TypeF32, []uint64{1}, make([]byte, 4)))
	assert.ErrorIs(t, w.AddTensor("x", gguf.TypeF32, []uint64{1}, make([]byte, 4)), gguf.ErrDuplicateTensor)
}
