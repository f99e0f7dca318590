package jsonread

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits bound one request while it is decoded: [DecodeEmbeddings]
// stops at the first one crossed, before it reads the rest of the body.
type Limits struct {
	Inputs    int // most inputs
	Tokens    int // most token ids over all inputs; 0: no bound
	TextBytes int // longest text, in bytes
}

// Embeddings is a decoded embeddings request (OpenAI's shape, with
// text-embeddings-inference's prompt_name). Exactly one of Texts and
// Tokens is set, and it is not empty.
type Embeddings struct {
	Model          string
	EncodingFormat string
	User           string
	Dimensions     *int    // nil: absent or null
	PromptName     *string // nil: absent or null
	Texts          []string
	Tokens         [][]int32
}

// Len returns the number of inputs.
func (e *Embeddings) Len() int {
	if e.Tokens != nil {
		return len(e.Tokens)
	}
	return len(e.Texts)
}

// DecodeEmbeddings reads an embeddings request from r: an object whose
// input is a string, an array of strings, an array of token ids, or an
// array of arrays of token ids. It checks the syntax and types of the
// other fields, not their values. The error is an [*Error].
func DecodeEmbeddings(r io.Reader, lim Limits) (*Embeddings, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 64<<10), lim: lim}
	req, err := d.request()
	if err != nil {
		return nil, err
	}
	return req, nil
}

func (d *decoder) request() (*Embeddings, *Error) {
	var req Embeddings
	seen := map[string]bool{}
	err := d.object(" after a field", func() *Error {
		key, err := d.str("a field name", MaxFieldBytes, false)
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if seen[key] && knownField(key) {
			return d.invalid(key, "the field %s is given twice", key)
		}
		seen[key] = true
		return d.field(key, &req)
	})
	if err != nil {
		return nil, err
	}
	if req.Len() == 0 {
		return nil, d.invalid("input", "input is required")
	}
	return &req, nil
}

// fields are the fields of an embeddings request.
var fields = []string{"input", "model", "encoding_format", "dimensions", "user", "prompt_name"}

func knownField(k string) bool {
	for _, f := range fields {
		if f == k {
			return true
		}
	}
	return false
}

// field decodes the value of key into req.
func (d *decoder) field(key string, req *Embeddings) *Error {
	if isNull, err := d.null(); err != nil || isNull {
		return err
	}
	var err *Error
	switch key {
	case "input":
		err = d.input(req)
	case "model":
		req.Model, err = d.stringField(key)
	case "encoding_format":
		req.EncodingFormat, err = d.stringField(key)
		if err != nil && err.Kind != ErrRead {
			err = d.invalid(key, "encoding_format must be a string")
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
		return d.unknown(key, key, fields)
	}
	return err
}

// stringField decodes a string field other than input.
func (d *decoder) stringField(key string) (string, *Error) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", d.invalid(key, "%s must be a string, not %s", key, kind(c))
	}
	return d.str(key, MaxFieldBytes, false)
}

// integer decodes a 32-bit integer (dimensions).
func (d *decoder) integer(key string) (int, *Error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.invalid(key, "%s must be a positive integer, not %s", key, kind(c))
	}
	num, err := d.number()
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(string(num), 10, 32)
	if perr != nil {
		return 0, d.invalid(key, "%s must be a positive integer, not %s", key, num)
	}
	return int(v), nil
}

// input decodes the input field into req: a string, or an array of
// strings, of token ids, or of arrays of token ids.
func (d *decoder) input(req *Embeddings) *Error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		s, err := d.text(0)
		req.Texts = []string{s}
		return err
	case '[':
	default:
		return d.invalid("input", "input must be a string, an array of strings, an array of token ids or an array of token id arrays, not %s", kind(c))
	}
	d.next()
	if c, err = d.peek(); err != nil {
		return err
	}
	if c == ']' {
		d.next()
		return d.invalid("input", "input must not be an empty array")
	}
	first := c
	for i := 0; ; i++ {
		if err := d.item(first, i, req); err != nil {
			return err
		}
		if c, err = d.peek(); err != nil {
			return err
		}
		d.next()
		if c == ']' {
			return nil
		}
		if c != ',' {
			return d.syntax("expected , or ] in input")
		}
	}
}

// item decodes input[i] into req, where input[0] begins with first.
func (d *decoder) item(first byte, i int, req *Embeddings) *Error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch {
	case first == '"' || first == '[':
		if i >= d.lim.Inputs {
			e := d.fail(ErrTooManyInputs, "input", "more than %d inputs", d.lim.Inputs)
			e.Limit = d.lim.Inputs
			return e
		}
		if c != first {
			want := "a string"
			if first == '[' {
				want = "an array of token ids"
			}
			return d.invalid("input", "input[%d] must be %s like input[0] (an array holds one kind of item), not %s", i, want, kind(c))
		}
		if first == '"' {
			s, err := d.text(i)
			req.Texts = append(req.Texts, s)
			return err
		}
		ids, err := d.idArray(i)
		req.Tokens = append(req.Tokens, ids)
		return err
	case first == '-' || first >= '0' && first <= '9':
		if req.Tokens == nil {
			req.Tokens = [][]int32{nil}
		}
		id, err := d.tokenID("input", i)
		req.Tokens[0] = append(req.Tokens[0], id)
		return err
	}
	return d.invalid("input", "input must be a string, an array of strings, an array of token ids or an array of token id arrays; input[0] is %s", kind(first))
}

// idArray decodes input[i], an array of token ids.
func (d *decoder) idArray(i int) ([]int32, *Error) {
	d.next() // [
	where := fmt.Sprintf("input[%d]", i)
	ids := []int32{}
	c, err := d.peek()
	if err != nil {
		return nil, err
	}
	if c == ']' {
		d.next()
		return ids, nil
	}
	for k := 0; ; k++ {
		id, err := d.tokenID(where, k)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
		if c, err = d.peek(); err != nil {
			return nil, err
		}
		d.next()
		if c == ']' {
			return ids, nil
		}
		if c != ',' {
			return nil, d.syntax("expected , or ] in " + where)
		}
	}
}

// tokenID decodes where[k], one token id, and counts it against the
// request's token limit.
func (d *decoder) tokenID(where string, k int) (int32, *Error) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, d.invalid("input", "%s[%d] must be a token id like %s[0] (an array holds one kind of item), not %s", where, k, where, kind(c))
	}
	num, err := d.number()
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(string(num), 10, 32)
	if perr != nil || v < 0 {
		return 0, d.invalid("input", "%s[%d] = %s is not a token id (a non-negative 32-bit integer)", where, k, num)
	}
	d.ids++
	if d.lim.Tokens > 0 && d.ids > d.lim.Tokens {
		e := d.fail(ErrTooManyTokens, "input", "more than %d token ids", d.lim.Tokens)
		e.Limit = d.lim.Tokens
		return 0, e
	}
	return int32(v), nil
}

// text decodes input[i], a string, refusing one over the text limit as
// soon as it is crossed.
func (d *decoder) text(i int) (string, *Error) {
	return d.str(fmt.Sprintf("input[%d]", i), d.lim.TextBytes, true)
}

// unknown refuses the field name, found at path (the param of the
// error: the top-level field, or "" inside one), which is none of known:
// a field a client misspelt or expects another server to honour is
// named, never silently dropped. A name that differs from a known one
// only in case is pointed at that one.
func (d *decoder) unknown(name, param string, known []string) *Error {
	for _, f := range known {
		if strings.EqualFold(f, name[strings.LastIndexByte(name, '.')+1:]) {
			return d.invalid(param, "unknown field %q (field names are case-sensitive: did you mean %q?)", name, f)
		}
	}
	sorted := slices.Clone(known)
	slices.Sort(sorted)
	return d.invalid(param, "unknown field %q; this route accepts: %s", name, strings.Join(sorted, ", "))
}
