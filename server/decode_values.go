package server

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// null consumes a null literal, if one comes next.
func (d *decoder) null() (bool, *APIError) {
	c, err := d.peek()
	if err != nil || c != 'n' {
		return false, err
	}
	return true, d.literal("null")
}

// literal consumes the literal word.
func (d *decoder) literal(word string) *APIError {
	for i := 0; i < len(word); i++ {
		c, err := d.raw()
		if err != nil {
			return err
		}
		if c != word[i] {
			return d.syntax("unexpected character")
		}
	}
	return nil
}

// input decodes the input field: a string, or an array of strings, of
// token ids, or of arrays of token ids.
func (d *decoder) input() (input, *APIError) {
	c, err := d.peek()
	if err != nil {
		return input{}, err
	}
	switch c {
	case '"':
		s, err := d.text(0)
		return input{texts: []string{s}}, err
	case '[':
	default:
		return input{}, badRequest("input", "input must be a string, an array of strings, an array of token ids or an array of token id arrays, not %s", kind(c))
	}
	d.next()
	if c, err = d.peek(); err != nil {
		return input{}, err
	}
	if c == ']' {
		d.next()
		return input{}, badRequest("input", "input must not be an empty array")
	}
	first := c
	var in input
	for i := 0; ; i++ {
		if c, err = d.peek(); err != nil {
			return input{}, err
		}
		switch {
		case first == '"' || first == '[':
			if i >= d.lim.inputs {
				return input{}, apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", "input",
					"more than %d inputs in one request; this server accepts at most %d", d.lim.inputs, d.lim.inputs)
			}
			if c != first {
				want := "a string"
				if first == '[' {
					want = "an array of token ids"
				}
				return input{}, badRequest("input", "input[%d] must be %s like input[0] (an array holds one kind of item), not %s", i, want, kind(c))
			}
			if first == '"' {
				s, err := d.text(i)
				if err != nil {
					return input{}, err
				}
				in.texts = append(in.texts, s)
			} else {
				ids, err := d.idArray(i)
				if err != nil {
					return input{}, err
				}
				in.tokens = append(in.tokens, ids)
			}
		case first == '-' || first >= '0' && first <= '9':
			if in.tokens == nil {
				in.tokens = [][]int32{nil}
			}
			id, err := d.tokenID("input", i)
			if err != nil {
				return input{}, err
			}
			in.tokens[0] = append(in.tokens[0], id)
		default:
			return input{}, badRequest("input", "input must be a string, an array of strings, an array of token ids or an array of token id arrays; input[0] is %s", kind(first))
		}
		if c, err = d.peek(); err != nil {
			return input{}, err
		}
		d.next()
		if c == ']' {
			return in, nil
		}
		if c != ',' {
			return input{}, d.syntax("expected , or ] in input")
		}
	}
}

// idArray decodes input[i], an array of token ids.
func (d *decoder) idArray(i int) ([]int32, *APIError) {
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
func (d *decoder) tokenID(where string, k int) (int32, *APIError) {
	c, err := d.peek()
	if err != nil {
		return 0, err
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, badRequest("input", "%s[%d] must be a token id like %s[0] (an array holds one kind of item), not %s", where, k, where, kind(c))
	}
	num, err := d.number()
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseInt(string(num), 10, 32)
	if perr != nil || v < 0 {
		return 0, badRequest("input", "%s[%d] = %s is not a token id (a non-negative 32-bit integer)", where, k, num)
	}
	d.ids++
	if d.lim.tokens > 0 && d.ids > d.lim.tokens {
		return 0, tooManyTokens(d.lim.tokens)
	}
	return int32(v), nil
}

func tooManyTokens(limit int) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_tokens", "input",
		"the request has more than %d tokens; this server accepts at most %d per request", limit, limit)
}

// number consumes a JSON number and returns its text.
func (d *decoder) number() ([]byte, *APIError) {
	d.buf = d.buf[:0]
	for {
		b, err := d.r.Peek(1)
		if err != nil || !isNumberByte(b[0]) {
			break
		}
		d.buf = append(d.buf, d.next())
		if len(d.buf) > 64 {
			return nil, d.syntax("number too long")
		}
	}
	if !validNumber(d.buf) {
		return nil, d.syntax("invalid number")
	}
	return d.buf, nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// validNumber reports whether b is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// text decodes input[i], a string, refusing one over the text limit as
// soon as it is crossed.
func (d *decoder) text(i int) (string, *APIError) {
	return d.str(fmt.Sprintf("input[%d]", i), d.lim.textBytes, true)
}

// str decodes a JSON string named where, at most max bytes once
// unescaped (413 above it for input texts, 400 for the other fields).
// It refuses invalid UTF-8 and lone surrogate escapes.
func (d *decoder) str(where string, max int, isInput bool) (string, *APIError) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	param := where
	if isInput {
		param = "input"
	} else if !knownField(where) {
		param = ""
	}
	d.buf = d.buf[:0]
	for {
		c, err := d.raw()
		if err != nil {
			return "", err
		}
		switch {
		case c == '"':
			if !utf8.Valid(d.buf) {
				return "", badRequest(param, "%s is not valid UTF-8", where)
			}
			return string(d.buf), nil
		case c < 0x20:
			return "", d.syntax("control character in a string")
		case c == '\\':
			if err := d.escape(where, param); err != nil {
				return "", err
			}
		default:
			d.buf = append(d.buf, c)
		}
		if len(d.buf) > max {
			if isInput {
				return "", apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "input_too_large", "input",
					"%s is longer than %d bytes, the most this server accepts for one text", where, max)
			}
			return "", badRequest(param, "%s is longer than %d bytes", where, max)
		}
	}
}

// escape decodes the escape after a backslash into d.buf.
func (d *decoder) escape(where, param string) *APIError {
	c, err := d.raw()
	if err != nil {
		return err
	}
	switch c {
	case '"', '\\', '/':
		d.buf = append(d.buf, c)
	case 'b':
		d.buf = append(d.buf, '\b')
	case 'f':
		d.buf = append(d.buf, '\f')
	case 'n':
		d.buf = append(d.buf, '\n')
	case 'r':
		d.buf = append(d.buf, '\r')
	case 't':
		d.buf = append(d.buf, '\t')
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if r >= 0xDC00 && r <= 0xDFFF {
			return badRequest(param, "%s contains a lone UTF-16 surrogate (\\u%04x), which is not a character", where, r)
		}
		if r >= 0xD800 && r <= 0xDBFF {
			lo, err := d.lowSurrogate()
			if err != nil {
				return err
			}
			if lo < 0 {
				return badRequest(param, "%s contains a lone UTF-16 surrogate (\\u%04x), which is not a character", where, r)
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		}
		d.buf = utf8.AppendRune(d.buf, r)
	default:
		return d.syntax("invalid escape")
	}
	return nil
}

// lowSurrogate decodes the \uDC00-\uDFFF that must follow a high
// surrogate, or returns -1 when something else follows.
func (d *decoder) lowSurrogate() (rune, *APIError) {
	b, err := d.r.Peek(2)
	if err != nil || b[0] != '\\' || b[1] != 'u' {
		return -1, nil
	}
	d.next()
	d.next()
	lo, aerr := d.hex4()
	if aerr != nil {
		return 0, aerr
	}
	if lo < 0xDC00 || lo > 0xDFFF {
		return -1, nil
	}
	return lo, nil
}

func (d *decoder) hex4() (rune, *APIError) {
	var r rune
	for range 4 {
		c, err := d.raw()
		if err != nil {
			return 0, err
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, d.syntax("invalid \\u escape")
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

// skip consumes the value of an ignored field, checking its syntax.
func (d *decoder) skip(depth int) *APIError {
	if depth > maxDepth {
		return badRequest("", "the request body nests deeper than %d levels", maxDepth)
	}
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		_, err := d.str("a field", d.lim.textBytes, false)
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == '[' || c == '{':
		return d.skipContainer(c, depth)
	}
	return d.syntax("unexpected character")
}

func (d *decoder) skipContainer(open byte, depth int) *APIError {
	if open == '[' {
		return d.elements(']', "", func() *APIError { return d.skip(depth + 1) })
	}
	return d.elements('}', "", func() *APIError {
		if _, err := d.str("a field name", maxFieldBytes, false); err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		return d.skip(depth + 1)
	})
}
