package gguf

import "math"

// Value returns the value of key and whether it is present. Scalars are
// uint8, int8, uint16, int16, uint32, int32, float32, bool, string,
// uint64, int64 or float64 by type; arrays are *[ArrayValue].
func (f *File) Value(key string) (any, bool) {
	i, ok := f.index[key]
	if !ok {
		return nil, false
	}
	return f.KV[i].Value, true
}

// String returns the string value of key; ok is false when the key is
// absent or not a string.
func (f *File) String(key string) (string, bool) {
	v, _ := f.Value(key)
	s, ok := v.(string)
	return s, ok
}

// Uint returns an unsigned or non-negative integer value of key, whatever
// its integer type; ok is false when it is absent, negative or not an
// integer.
func (f *File) Uint(key string) (uint64, bool) {
	v, _ := f.Value(key)
	switch x := v.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

// Bool returns the boolean value of key.
func (f *File) Bool(key string) (bool, bool) {
	v, _ := f.Value(key)
	b, ok := v.(bool)
	return b, ok
}

// Array returns the array value of key.
func (f *File) Array(key string) (*ArrayValue, bool) {
	v, _ := f.Value(key)
	a, ok := v.(*ArrayValue)
	return a, ok
}

// Architecture returns general.architecture, such as "bert" or "qwen3".
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}

func (f *File) archUint(suffix string) int {
	n, ok := f.Uint(f.Architecture() + "." + suffix)
	if !ok || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}

// EmbeddingLength returns <arch>.embedding_length (0 if absent).
func (f *File) EmbeddingLength() int { return f.archUint("embedding_length") }

// ContextLength returns <arch>.context_length, the trained context.
func (f *File) ContextLength() int { return f.archUint("context_length") }

// BlockCount returns <arch>.block_count, the number of layers.
func (f *File) BlockCount() int { return f.archUint("block_count") }

// HeadCount returns <arch>.attention.head_count.
func (f *File) HeadCount() int { return f.archUint("attention.head_count") }

// HeadSize returns the width of one attention head's values:
// <arch>.attention.value_length, or embedding_length / head_count when
// the file does not say (0 when neither is known).
func (f *File) HeadSize() int {
	if n := f.archUint("attention.value_length"); n > 0 {
		return n
	}
	if h := f.HeadCount(); h > 0 {
		return f.EmbeddingLength() / h
	}
	return 0
}

// Pooling is llama.cpp's enum llama_pooling_type, as stored in
// <arch>.pooling_type: the one definition, which package llama's
// PoolingType is (an alias), and package embed converts to its own
// Pooling where it reads a file or configures a context.
type Pooling int32

// Pooling types, as llama.cpp numbers them.
const (
	// PoolingUnspecified is llama_context_params' "the model's own"; a
	// file never stores it.
	PoolingUnspecified Pooling = -1
	PoolingNone        Pooling = 0
	PoolingMean        Pooling = 1
	PoolingCLS         Pooling = 2
	PoolingLast        Pooling = 3
	PoolingRank        Pooling = 4
)

// poolingNames are the names of PoolingUnspecified to PoolingRank.
var poolingNames = [...]string{"unspecified", "none", "mean", "cls", "last", "rank"}

// String returns the pooling's name, or "unknown".
func (p Pooling) String() string {
	if i := int(p) - int(PoolingUnspecified); i >= 0 && i < len(poolingNames) {
		return poolingNames[i]
	}
	return "unknown"
}

// PoolingType returns <arch>.pooling_type, and false when the file does
// not declare one (llama.cpp then uses none: the file is not an embedding
// model).
func (f *File) PoolingType() (Pooling, bool) {
	n, ok := f.Uint(f.Architecture() + ".pooling_type")
	if !ok || n > uint64(PoolingRank) {
		return PoolingNone, false
	}
	return Pooling(n), true
}

// IsEmbeddingModel reports whether the file declares a pooling type other
// than none, which is how llama.cpp knows a model produces sentence
// embeddings.
func (f *File) IsEmbeddingModel() bool {
	p, ok := f.PoolingType()
	return ok && p != PoolingNone && p != PoolingRank
}

// Causal returns <arch>.attention.causal and whether it is present.
func (f *File) Causal() (bool, bool) { return f.Bool(f.Architecture() + ".attention.causal") }

// TokenizerModel returns tokenizer.ggml.model, such as "bert", "gpt2" or
// "llama".
func (f *File) TokenizerModel() string {
	s, _ := f.String("tokenizer.ggml.model")
	return s
}

// VocabSize returns the number of tokens in tokenizer.ggml.tokens.
func (f *File) VocabSize() int {
	a, ok := f.Array("tokenizer.ggml.tokens")
	if !ok {
		return 0
	}
	return a.Len()
}

// AddBOS returns tokenizer.ggml.add_bos_token and whether it is present.
func (f *File) AddBOS() (bool, bool) { return f.Bool("tokenizer.ggml.add_bos_token") }

// AddEOS returns tokenizer.ggml.add_eos_token and whether it is present.
func (f *File) AddEOS() (bool, bool) { return f.Bool("tokenizer.ggml.add_eos_token") }

// Name returns general.name, if present.
func (f *File) Name() string {
	s, _ := f.String("general.name")
	return s
}

// License returns general.license, if present.
func (f *File) License() string {
	s, _ := f.String("general.license")
	return s
}

// ParameterCount returns the number of elements of all tensors.
func (f *File) ParameterCount() uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Elements()
	}
	return n
}

// TensorBytes returns the size of all tensor data.
func (f *File) TensorBytes() uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Bytes
	}
	return n
}

// fileTypes names llama_ftype values (general.file_type).
var fileTypes = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
	37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}

// FileType returns the name of general.file_type (the quantization), or,
// when absent, the type of the most common 2-D tensor data.
func (f *File) FileType() string {
	if n, ok := f.Uint("general.file_type"); ok {
		if s, ok := fileTypes[n]; ok {
			return s
		}
	}
	bytes := map[TensorType]uint64{}
	for _, t := range f.Tensors {
		if len(t.Dims) >= 2 {
			bytes[t.Type] += t.Bytes
		}
	}
	best, most := "", uint64(0)
	for t, n := range bytes {
		if n > most || (n == most && t.String() < best) {
			best, most = t.String(), n
		}
	}
	return best
}
