package autorecord

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/embellama/embellama/internal/jsonread"
	"github.com/embellama/embellama/internal/outfile"
)

// fileName is the record's name in embellama's user cache directory.
const fileName = "auto-format.json"

// DefaultPath returns where the record is kept: auto-format.json in
// embellama's directory of the user cache (os.UserCacheDir: ~/.cache on
// Linux, ~/Library/Caches on macOS, %LocalAppData% on Windows), beside
// pull's models and the installed libraries.
func DefaultPath() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("autorecord: %w", err)
	}
	return filepath.Join(c, "embellama", fileName), nil
}

// Decode parses a record strictly: one JSON object of [Record]'s fields,
// each at most once, no unknown field, valid UTF-8, nothing after it, at
// most [MaxSize] bytes, and content that passes [Record.Validate]. Every
// failure wraps [ErrCorrupt].
func Decode(data []byte) (Record, error) {
	var r Record
	if len(data) > MaxSize {
		return Record{}, fmt.Errorf("%w: %d bytes, at most %d", ErrCorrupt, len(data), MaxSize)
	}
	if err := jsonread.Strict(data, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := r.Validate(); err != nil {
		return Record{}, err
	}
	r.MeasuredAt = r.MeasuredAt.UTC()
	return r, nil
}

// Encode returns r as the JSON Decode reads, after checking it with
// [Record.Validate].
func Encode(r Record) ([]byte, error) {
	r.MeasuredAt = r.MeasuredAt.UTC()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("autorecord: %w", err)
	}
	b = append(b, '\n')
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCorrupt, len(b), MaxSize)
	}
	return b, nil
}

// Read reads the record at path: [ErrNotFound] when there is none,
// [ErrCorrupt] when it is not a regular file or fails [Decode]. It reads
// at most MaxSize+1 bytes, whatever the file's size.
func Read(path string) (Record, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, fmt.Errorf("%w (%s)", ErrNotFound, path)
	}
	if err != nil {
		return Record{}, fmt.Errorf("autorecord: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Record{}, fmt.Errorf("%w: %s is not a regular file", ErrCorrupt, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Record{}, fmt.Errorf("autorecord: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return Record{}, fmt.Errorf("autorecord: %w", err)
	}
	r, err := Decode(data)
	if err != nil {
		return Record{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Write stores r at path, replacing the record there: it creates the
// directory, writes a temporary file beside path and renames it into
// place, so a reader sees the old record or the new one, never half of
// one. A path that holds something other than a regular file is refused.
func Write(path string, r Record) error {
	b, err := Encode(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("autorecord: %w", err)
	}
	f, err := outfile.Create(path)
	if err != nil {
		return fmt.Errorf("autorecord: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("autorecord: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("autorecord: %w", err)
	}
	return nil
}
