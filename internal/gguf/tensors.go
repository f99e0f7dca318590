package gguf

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// The tensor table of a GGUF file, and the checks that its data lies
// inside the file.

// TensorInfo describes one tensor.
type TensorInfo struct {
	Name string
	// Dims are the extents, innermost first (ggml's ne).
	Dims []uint64
	Type TensorType
	// Offset is relative to [File.DataOffset].
	Offset uint64
	// Bytes is the size of the tensor's data.
	Bytes uint64
}

// Elements returns the number of elements.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

func (d *decoder) alignment(f *File) error {
	f.Alignment = DefaultAlignment
	i, ok := f.index["general.alignment"]
	if !ok {
		return nil
	}
	kv := f.KV[i]
	a, ok := kv.Value.(uint32)
	if !ok {
		return d.fail(d.off, "general.alignment", ErrKeyType, "type %v, want u32", kv.Type)
	}
	if a == 0 || a&(a-1) != 0 {
		return d.fail(d.off, "general.alignment", ErrAlignment, "alignment %d", a)
	}
	f.Alignment = uint64(a)
	return nil
}

func (d *decoder) tensorInfo(i uint64) (TensorInfo, error) {
	var t TensorInfo
	field := fmt.Sprintf("tensor[%d]", i)
	nameOff := d.off
	name, err := d.str(field+" name", MaxTensorName-1)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return t, d.fail(nameOff, field+" name", ErrTensorName, "longer than %d bytes", MaxTensorName-1)
		}
		return t, err
	}
	t.Name = name
	field = fmt.Sprintf("tensor[%d] %q", i, name)
	dimsOff := d.off
	nd, err := d.u32(field + " n_dims")
	if err != nil {
		return t, err
	}
	if nd > MaxDims {
		return t, d.fail(dimsOff, field+" n_dims", ErrTensorShape, "%d dimensions (max %d)", nd, MaxDims)
	}
	t.Dims = make([]uint64, nd)
	elems := uint64(1)
	for j := range t.Dims {
		off := d.off
		n, err := d.u64(fmt.Sprintf("%s dim %d", field, j))
		if err != nil {
			return t, err
		}
		if n > math.MaxInt64 {
			return t, d.fail(off, fmt.Sprintf("%s dim %d", field, j), ErrTensorShape, "extent %d is negative", int64(n))
		}
		hi, lo := bits.Mul64(elems, n)
		if hi != 0 || lo > math.MaxInt64 {
			return t, d.fail(off, fmt.Sprintf("%s dim %d", field, j), ErrTensorShape, "element count overflows")
		}
		t.Dims[j], elems = n, lo
	}
	typOff := d.off
	tt, err := d.u32(field + " type")
	if err != nil {
		return t, err
	}
	t.Type = TensorType(tt)
	if !t.Type.valid() {
		return t, d.fail(typOff, field+" type", ErrTensorType, "type %d", tt)
	}
	if nd > 0 && t.Dims[0]%t.Type.BlockSize() != 0 {
		return t, d.fail(dimsOff, field+" dim 0", ErrTensorShape, "%d elements per row is not a multiple of the %v block size %d",
			t.Dims[0], t.Type, t.Type.BlockSize())
	}
	hi, lo := bits.Mul64(elems/t.Type.BlockSize(), t.Type.BlockBytes())
	if hi != 0 || lo > math.MaxInt64 {
		return t, d.fail(dimsOff, field, ErrTensorShape, "size in bytes overflows")
	}
	t.Bytes = lo
	if t.Offset, err = d.u64(field + " offset"); err != nil {
		return t, err
	}
	return t, nil
}

// tensorData checks that the tensors are laid out as llama.cpp requires:
// in table order, each at the aligned end of the previous one, and every
// byte inside the file.
func (d *decoder) tensorData(f *File) error {
	f.DataOffset = d.off
	if len(f.Tensors) == 0 {
		return nil
	}
	f.DataOffset = int64(pad(uint64(d.off), f.Alignment))
	if f.DataOffset > f.Size {
		return d.fail(d.off, "data section", ErrTruncated, "data starts at %d, file size %d", f.DataOffset, f.Size)
	}
	room := uint64(f.Size - f.DataOffset)
	var next uint64
	for i, t := range f.Tensors {
		field := fmt.Sprintf("tensor[%d] %q", i, t.Name)
		if t.Offset != next {
			return d.fail(f.DataOffset, field+" offset", ErrTensorOffset, "offset %d, expected %d", t.Offset, next)
		}
		if t.Bytes > room || t.Offset > room-t.Bytes {
			return d.fail(f.DataOffset+int64(min(t.Offset, room)), field+" data", ErrTensorBounds,
				"%d bytes at data offset %d, %d bytes of data in the file", t.Bytes, t.Offset, room)
		}
		next = t.Offset + pad(t.Bytes, f.Alignment)
	}
	return nil
}

func pad(n, align uint64) uint64 { return (n + align - 1) / align * align }
