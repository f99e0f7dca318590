package jsonread

import "unicode/utf8"

// number consumes a JSON number and returns its text.
func (d *decoder) number() ([]byte, *Error) {
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

// str decodes a JSON string named where, at most max bytes once
// unescaped ([ErrTextTooLong] above it for input texts, [ErrInvalid]
// for the other fields). It refuses invalid UTF-8 and lone surrogate
// escapes.
func (d *decoder) str(where string, max int, isInput bool) (string, *Error) {
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
				return "", d.invalid(param, "%s is not valid UTF-8", where)
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
				e := d.fail(ErrTextTooLong, "input", "%s is longer than %d bytes", where, max)
				e.Path, e.Limit = where, max
				return "", e
			}
			return "", d.invalid(param, "%s is longer than %d bytes", where, max)
		}
	}
}

// escape decodes the escape after a backslash into d.buf.
func (d *decoder) escape(where, param string) *Error {
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
			return d.invalid(param, "%s contains a lone UTF-16 surrogate (\\u%04x), which is not a character", where, r)
		}
		if r >= 0xD800 && r <= 0xDBFF {
			lo, err := d.lowSurrogate()
			if err != nil {
				return err
			}
			if lo < 0 {
				return d.invalid(param, "%s contains a lone UTF-16 surrogate (\\u%04x), which is not a character", where, r)
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
func (d *decoder) lowSurrogate() (rune, *Error) {
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

func (d *decoder) hex4() (rune, *Error) {
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
