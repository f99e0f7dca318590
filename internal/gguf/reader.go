package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
)

// Limits beyond which a file is refused even if it is large enough to
// hold the data. They are far above any real model and keep a hostile
// header from asking for absurd work.
const (
	// MaxStringLength is llama.cpp's GGUF_MAX_STRING_LENGTH.
	MaxStringLength = 1 << 30
	// MaxArrayLength is llama.cpp's GGUF_MAX_ARRAY_ELEMENTS.
	MaxArrayLength = 1 << 30
	// MaxKeyLength bounds metadata keys.
	MaxKeyLength = 1 << 16
	// MaxCount bounds the number of tensors and of metadata keys.
	MaxCount = 1 << 20
	// MaxTensorName is ggml's GGML_MAX_NAME: names must be shorter.
	MaxTensorName = 64
	// MaxDims is ggml's GGML_MAX_DIMS.
	MaxDims = 4
	// DefaultAlignment applies when general.alignment is absent.
	DefaultAlignment = 32
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// File is the parsed header, metadata and tensor table of a GGUF file.
type File struct {
	// Version is the GGUF version (2 or 3).
	Version uint32
	// KV holds the metadata in file order.
	KV []KV
	// Tensors holds the tensor table in file order.
	Tensors []TensorInfo
	// Alignment of tensor data, from general.alignment or the default.
	Alignment uint64
	// DataOffset is where the tensor data section starts.
	DataOffset int64
	// Size is the size of the file.
	Size int64

	index map[string]int
}

// KV is one metadata key and its value.
type KV struct {
	Key   string
	Type  ValueType
	Value any // see [File.Value] for the Go types
}

// ArrayValue is the value of an array key: Values is a []uint8, []int8,
// []uint16, []int16, []uint32, []int32, []float32, []bool, []string,
// []uint64, []int64 or []float64, by Elem.
type ArrayValue struct {
	Elem   ValueType
	Values any
}

// Len returns the number of elements.
func (a *ArrayValue) Len() int {
	switch v := a.Values.(type) {
	case []uint8:
		return len(v)
	case []int8:
		return len(v)
	case []uint16:
		return len(v)
	case []int16:
		return len(v)
	case []uint32:
		return len(v)
	case []int32:
		return len(v)
	case []float32:
		return len(v)
	case []bool:
		return len(v)
	case []string:
		return len(v)
	case []uint64:
		return len(v)
	case []int64:
		return len(v)
	case []float64:
		return len(v)
	}
	return 0
}

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

// Open reads the GGUF file at path. See [Read].
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &FormatError{Field: path, Err: ErrNotFile}
	}
	return Read(f, fi.Size())
}

// Read parses and validates a GGUF file of the given size. It reads the
// header, metadata and tensor table, not the tensor data, and returns a
// [*FormatError] for the first defect found.
func Read(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, &FormatError{Field: "size", Err: ErrTooLarge, Detail: fmt.Sprintf("size %d", size)}
	}
	bufSize := int(min(size, 64<<10))
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), max(bufSize, 16)), size: size}
	f := &File{Size: size, index: map[string]int{}}
	if err := d.header(f); err != nil {
		return nil, err
	}
	return f, nil
}

type decoder struct {
	r    *bufio.Reader
	off  int64
	size int64
	buf  [8]byte
}

func (d *decoder) remain() int64 { return d.size - d.off }

func (d *decoder) fail(off int64, field string, err error, detail string, args ...any) error {
	return &FormatError{Offset: off, Field: field, Err: err, Detail: fmt.Sprintf(detail, args...)}
}

// read fills p, or reports truncation at the field.
func (d *decoder) read(p []byte, field string) error {
	start := d.off
	n, err := io.ReadFull(d.r, p)
	d.off += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return d.fail(start, field, ErrTruncated, "need %d bytes, %d left", len(p), d.size-start)
		}
		return d.fail(start, field, err, "")
	}
	return nil
}

func (d *decoder) u32(field string) (uint32, error) {
	if err := d.read(d.buf[:4], field); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(d.buf[:4]), nil
}

func (d *decoder) u64(field string) (uint64, error) {
	if err := d.read(d.buf[:8], field); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(d.buf[:8]), nil
}

// count reads a uint64 count of items of at least minSize bytes each. A
// count above limit is [ErrTooLarge]; one the rest of the file cannot hold
// is [ErrTruncated] (the file may have been cut, or the count corrupted:
// either way nothing is allocated for it).
func (d *decoder) count(field string, limit uint64, minSize int64) (uint64, error) {
	off := d.off
	n, err := d.u64(field)
	if err != nil {
		return 0, err
	}
	if n > limit {
		return 0, d.fail(off, field, ErrTooLarge, "%d > limit %d", n, limit)
	}
	if minSize > 0 && n > uint64(d.remain()/minSize) {
		return 0, d.fail(off, field, ErrTruncated, "%d items of at least %d bytes, %d bytes left", n, minSize, d.remain())
	}
	return n, nil
}

func (d *decoder) str(field string, limit uint64) (string, error) {
	n, err := d.count(field+" length", limit, 1)
	if err != nil {
		return "", err
	}
	b := make([]byte, n)
	if err := d.read(b, field); err != nil {
		return "", err
	}
	return string(b), nil
}

func (d *decoder) header(f *File) error {
	var magic [4]byte
	if err := d.read(magic[:], "magic"); err != nil {
		return err
	}
	if string(magic[:]) != Magic {
		return d.fail(0, "magic", ErrMagic, "%q", magic[:])
	}
	v, err := d.u32("version")
	if err != nil {
		return err
	}
	if v != 2 && v != 3 {
		return d.fail(4, "version", ErrVersion, "version %d (want 2 or 3)", v)
	}
	f.Version = v
	// Minimum encoded sizes: a tensor info is name length (8) + n_dims (4)
	// + type (4) + offset (8); a KV is key length (8) + type (4) + 1.
	nTensors, err := d.count("tensor count", MaxCount, 24)
	if err != nil {
		return err
	}
	nKV, err := d.count("metadata count", MaxCount, 13)
	if err != nil {
		return err
	}
	f.KV = make([]KV, 0, nKV)
	for i := uint64(0); i < nKV; i++ {
		if err := d.kv(f, i); err != nil {
			return err
		}
	}
	if err := d.alignment(f); err != nil {
		return err
	}
	f.Tensors = make([]TensorInfo, 0, nTensors)
	names := make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		t, err := d.tensorInfo(i)
		if err != nil {
			return err
		}
		if j, dup := names[t.Name]; dup {
			return d.fail(d.off, fmt.Sprintf("tensor[%d] name", i), ErrDuplicateTensor, "%q is also tensor %d", t.Name, j)
		}
		names[t.Name] = int(i)
		f.Tensors = append(f.Tensors, t)
	}
	return d.tensorData(f)
}

func (d *decoder) kv(f *File, i uint64) error {
	off := d.off
	field := fmt.Sprintf("kv[%d] key", i)
	key, err := d.str(field, MaxKeyLength)
	if err != nil {
		return err
	}
	if key == "" {
		return d.fail(off, field, ErrEmptyKey, "")
	}
	if j, dup := f.index[key]; dup {
		return d.fail(off, field, ErrDuplicateKey, "%q is also kv[%d]", key, j)
	}
	field = fmt.Sprintf("kv[%d] %q", i, key)
	typOff := d.off
	t, err := d.u32(field + " type")
	if err != nil {
		return err
	}
	vt := ValueType(t)
	if !vt.valid() {
		return d.fail(typOff, field+" type", ErrValueType, "type %d", t)
	}
	val, err := d.value(vt, field+" value")
	if err != nil {
		return err
	}
	f.index[key] = len(f.KV)
	f.KV = append(f.KV, KV{Key: key, Type: vt, Value: val})
	return nil
}

func (d *decoder) value(t ValueType, field string) (any, error) {
	switch t {
	case String:
		return d.str(field, MaxStringLength)
	case Array:
		return d.array(field)
	}
	if err := d.read(d.buf[:t.size()], field); err != nil {
		return nil, err
	}
	return scalar(t, d.buf[:t.size()]), nil
}

func scalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case Uint8:
		return b[0]
	case Int8:
		return int8(b[0])
	case Bool:
		return b[0] != 0
	case Uint16:
		return le.Uint16(b)
	case Int16:
		return int16(le.Uint16(b))
	case Uint32:
		return le.Uint32(b)
	case Int32:
		return int32(le.Uint32(b))
	case Float32:
		return math.Float32frombits(le.Uint32(b))
	case Uint64:
		return le.Uint64(b)
	case Int64:
		return int64(le.Uint64(b))
	case Float64:
		return math.Float64frombits(le.Uint64(b))
	}
	return nil
}

func (d *decoder) array(field string) (*ArrayValue, error) {
	typOff := d.off
	et, err := d.u32(field + " element type")
	if err != nil {
		return nil, err
	}
	elem := ValueType(et)
	if !elem.valid() || elem == Array {
		return nil, d.fail(typOff, field+" element type", ErrValueType, "element type %d", et)
	}
	minSize := int64(elem.size())
	if elem == String {
		minSize = 8
	}
	n, err := d.count(field+" length", MaxArrayLength, minSize)
	if err != nil {
		return nil, err
	}
	a := &ArrayValue{Elem: elem}
	if elem == String {
		s := make([]string, n)
		for i := range s {
			if s[i], err = d.str(fmt.Sprintf("%s[%d]", field, i), MaxStringLength); err != nil {
				return nil, err
			}
		}
		a.Values = s
		return a, nil
	}
	raw := make([]byte, n*uint64(minSize))
	if err := d.read(raw, field); err != nil {
		return nil, err
	}
	a.Values = decodeArray(elem, raw, int(n))
	return a, nil
}

func decodeArray(t ValueType, raw []byte, n int) any {
	sz := t.size()
	switch t {
	case Uint8:
		return raw
	case Int8:
		return fill(n, func(i int) int8 { return int8(raw[i]) })
	case Bool:
		return fill(n, func(i int) bool { return raw[i] != 0 })
	case Uint16:
		return fill(n, func(i int) uint16 { return scalar(t, raw[i*sz:]).(uint16) })
	case Int16:
		return fill(n, func(i int) int16 { return scalar(t, raw[i*sz:]).(int16) })
	case Uint32:
		return fill(n, func(i int) uint32 { return scalar(t, raw[i*sz:]).(uint32) })
	case Int32:
		return fill(n, func(i int) int32 { return scalar(t, raw[i*sz:]).(int32) })
	case Float32:
		return fill(n, func(i int) float32 { return scalar(t, raw[i*sz:]).(float32) })
	case Uint64:
		return fill(n, func(i int) uint64 { return scalar(t, raw[i*sz:]).(uint64) })
	case Int64:
		return fill(n, func(i int) int64 { return scalar(t, raw[i*sz:]).(int64) })
	case Float64:
		return fill(n, func(i int) float64 { return scalar(t, raw[i*sz:]).(float64) })
	}
	return nil
}

func fill[T any](n int, f func(int) T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
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
