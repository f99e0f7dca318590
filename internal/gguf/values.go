package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The metadata of a GGUF file: its key-value pairs and their values.

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
