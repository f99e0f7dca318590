package gguf_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/embellama/embellama/internal/gguf"
)

// FuzzRead feeds arbitrary bytes to the reader: it must never panic, and
// whatever it accepts must be self-consistent (every tensor inside the
// file, aligned, in order). Seeds: the writer's sample, corrupt variants of
// it, and the first 4 KiB of the shared models when they are present.
func FuzzRead(f *testing.F) {
	good := sample(f)
	f.Add(good)
	for _, n := range []int{0, 3, 8, 24, 100, len(good) / 2, len(good) - 1} {
		f.Add(good[:n])
	}
	for _, off := range []int{8, 16, 24, 40, 200, 500} {
		b := bytes.Clone(good)
		b[off] ^= 0xff
		f.Add(b)
	}
	dir := os.Getenv("EMBELLAMA_MODELS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "models")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
	for _, p := range paths {
		if fh, err := os.Open(p); err == nil {
			head := make([]byte, 4<<10)
			n, _ := io.ReadFull(fh, head)
			fh.Close()
			f.Add(head[:n])
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := gguf.Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			var fe *gguf.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FormatError: %v", err)
			}
			return
		}
		if file.Alignment == 0 || file.Alignment&(file.Alignment-1) != 0 {
			t.Fatalf("alignment %d", file.Alignment)
		}
		var next uint64
		for _, ti := range file.Tensors {
			if ti.Offset != next || ti.Offset%file.Alignment != 0 {
				t.Fatalf("tensor %q at %d, want %d", ti.Name, ti.Offset, next)
			}
			if file.DataOffset+int64(ti.Offset+ti.Bytes) > int64(len(b)) {
				t.Fatalf("tensor %q beyond the file", ti.Name)
			}
			next = ti.Offset + (ti.Bytes+file.Alignment-1)/file.Alignment*file.Alignment
		}
		// Accessors never panic on accepted files.
		_ = file.Architecture()
		_ = file.EmbeddingLength()
		_, _ = file.PoolingType()
		_ = file.VocabSize()
		_ = file.FileType()
		_ = file.ParameterCount()
	})
}
