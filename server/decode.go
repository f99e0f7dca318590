package server

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// limits bound one request while it is decoded: the decoder stops at the
// first one crossed, before it reads the rest of the body.
type limits struct {
	inputs    int // most inputs
	tokens    int // most token ids over all inputs; 0: no bound
	textBytes int // longest text, in bytes
	bodyBytes int64
}

// maxFieldBytes bounds the strings of the fields other than input.
const maxFieldBytes = 4096

// maxDepth bounds the nesting of ignored fields' values.
const maxDepth = 64

// decoder reads one embeddings request from a stream. It writes every
// text and token id straight into the decoded input, so it allocates in
// proportion to what it keeps, and it never panics.
type decoder struct {
	r   *bufio.Reader
	lim limits
	off int64
	ids int
	buf []byte
}

// decodeRequest reads and validates an embeddings request from r.
// Strings must be valid UTF-8 without lone surrogate escapes: Go's
// encoding/json would silently replace those with U+FFFD, changing the
// client's text.
func decodeRequest(r io.Reader, lim limits) (*EmbeddingRequest, input, *APIError) {
	d := &decoder{r: bufio.NewReaderSize(r, 64<<10), lim: lim}
	req, in, err := d.request()
	if err != nil {
		return nil, input{}, err
	}
	return req, in, nil
}

func (d *decoder) request() (*EmbeddingRequest, input, *APIError) {
	var req EmbeddingRequest
	var in input
	seen := map[string]bool{}
	err := d.object(" after a field", func() *APIError {
		key, err := d.str("a field name", maxFieldBytes, false)
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if seen[key] && knownField(key) {
			return badRequest(key, "the field %s is given twice", key)
		}
		seen[key] = true
		return d.field(key, &req, &in)
	})
	if err != nil {
		return nil, in, err
	}
	if in.len() == 0 {
		return nil, in, badRequest("input", "input is required")
	}
	return &req, in, nil // the fields every route shares are checked by Server.check
}

var fields = []string{"input", "model", "encoding_format", "dimensions", "user", "prompt_name"}

func knownField(k string) bool {
	for _, f := range fields {
		if f == k {
			return true
		}
	}
	return false
}

// field decodes the value of key into req or in.
func (d *decoder) field(key string, req *EmbeddingRequest, in *input) *APIError {
	if isNull, err := d.null(); err != nil || isNull {
		return err
	}
	var err *APIError
	switch key {
	case "input":
		*in, err = d.input()
	case "model":
		req.Model, err = d.stringField(key)
	case "encoding_format":
		req.EncodingFormat, err = d.stringField(key)
		if err != nil {
			err = badRequest(key, "encoding_format must be \"float\" or \"base64\"")
		}
	case "user":
		req.User, err = d.stringField(key)
	case "prompt_name":
		var name string
		name, err = d.stringField(key)
		req.PromptName = &name
	case "dimensions":
		var n int
		n, err = d.integer(key)
		req.Dimensions = &n
	default:
		for _, f := range fields {
			if strings.EqualFold(f, key) {
				return badRequest(key, "unknown field %q (field names are case-sensitive: did you mean %q?)", key, f)
			}
		}
		return d.skip(0)
	}
	return err
}

// stringField decodes a string field other than input.
func (d *decoder) stringField(key string) (string, *APIError) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", badRequest(key, "%s must be a string, not %s", key, kind(c))
	}
	return d.str(key, maxFieldBytes, false)
}

// integer decodes dimensions, a 32-bit integer (Server.check wants it
// positive).
func (d *decoder) integer(key string) (int, *APIError) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, badRequest(key, "%s must be a positive integer, not %s", key, kind(c))
	}
	num, err := d.number()
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(string(num), 10, 32)
	if perr != nil {
		return 0, badRequest(key, "%s must be a positive integer, not %s", key, num)
	}
	return int(v), nil
}

// kind names the JSON type of a value starting with c.
func kind(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == '[':
		return "an array"
	case c == '{':
		return "an object"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "not JSON"
}

// peek skips white space and returns the next byte without consuming it.
// At the end of the body it returns an *APIError of status 0.
func (d *decoder) peek() (byte, *APIError) {
	for {
		b, err := d.r.Peek(1)
		if err != nil {
			return 0, d.readError(err)
		}
		switch b[0] {
		case ' ', '\t', '\n', '\r':
			d.next()
			continue
		}
		return b[0], nil
	}
}

func (d *decoder) next() byte {
	b, _ := d.r.ReadByte()
	d.off++
	return b
}

// raw returns the next byte without skipping white space.
func (d *decoder) raw() (byte, *APIError) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readError(err)
	}
	d.off++
	return b, nil
}

func (d *decoder) expect(c byte) *APIError {
	got, err := d.peek()
	if err != nil {
		return err
	}
	if got != c {
		return d.syntax("expected " + string(c))
	}
	d.next()
	return nil
}

// readError maps a read error (see bodyError).
func (d *decoder) readError(err error) *APIError { return bodyError(err) }

func (d *decoder) syntax(what string) *APIError {
	return badRequest("", "the request body is not valid JSON: %s at byte %d", what, d.off)
}
