package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// Writer builds a GGUF v3 file: metadata in the order it was set, then
// tensors in the order they were added, each aligned.
type Writer struct {
	kv        []KV
	keys      map[string]int
	tensors   []wtensor
	names     map[string]bool
	alignment uint64
}

type wtensor struct {
	info TensorInfo
	data []byte
}

// NewWriter returns an empty writer with the default alignment.
func NewWriter() *Writer {
	return &Writer{keys: map[string]int{}, names: map[string]bool{}, alignment: DefaultAlignment}
}

// Set sets a metadata key. The GGUF type follows the Go type: uint8,
// int8, uint16, int16, uint32, int32, float32, bool, string, uint64,
// int64, float64, a slice of one of those, or an *[ArrayValue]. Setting
// general.alignment (a uint32 power of two) changes the alignment.
func (w *Writer) Set(key string, value any) error {
	if key == "" {
		return ErrEmptyKey
	}
	t, v, err := valueType(value)
	if err != nil {
		return fmt.Errorf("gguf: key %q: %w", key, err)
	}
	if key == "general.alignment" {
		a, ok := v.(uint32)
		if !ok {
			return fmt.Errorf("gguf: general.alignment: %w", ErrKeyType)
		}
		if a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: general.alignment %d: %w", a, ErrAlignment)
		}
		w.alignment = uint64(a)
	}
	if i, ok := w.keys[key]; ok {
		w.kv[i] = KV{Key: key, Type: t, Value: v}
		return nil
	}
	w.keys[key] = len(w.kv)
	w.kv = append(w.kv, KV{Key: key, Type: t, Value: v})
	return nil
}

// valueType returns the GGUF type of v, with slices wrapped as arrays.
func valueType(v any) (ValueType, any, error) {
	switch x := v.(type) {
	case uint8:
		return Uint8, x, nil
	case int8:
		return Int8, x, nil
	case uint16:
		return Uint16, x, nil
	case int16:
		return Int16, x, nil
	case uint32:
		return Uint32, x, nil
	case int32:
		return Int32, x, nil
	case float32:
		return Float32, x, nil
	case bool:
		return Bool, x, nil
	case string:
		return String, x, nil
	case uint64:
		return Uint64, x, nil
	case int64:
		return Int64, x, nil
	case float64:
		return Float64, x, nil
	case *ArrayValue:
		if !x.Elem.valid() || x.Elem == Array {
			return 0, nil, ErrValueType
		}
		return Array, x, nil
	}
	for _, t := range []ValueType{Uint8, Int8, Uint16, Int16, Uint32, Int32, Float32, Bool, String, Uint64, Int64, Float64} {
		if _, ok := sliceOf(t, v); ok {
			return Array, &ArrayValue{Elem: t, Values: v}, nil
		}
	}
	return 0, nil, fmt.Errorf("%w: Go type %T", ErrValueType, v)
}

func sliceOf(t ValueType, v any) (n int, ok bool) {
	a := &ArrayValue{Elem: t, Values: v}
	switch v.(type) {
	case []uint8:
		return a.Len(), t == Uint8
	case []int8:
		return a.Len(), t == Int8
	case []uint16:
		return a.Len(), t == Uint16
	case []int16:
		return a.Len(), t == Int16
	case []uint32:
		return a.Len(), t == Uint32
	case []int32:
		return a.Len(), t == Int32
	case []float32:
		return a.Len(), t == Float32
	case []bool:
		return a.Len(), t == Bool
	case []string:
		return a.Len(), t == String
	case []uint64:
		return a.Len(), t == Uint64
	case []int64:
		return a.Len(), t == Int64
	case []float64:
		return a.Len(), t == Float64
	}
	return 0, false
}

// AddTensor adds a tensor whose data is already encoded in typ. dims are
// innermost first; data must be exactly the tensor's size.
func (w *Writer) AddTensor(name string, typ TensorType, dims []uint64, data []byte) error {
	switch {
	case name == "" || len(name) >= MaxTensorName:
		return fmt.Errorf("%w: %q", ErrTensorName, name)
	case w.names[name]:
		return fmt.Errorf("%w: %q", ErrDuplicateTensor, name)
	case !typ.valid():
		return fmt.Errorf("%w: %d", ErrTensorType, typ)
	case len(dims) > MaxDims:
		return fmt.Errorf("%w: %d dimensions", ErrTensorShape, len(dims))
	}
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	if len(dims) > 0 && dims[0]%typ.BlockSize() != 0 {
		return fmt.Errorf("%w: %q: row of %d is not a multiple of the %v block size", ErrTensorShape, name, dims[0], typ)
	}
	size := n / typ.BlockSize() * typ.BlockBytes()
	if uint64(len(data)) != size {
		return fmt.Errorf("%w: %q: %d bytes of data, want %d", ErrTensorShape, name, len(data), size)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, wtensor{TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ, Bytes: size}, data})
	return nil
}

// AddFloat32 adds a tensor from float32 values, encoded as typ (F32, F16,
// BF16 or Q8_0) the way ggml's reference code encodes them.
func (w *Writer) AddFloat32(name string, typ TensorType, dims []uint64, values []float32) error {
	var data []byte
	switch typ {
	case TypeF32:
		data = make([]byte, 4*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
		}
	case TypeF16:
		data = make([]byte, 2*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint16(data[2*i:], Float32ToFloat16(v))
		}
	case TypeBF16:
		data = make([]byte, 2*len(values))
		for i, v := range values {
			binary.LittleEndian.PutUint16(data[2*i:], float32ToBFloat16(v))
		}
	case TypeQ8_0:
		if len(values)%32 != 0 {
			return fmt.Errorf("%w: %q: %d values is not a multiple of 32", ErrTensorShape, name, len(values))
		}
		data = quantizeQ8_0(values)
	default:
		return fmt.Errorf("%w: cannot encode %v", ErrTensorType, typ)
	}
	return w.AddTensor(name, typ, dims, data)
}

// WriteTo writes the file.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	bw := &countWriter{w: bufio.NewWriterSize(out, 1<<20)}
	bw.bytes([]byte(Magic))
	bw.u32(3)
	bw.u64(uint64(len(w.tensors)))
	bw.u64(uint64(len(w.kv)))
	for _, kv := range w.kv {
		bw.str(kv.Key)
		bw.u32(uint32(kv.Type))
		bw.value(kv.Type, kv.Value)
	}
	var off uint64
	for i := range w.tensors {
		t := &w.tensors[i].info
		t.Offset = off
		bw.str(t.Name)
		bw.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			bw.u64(d)
		}
		bw.u32(uint32(t.Type))
		bw.u64(t.Offset)
		off += pad(t.Bytes, w.alignment)
	}
	bw.pad(w.alignment)
	for _, t := range w.tensors {
		bw.bytes(t.data)
		bw.pad(w.alignment)
	}
	if bw.err == nil {
		bw.err = bw.w.(*bufio.Writer).Flush()
	}
	return bw.n, bw.err
}

// Keys returns the metadata keys set so far, sorted.
func (w *Writer) Keys() []string {
	keys := make([]string, 0, len(w.kv))
	for _, kv := range w.kv {
		keys = append(keys, kv.Key)
	}
	sort.Strings(keys)
	return keys
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
	buf [8]byte
}

func (c *countWriter) bytes(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (c *countWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(c.buf[:4], v)
	c.bytes(c.buf[:4])
}

func (c *countWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.buf[:8], v)
	c.bytes(c.buf[:8])
}

func (c *countWriter) str(s string) {
	c.u64(uint64(len(s)))
	c.bytes([]byte(s))
}

func (c *countWriter) pad(align uint64) {
	if n := pad(uint64(c.n), align) - uint64(c.n); n > 0 {
		c.bytes(make([]byte, n))
	}
}

func (c *countWriter) value(t ValueType, v any) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case uint8:
		c.bytes([]byte{x})
	case int8:
		c.bytes([]byte{byte(x)})
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		c.bytes([]byte{b})
	case uint16:
		le.PutUint16(c.buf[:2], x)
		c.bytes(c.buf[:2])
	case int16:
		le.PutUint16(c.buf[:2], uint16(x))
		c.bytes(c.buf[:2])
	case uint32:
		c.u32(x)
	case int32:
		c.u32(uint32(x))
	case float32:
		c.u32(math.Float32bits(x))
	case uint64:
		c.u64(x)
	case int64:
		c.u64(uint64(x))
	case float64:
		c.u64(math.Float64bits(x))
	case string:
		c.str(x)
	case *ArrayValue:
		c.u32(uint32(x.Elem))
		c.u64(uint64(x.Len()))
		c.array(x)
	default:
		if c.err == nil {
			c.err = errors.New("gguf: unencodable value")
		}
	}
}

func (c *countWriter) array(a *ArrayValue) {
	each := func(n int, f func(i int) any) {
		for i := 0; i < n; i++ {
			c.value(a.Elem, f(i))
		}
	}
	switch v := a.Values.(type) {
	case []uint8:
		c.bytes(v)
	case []int8:
		each(len(v), func(i int) any { return v[i] })
	case []uint16:
		each(len(v), func(i int) any { return v[i] })
	case []int16:
		each(len(v), func(i int) any { return v[i] })
	case []uint32:
		each(len(v), func(i int) any { return v[i] })
	case []int32:
		each(len(v), func(i int) any { return v[i] })
	case []float32:
		each(len(v), func(i int) any { return v[i] })
	case []bool:
		each(len(v), func(i int) any { return v[i] })
	case []string:
		each(len(v), func(i int) any { return v[i] })
	case []uint64:
		each(len(v), func(i int) any { return v[i] })
	case []int64:
		each(len(v), func(i int) any { return v[i] })
	case []float64:
		each(len(v), func(i int) any { return v[i] })
	}
}

// Float32ToFloat16 converts f to IEEE half precision, rounding to nearest
// even, as ggml's GGML_FP32_TO_FP16 does.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 142: // too large: Inf
		return sign | 0x7c00
	case exp < 102: // too small: zero
		return sign
	case exp < 113: // subnormal half
		mant |= 0x800000
		shift := uint32(126 - exp)
		half := mant >> shift
		rem := mant & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || (rem == mid && half&1 == 1) {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(exp-112)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && half&1 == 1) {
		half++ // may carry into the exponent, up to Inf: correct
	}
	return sign | uint16(half)
}

// Float16ToFloat32 converts an IEEE half to float32.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		f := float32(mant) / 1024 / 16384 // 2^-14 * mant/1024
		if sign != 0 {
			return -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

func float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 64
	}
	return uint16((b + (0x7fff + (b>>16)&1)) >> 16)
}

// quantizeQ8_0 encodes values in blocks of 32 as ggml's
// quantize_row_q8_0_ref does: a half-precision scale, then 32 int8.
func quantizeQ8_0(values []float32) []byte {
	out := make([]byte, 0, len(values)/32*34)
	for b := 0; b < len(values); b += 32 {
		var amax float32
		for _, v := range values[b : b+32] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		out = binary.LittleEndian.AppendUint16(out, Float32ToFloat16(d))
		for _, v := range values[b : b+32] {
			out = append(out, byte(int8(math.Round(float64(v*id)))))
		}
	}
	return out
}
