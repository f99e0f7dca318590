package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// record is one input of `embellama embed` and, once embedded, its
// output row: every input line (or argument) gives exactly one row, so
// that rows line up with the input.
type record struct {
	// id is the JSON value of the input's "id" field exactly as written
	// (12345678901234567890 stays that number), or the 0-based number of
	// its line or argument.
	id json.RawMessage
	// where names the input in messages: "line 3", "argument 1".
	where string
	text  string
	// err is why the input gives an error row instead of a vector; it is
	// set when the line cannot be read as an input, or by the engine.
	err error
	vec []float32
}

// failure is the text of r's error row and of its line on stderr: where
// it stands, and why it failed ("line 3: ...").
func (r record) failure() string {
	return r.where + ": " + errorText(r.err)
}

// inputMode says how the lines of a file or of standard input are read.
type inputMode string

const (
	inputAuto  inputMode = "auto"  // jsonl for -field, *.jsonl / *.ndjson files, or a first line that is a JSON object; else text
	inputText  inputMode = "text"  // each line is a text, as written
	inputJSONL inputMode = "jsonl" // each line is a JSON object; its field (default "text") is the text
)

// defaultField is the JSON field read when -field is not given.
const defaultField = "text"

// errInput marks an input line that cannot be embedded as written.
var errInput = errors.New("bad input line")

// errInputf returns an error matching errInput, with the message format.
func errInputf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errInput, fmt.Sprintf(format, a...))
}

// inputOptions are the settings of readInputs.
type inputOptions struct {
	mode      inputMode // "" is inputAuto
	field     string    // "" means defaultField in jsonl mode
	name      string    // the file's name, for mode auto; "" for standard input
	skipEmpty bool      // blank lines give no row (ids still count them)
}

// parseInputMode parses the -input flag.
func parseInputMode(s string) (inputMode, error) {
	switch m := inputMode(s); m {
	case inputAuto, inputText, inputJSONL:
		return m, nil
	}
	return "", fmt.Errorf("-input %q: want auto, text or jsonl", s)
}

// inputFlags are the -input and -field flags, shared by every command
// that reads lines of input (embed, rerank) so that each reads them the
// same way.
type inputFlags struct{ input, field string }

// add adds -input and -field; what names the lines ("text", "document").
func (f *inputFlags) add(fs *flag.FlagSet, what string) {
	fs.StringVar(&f.input, "input", string(inputAuto), "how lines are read: text, jsonl, or auto (jsonl with -field, for *.jsonl and *.ndjson files, or when the first line is a JSON object)")
	fs.StringVar(&f.field, "field", "", "JSON Lines: the `field` holding the "+what+" (default \"text\"); \"id\" names the output row")
}

// given reports whether either flag was set to other than its default.
func (f *inputFlags) given() bool { return f.field != "" || inputMode(f.input) != inputAuto }

// options returns readInputs' settings for the file called name ("" for
// standard input). -field with -input text is a usage error: the lines
// would be read as written and the field ignored.
func (f *inputFlags) options(name string, skipEmpty bool) (inputOptions, error) {
	mode, err := parseInputMode(f.input)
	if err != nil {
		return inputOptions{}, usageError{err}
	}
	if mode == inputText && f.field != "" {
		return inputOptions{}, usageError{errors.New("-field reads JSON Lines; -input text reads lines as written: give one of them")}
	}
	return inputOptions{mode: mode, field: f.field, name: name, skipEmpty: skipEmpty}, nil
}

// argRecords turns TEXT arguments into records.
func argRecords(args []string, skipEmpty bool) []record {
	recs := make([]record, 0, len(args))
	for i, t := range args {
		if skipEmpty && strings.TrimSpace(t) == "" {
			continue
		}
		recs = append(recs, record{id: json.RawMessage(strconv.Itoa(i)), where: fmt.Sprintf("argument %d", i+1), text: t})
	}
	return recs
}

// readInputs reads one record per line of r. A line that cannot be read
// as an input gives a record with err set, not a failure of the whole
// read; only an I/O error (or a line over 64 MiB) fails it.
func readInputs(r io.Reader, o inputOptions) ([]record, error) {
	var recs []record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	mode := o.mode
	if mode == "" {
		mode = inputAuto
	}
	if mode == inputAuto && o.field != "" {
		mode = inputJSONL
	}
	if mode == inputAuto {
		switch strings.ToLower(filepath.Ext(o.name)) {
		case ".jsonl", ".ndjson":
			mode = inputJSONL
		}
	}
	field := o.field
	if field == "" {
		field = defaultField
	}
	for line := 0; sc.Scan(); line++ {
		b := sc.Bytes()
		if line == 0 {
			// A byte order mark marks the encoding, it is not text.
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		rec := record{id: json.RawMessage(strconv.Itoa(line)), where: fmt.Sprintf("line %d", line+1)}
		blank := len(bytes.TrimSpace(b)) == 0
		switch {
		case blank && o.skipEmpty:
			continue
		case mode == inputAuto && !blank:
			// The first line decides: a JSON object means JSON Lines.
			mode = inputText
			if looksLikeObject(b) {
				mode = inputJSONL
			}
		}
		if mode == inputJSONL && !blank {
			rec.text, rec.err = readJSONLine(b, field, &rec.id)
		} else {
			rec.text = string(b)
		}
		recs = append(recs, rec)
	}
	return recs, sc.Err()
}

// looksLikeObject reports whether b is one JSON object.
func looksLikeObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{' && json.Valid(b)
}

// readJSONLine returns the text in field of the JSON object b, and sets
// *id to its "id" field when it has one.
func readJSONLine(b []byte, field string, id *json.RawMessage) (string, error) {
	if !utf8.Valid(b) {
		// The decoder would turn the bad bytes into U+FFFD silently.
		return "", errInputf("not valid UTF-8")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		return "", errInputf("not a JSON object (%v); use -input text to embed the lines as written", err)
	}
	if raw, ok := obj["id"]; ok {
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err == nil {
			*id = c.Bytes()
		}
	}
	raw, ok := obj[field]
	var text string
	if !ok || json.Unmarshal(raw, &text) != nil {
		return "", errInputf("no string field %q (name the field holding the text with -field)", field)
	}
	if s := loneSurrogate(raw); s != "" {
		return "", errInputf("field %q holds the lone surrogate %s, which is not Unicode text", field, s)
	}
	return text, nil
}

// loneSurrogate returns the first \uXXXX escape of the JSON string raw
// that is half of a UTF-16 surrogate pair without its other half, or "".
// (encoding/json replaces it with U+FFFD without saying so.)
func loneSurrogate(raw []byte) string {
	s := string(raw)
	hex := func(i int) (rune, bool) { // the escape \uXXXX at s[i:]
		if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		return rune(v), err == nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // skip the escaped character (\\, \", ...)
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := hex(i + 6); ok && lo >= 0xDC00 && lo < 0xE000 {
				i += 11
				continue
			}
			return s[i : i+6]
		case r >= 0xDC00 && r < 0xE000:
			return s[i : i+6]
		}
		i += 5
	}
	return ""
}

// hasText reports whether any record is more than a blank line: input of
// blank lines only is no input at all, not a column of error rows.
func hasText(recs []record) bool {
	for _, r := range recs {
		if r.err != nil || strings.TrimSpace(r.text) != "" {
			return true
		}
	}
	return false
}
