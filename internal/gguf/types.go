package gguf

import "fmt"

// ValueType is the type of a metadata value (enum gguf_type).
type ValueType uint32

// Metadata value types.
const (
	Uint8   ValueType = 0
	Int8    ValueType = 1
	Uint16  ValueType = 2
	Int16   ValueType = 3
	Uint32  ValueType = 4
	Int32   ValueType = 5
	Float32 ValueType = 6
	Bool    ValueType = 7
	String  ValueType = 8
	Array   ValueType = 9
	Uint64  ValueType = 10
	Int64   ValueType = 11
	Float64 ValueType = 12
)

var valueTypeNames = [...]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"}

// String returns the type's short name.
func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// valid reports whether t is a known value type.
func (t ValueType) valid() bool { return t <= Float64 }

// size returns the encoded size of a fixed-size value, or 0 for strings
// and arrays.
func (t ValueType) size() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Uint64, Int64, Float64:
		return 8
	}
	return 0
}

// TensorType is a ggml tensor type (enum ggml_type).
type TensorType uint32

// The tensor types the writer produces; the reader knows them all.
const (
	TypeF32  TensorType = 0
	TypeF16  TensorType = 1
	TypeQ8_0 TensorType = 8
	TypeBF16 TensorType = 30
)

// tensorTraits are ggml's block size (elements) and block byte size for
// each type of the pinned release, as ggml_blck_size/ggml_type_size report
// them. Removed types have a zero block size and are rejected.
var tensorTraits = [...]struct {
	name      string
	block     uint64
	blockSize uint64
}{
	0: {"F32", 1, 4}, 1: {"F16", 1, 2}, 2: {"Q4_0", 32, 18}, 3: {"Q4_1", 32, 20},
	6: {"Q5_0", 32, 22}, 7: {"Q5_1", 32, 24}, 8: {"Q8_0", 32, 34}, 9: {"Q8_1", 32, 36},
	10: {"Q2_K", 256, 84}, 11: {"Q3_K", 256, 110}, 12: {"Q4_K", 256, 144}, 13: {"Q5_K", 256, 176},
	14: {"Q6_K", 256, 210}, 15: {"Q8_K", 256, 292}, 16: {"IQ2_XXS", 256, 66}, 17: {"IQ2_XS", 256, 74},
	18: {"IQ3_XXS", 256, 98}, 19: {"IQ1_S", 256, 50}, 20: {"IQ4_NL", 32, 18}, 21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82}, 23: {"IQ4_XS", 256, 136}, 24: {"I8", 1, 1}, 25: {"I16", 1, 2},
	26: {"I32", 1, 4}, 27: {"I64", 1, 8}, 28: {"F64", 1, 8}, 29: {"IQ1_M", 256, 56},
	30: {"BF16", 1, 2}, 34: {"TQ1_0", 256, 54}, 35: {"TQ2_0", 256, 66}, 39: {"MXFP4", 32, 17},
	40: {"NVFP4", 64, 36}, 41: {"Q1_0", 128, 18}, 42: {"Q2_0", 64, 18},
}

func (t TensorType) valid() bool {
	return int(t) < len(tensorTraits) && tensorTraits[t].block != 0
}

// String returns ggml's name for the type, such as "F16" or "Q8_0".
func (t TensorType) String() string {
	if t.valid() {
		return tensorTraits[t].name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// BlockSize returns how many elements one block of the type holds.
func (t TensorType) BlockSize() uint64 {
	if !t.valid() {
		return 0
	}
	return tensorTraits[t].block
}

// BlockBytes returns the size in bytes of one block of the type.
func (t TensorType) BlockBytes() uint64 {
	if !t.valid() {
		return 0
	}
	return tensorTraits[t].blockSize
}
