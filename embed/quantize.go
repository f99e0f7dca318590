package embed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/outfile"
	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/platform"
)

// Errors of [Engine.Quantize], distinct because each calls for a
// different remedy. (They sit here rather than in errors.go so that the
// quantizer stays one file.)
var (
	// ErrQuantizeType: the requested format is not one [QuantizeTypes]
	// lists. Pick one of those.
	ErrQuantizeType = errors.New("embed: unknown quantization type")
	// ErrRequantize: the input's weights are already quantized; converting
	// them again compounds the rounding. Start from the F32, F16 or BF16
	// file.
	ErrRequantize = errors.New("embed: input is already quantized")
	// ErrOutputExists: the output file exists and QuantizeOptions.Overwrite
	// is false, or it is the input itself.
	ErrOutputExists = errors.New("embed: output file exists")
	// ErrQuantize: llama.cpp failed to convert the file; the error carries
	// what it logged.
	ErrQuantize = errors.New("embed: quantization failed")
)

// quantType is one format Quantize writes.
type quantType struct {
	name  string
	ftype llama.FileType
	// overrides give some tensors another type than ftype's: the mixed
	// formats keep attention wider than the feed-forward weights.
	overrides []llama.TensorOverride
}

// attnWeights matches the attention projections of every architecture
// embellama loads (BERT's attn_q/k/v/output, fused attn_qkv).
const attnWeights = `attn_(q|k|v|qkv|output)\.weight`

// attnAs returns the override keeping attention weights in t.
func attnAs(t llama.TensorType) []llama.TensorOverride {
	return []llama.TensorOverride{{Pattern: attnWeights, Type: t}}
}

// quantTypes maps the names [Engine.Quantize] accepts to llama.cpp's file
// types, in the order [QuantizeTypes] lists them.
var quantTypes = []quantType{
	{"f32", llama.FileTypeF32, nil},
	{"f16", llama.FileTypeF16, nil},
	{"bf16", llama.FileTypeBF16, nil},
	{"q8_0", llama.FileTypeQ8_0, nil},
	{"q6_k", llama.FileTypeQ6_K, nil},
	{"q5_k", llama.FileTypeQ5_KM, nil},
	{"q4_k", llama.FileTypeQ4_KM, nil},
	{"q4_0", llama.FileTypeQ4_0, nil},
	{"iq4_nl", llama.FileTypeIQ4NL, nil},
	{"mix-f16-q8_0", llama.FileTypeQ8_0, attnAs(llama.TensorTypeF16)},
	{"mix-bf16-q8_0", llama.FileTypeQ8_0, attnAs(llama.TensorTypeBF16)},
	{"mix-f16-q4_0", llama.FileTypeQ4_0, attnAs(llama.TensorTypeF16)},
	{"mix-bf16-q4_0", llama.FileTypeQ4_0, attnAs(llama.TensorTypeBF16)},
}

// QuantizeTypes returns the names QuantizeOptions.Type accepts: "f32",
// "f16", "bf16", "q8_0", "q6_k", "q5_k" (llama.cpp's Q5_K_M), "q4_k"
// (Q4_K_M), "q4_0", "iq4_nl" (no importance matrix), and the mixed
// formats "mix-A-B": attention weights in A (f16 or bf16), the others in
// B (q8_0 or q4_0). docs/performance.md measures them. "auto" is
// accepted too (see [Engine.QuantizeAuto]) but not listed.
func QuantizeTypes() []string {
	names := make([]string, len(quantTypes))
	for i, q := range quantTypes {
		names[i] = q.name
	}
	return names
}

// sourceTypes are the tensor types Quantize converts without Requantize.
var sourceTypes = []gguf.TensorType{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16}

// QuantizeOptions says how [Engine.Quantize] converts a file.
type QuantizeOptions struct {
	// Type is one of [QuantizeTypes], case-insensitive.
	Type string
	// Threads converts with that many threads; 0 means the physical
	// cores.
	Threads int
	// Overwrite replaces an existing output file.
	Overwrite bool
	// Requantize converts tensors that are quantized already (dequantized
	// to F32 first, so their rounding compounds); without it such a file
	// is refused with [ErrRequantize].
	Requantize bool
}

// Quantize writes the GGUF model in to out with its weights in the format
// opts.Type ([AutoType] measures which: see [Engine.QuantizeAuto]), through llama.cpp's own llama_model_quantize: 2-D weights
// take the type (K-quant mixes keep some tensors wider, as llama.cpp
// chooses), norms and biases stay F32, and the metadata is copied.
//
// The input is validated by the pure-Go GGUF reader first, and its
// tensors must be F32, F16 or BF16 unless opts.Requantize. The output is
// written beside out under a temporary name, checked, and renamed, so out
// is either complete or untouched; it gets mode 0644 less the umask. Only
// a new path or a regular file is written: a device, FIFO, socket,
// directory or symbolic link at out is refused with [ErrNotRegularFile],
// Overwrite or not (a link is not followed). llama.cpp cannot be
// interrupted: ctx is checked before it starts and after it ends.
//
// Errors match [ErrQuantizeType], [ErrModelNotFound], [ErrModelLoad]
// (with a gguf format error), [ErrRequantize], [ErrOutputExists],
// [ErrNotRegularFile] (for out), [ErrInvalidOption], [ErrQuantize] or
// [ErrClosed].
func (e *Engine) Quantize(ctx context.Context, in, out string, opts QuantizeOptions) error {
	if strings.EqualFold(opts.Type, AutoType) {
		_, err := e.QuantizeAuto(ctx, in, out, opts)
		return err
	}
	i := slices.IndexFunc(quantTypes, func(q quantType) bool { return strings.EqualFold(q.name, opts.Type) })
	if i < 0 {
		return fmt.Errorf("%w: %q (known: %s)", ErrQuantizeType, opts.Type, strings.Join(QuantizeTypes(), ", "))
	}
	if opts.Threads < 0 {
		return fmt.Errorf("%w: Threads %d is negative", ErrInvalidOption, opts.Threads)
	}
	e.mu.RLock()
	closed := e.closed
	e.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if err := checkQuantizeInput(in, opts.Requantize); err != nil {
		return err
	}
	if err := checkQuantizeOutput(in, out, opts.Overwrite); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return quantize(ctx, in, out, quantTypes[i], opts.Threads, opts.Requantize)
}

// checkQuantizeInput validates in as loadModel does, and refuses a
// quantized tensor unless requantize.
func checkQuantizeInput(in string, requantize bool) error {
	f, err := readHeader(in) // refuses a FIFO, which would block the open
	if err != nil {
		return err
	}
	if f.Architecture() == "" {
		return fmt.Errorf("%w: %s has no general.architecture", ErrModelLoad, in)
	}
	if len(f.Tensors) == 0 {
		return fmt.Errorf("%w: %s has no tensors", ErrModelLoad, in)
	}
	if requantize {
		return nil
	}
	for _, t := range f.Tensors {
		if !slices.Contains(sourceTypes, t.Type) {
			return fmt.Errorf("%w: %s: tensor %s is %s (set Requantize to convert it anyway)", ErrRequantize, in, t.Name, t.Type)
		}
	}
	return nil
}

// checkQuantizeOutput refuses an output path that is empty, whose
// directory does not exist, or where something other than a regular file
// is (see [notRegularOutput]); and a regular file that is the input, or
// that exists unless overwrite.
func checkQuantizeOutput(in, out string, overwrite bool) error {
	if out == "" {
		return fmt.Errorf("%w: empty output path", ErrInvalidOption)
	}
	if strings.IndexByte(out, 0) >= 0 {
		return fmt.Errorf("%w: output path contains a NUL byte", ErrInvalidOption)
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: output directory %s does not exist", ErrInvalidOption, filepath.Dir(out))
	}
	ofi, err := os.Lstat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	if err := outfile.Check(out); err != nil {
		return notRegularOutput(err)
	}
	ifi, ierr := os.Stat(in)
	switch {
	case ierr == nil && os.SameFile(ifi, ofi):
		return fmt.Errorf("%w: %s is the input", ErrOutputExists, out)
	case !overwrite:
		return fmt.Errorf("%w: %s (set Overwrite to replace it)", ErrOutputExists, out)
	}
	return nil
}

// notRegularOutput refuses, with [ErrNotRegularFile], an output path that
// holds anything but a regular file. The output is renamed over the
// path, which would replace a device (/dev/null, for root), a FIFO or a
// socket with a file; a symbolic link is refused rather than followed, so
// that what is replaced is always the path named; a directory cannot be
// replaced. Overwrite does not change this.
func notRegularOutput(err error) error {
	if errors.Is(err, outfile.ErrNotRegularFile) {
		return fmt.Errorf("%w: quantize output: %w", ErrNotRegularFile, err)
	}
	return err
}

// quantize runs llama.cpp into a temporary file beside out and renames
// it once the Go reader accepts it with the requested file type.
func quantize(ctx context.Context, in, out string, qt quantType, threads int, requantize bool) error {
	ft := qt.ftype
	tmpName, err := outfile.CreatePart(out)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrQuantize, err)
	}
	defer os.Remove(tmpName) // a no-op once renamed

	p, err := llama.DefaultQuantizeParams()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLibrary, err)
	}
	if threads == 0 {
		threads = platform.PhysicalCores()
	}
	p.FType, p.NThread, p.AllowRequantize = ft, int32(threads), requantize
	if err := llama.Quantize(in, tmpName, p, qt.overrides...); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrQuantize, in, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := gguf.Open(tmpName)
	if err != nil {
		return fmt.Errorf("%w: llama.cpp wrote an unreadable file: %w", ErrQuantize, err)
	}
	if n, ok := f.Uint("general.file_type"); !ok || n != uint64(ft) {
		return fmt.Errorf("%w: the output's general.file_type is %d, want %d", ErrQuantize, n, ft)
	}
	if err := outfile.Replace(tmpName, out); err != nil {
		if errors.Is(err, outfile.ErrNotRegularFile) {
			return notRegularOutput(err)
		}
		return fmt.Errorf("%w: %w", ErrQuantize, err)
	}
	return nil
}
