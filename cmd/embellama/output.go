package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// writeVector writes v as a JSON array of the shortest decimal forms that
// read back as the same float32 values.
func writeVector(w *bufio.Writer, v []float32) {
	buf := make([]byte, 0, 16)
	w.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			w.WriteByte(',')
		}
		buf = strconv.AppendFloat(buf[:0], float64(x), 'g', -1, 32)
		w.Write(buf)
	}
	w.WriteByte(']')
}

// writeOutput writes one row per record in format: "array" (a JSON array
// per line, null for a failed input), "jsonl" ({"id":…,"embedding":[…]}
// or {"id":…,"error":"…"} per line) or "npy" (a float32 matrix in NumPy's
// .npy format, which has no place for a failed input: the caller refuses
// those first).
func writeOutput(out io.Writer, format string, recs []record) error {
	w := bufio.NewWriterSize(out, 1<<16)
	switch format {
	case "array":
		for _, r := range recs {
			if r.err != nil {
				w.WriteString("null\n")
				continue
			}
			writeVector(w, r.vec)
			w.WriteByte('\n')
		}
	case "jsonl":
		for _, r := range recs {
			w.WriteString(`{"id":`)
			w.Write(r.id)
			if r.err != nil {
				msg, _ := json.Marshal(r.failure())
				w.WriteString(`,"error":`)
				w.Write(msg)
				w.WriteString("}\n")
				continue
			}
			w.WriteString(`,"embedding":`)
			writeVector(w, r.vec)
			w.WriteString("}\n")
		}
	case "npy":
		vecs := make([][]float32, len(recs))
		for i, r := range recs {
			if r.err != nil {
				return fmt.Errorf("npy: %s has no vector", r.where)
			}
			vecs[i] = r.vec
		}
		if err := writeNpy(w, vecs); err != nil {
			return err
		}
	default:
		return usageError{fmt.Errorf("unknown format %q (want array, jsonl or npy)", format)}
	}
	return w.Flush()
}

// writeNpy writes a rows×cols little-endian float32 matrix in NumPy's
// .npy format, version 1.0.
func writeNpy(w io.Writer, vecs [][]float32) error {
	cols := 0
	if len(vecs) > 0 {
		cols = len(vecs[0])
	}
	for _, v := range vecs {
		if len(v) != cols {
			return errors.New("npy: vectors of different lengths")
		}
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", len(vecs), cols)
	// magic (6) + version (2) + header length (2) + header + '\n', padded
	// with spaces to a multiple of 64.
	pad := 64 - (10+len(header)+1)%64
	if pad == 64 {
		pad = 0
	}
	header += strings.Repeat(" ", pad) + "\n"
	buf := make([]byte, 0, 10+len(header))
	buf = append(buf, "\x93NUMPY\x01\x00"...)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	if _, err := w.Write(buf); err != nil {
		return err
	}
	row := make([]byte, 4*cols)
	for _, v := range vecs {
		for i, x := range v {
			binary.LittleEndian.PutUint32(row[4*i:], math.Float32bits(x))
		}
		if _, err := w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// isTerminal reports whether f is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "[#####.....] done/total rate ETA" on w, at most ten
// times a second.
type progressBar struct {
	w     io.Writer
	start time.Time
	last  time.Time
}

func (p *progressBar) update(done, total int) {
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(done) / max(el, 1e-9)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	fill := width * done / max(total, 1)
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %.1f texts/s ETA %s ", strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, total, rate, eta)
	if done == total {
		fmt.Fprintln(p.w)
	}
}
