package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// Open reads the GGUF file at path. See [Read]. Anything but a regular
// file is refused before it is opened: opening a FIFO for reading blocks
// until a writer comes, which may be never.
func Open(path string) (*File, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, &FormatError{Field: path, Err: ErrNotFile}
	}
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
