package hub

import (
	"regexp"
	"strings"
)

// Format is a weight format as a file name spells it.
type Format struct {
	// Label is the format as file names write it: "Q4_K_M", "F16".
	Label string
	// Type is the format as `embellama quantize -type` and the auto
	// record spell it: "q4_k" (llama.cpp's Q4_K is Q4_K_M), "f16".
	Type string
	// precision orders formats from the most precise (0) down: the order
	// of llama.cpp's quantize table by bits per weight and perplexity.
	precision int
}

// formats are the weight formats a file name may carry, most precise
// first (tools/quantize/quantize.cpp of the pinned llama.cpp lists them
// with their sizes and perplexity on Llama-3-8B). Labels that are
// aliases name the same Type.
var formats = []Format{
	{"F32", "f32", 0}, {"FP32", "f32", 0},
	{"BF16", "bf16", 1}, {"F16", "f16", 1}, {"FP16", "f16", 1},
	{"Q8_0", "q8_0", 3},
	{"Q6_K", "q6_k", 4},
	{"Q5_K_M", "q5_k", 5}, {"Q5_K", "q5_k", 5}, {"Q5_K_S", "q5_k_s", 6}, {"Q5_1", "q5_1", 7}, {"Q5_0", "q5_0", 8},
	{"Q4_K_M", "q4_k", 9}, {"Q4_K", "q4_k", 9}, {"Q4_K_S", "q4_k_s", 10}, {"Q4_1", "q4_1", 11}, {"Q4_0", "q4_0", 12},
	{"Q4_0_4_4", "q4_0_4_4", 12}, {"Q4_0_4_8", "q4_0_4_8", 12}, {"Q4_0_8_8", "q4_0_8_8", 12}, // old ARM repacks
	{"IQ4_NL", "iq4_nl", 13}, {"IQ4_XS", "iq4_xs", 14}, {"MXFP4", "mxfp4", 14},
	{"Q3_K_L", "q3_k_l", 15}, {"Q3_K_M", "q3_k_m", 16}, {"Q3_K", "q3_k_m", 16}, {"IQ3_M", "iq3_m", 17}, {"IQ3_S", "iq3_s", 18},
	{"Q3_K_S", "q3_k_s", 19}, {"IQ3_XS", "iq3_xs", 20}, {"IQ3_XXS", "iq3_xxs", 21},
	{"Q2_K", "q2_k", 22}, {"Q2_K_S", "q2_k_s", 23}, {"IQ2_M", "iq2_m", 24}, {"IQ2_S", "iq2_s", 25}, {"IQ2_XS", "iq2_xs", 26},
	{"TQ2_0", "tq2_0", 27}, {"IQ2_XXS", "iq2_xxs", 27}, {"Q2_0", "q2_0", 28}, {"IQ1_M", "iq1_m", 29}, {"TQ1_0", "tq1_0", 29},
	{"IQ1_S", "iq1_s", 30}, {"Q1_0", "q1_0", 31},
}

// splitPart matches the name of one part of a split GGUF model
// (llama.cpp's gguf-split: NAME-00001-of-00003.gguf).
var splitPart = regexp.MustCompile(`(?i)-\d{5}-of-\d{5}\.gguf$`)

// Skip says why a file is not a candidate model.
type Skip string

// Why a file of a listing is not a candidate.
const (
	SkipNotGGUF   Skip = "not a .gguf file"
	SkipSplit     Skip = "one part of a split model"
	SkipProjector Skip = "a multimodal projector (mmproj), not a model"
	SkipImatrix   Skip = "an importance matrix, not a model"
	SkipUnknown   Skip = "no weight format in its name"
	SkipAmbiguous Skip = "two different weight formats in its name"
)

// Classify returns the weight format file's name carries, or why the
// file is not a candidate model. A format counts only as a whole word:
// delimited by the start or end of the stem, '-', '.', '_' or ' ' (so
// "bf16" is BF16, never F16).
func Classify(name string) (Format, Skip) {
	lower := strings.ToLower(name)
	switch {
	case !strings.HasSuffix(lower, ".gguf"):
		return Format{}, SkipNotGGUF
	case splitPart.MatchString(name):
		return Format{}, SkipSplit
	case strings.Contains(lower, "mmproj"):
		return Format{}, SkipProjector
	case strings.Contains(lower, "imatrix"):
		return Format{}, SkipImatrix
	}
	stem := strings.ToUpper(name[:len(name)-len(".gguf")])
	var found []Format
	for _, f := range formats {
		if wordIn(stem, f.Label) && !coveredBy(found, f.Label) {
			found = append(found, f)
		}
	}
	// A shorter label inside a longer one found (Q4_K in Q4_K_M) is the
	// same word, not a second format.
	var kept []Format
	for _, f := range found {
		if !coveredBy(found, f.Label) {
			kept = append(kept, f)
		}
	}
	switch {
	case len(kept) == 0:
		return Format{}, SkipUnknown
	case len(kept) > 1 && !sameType(kept):
		return Format{}, SkipAmbiguous
	}
	return kept[0], ""
}

// wordIn reports whether label occurs in stem as a whole word.
func wordIn(stem, label string) bool {
	for i := 0; ; {
		j := strings.Index(stem[i:], label)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(label)
		if (start == 0 || delim(stem[start-1])) && (end == len(stem) || delim(stem[end])) {
			return true
		}
		i = start + 1
	}
}

func delim(c byte) bool { return c == '-' || c == '.' || c == '_' || c == ' ' }

// coveredBy reports whether label is a proper part of a longer label in
// found that begins with it and continues with '_' (Q4_K of Q4_K_M).
func coveredBy(found []Format, label string) bool {
	for _, f := range found {
		if len(f.Label) > len(label) && strings.HasPrefix(f.Label, label+"_") {
			return true
		}
	}
	return false
}

func sameType(fs []Format) bool {
	for _, f := range fs[1:] {
		if f.Type != fs[0].Type {
			return false
		}
	}
	return true
}
