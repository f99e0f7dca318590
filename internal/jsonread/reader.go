package jsonread

import (
	"bufio"
	"errors"
)

// MaxFieldBytes bounds the strings of the fields other than the inputs,
// and field names.
const MaxFieldBytes = 4096

// MaxDepth bounds the nesting of values.
const MaxDepth = 64

// decoder reads JSON from a stream, one byte of look-ahead at a time.
// It counts the bytes it consumed (off) for its errors.
type decoder struct {
	r   *bufio.Reader
	lim Limits
	off int64
	ids int
	buf []byte
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
// At the end of the body it returns an [errEnd] error.
func (d *decoder) peek() (byte, *Error) {
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
func (d *decoder) raw() (byte, *Error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.readError(err)
	}
	d.off++
	return b, nil
}

func (d *decoder) expect(c byte) *Error {
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

// null consumes a null literal, if one comes next.
func (d *decoder) null() (bool, *Error) {
	c, err := d.peek()
	if err != nil || c != 'n' {
		return false, err
	}
	return true, d.literal("null")
}

// literal consumes the literal word.
func (d *decoder) literal(word string) *Error {
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

// object reads the whole body as one JSON object, calling field at each
// field name; after is added to the syntax error of a missing comma. The
// body must end with the object, and a body that ends early is an
// [ErrSyntax] that says where.
func (d *decoder) object(after string, field func() *Error) *Error {
	c, e := d.peek()
	switch {
	case e == nil && c != '{':
		e = d.invalid("", "the request body must be a JSON object")
	case e == nil:
		e = d.elements('}', after, field)
	}
	if e == nil {
		if _, pe := d.peek(); pe == nil {
			e = d.invalid("", "request body has data after the JSON object")
		} else if !errors.Is(pe.Kind, errEnd) {
			e = pe
		}
	}
	if e != nil && errors.Is(e.Kind, errEnd) { // the end of the body, where more was needed
		e = d.fail(ErrSyntax, "", "the request body is not valid JSON: it ends at byte %d, before the object is complete", d.off)
	}
	return e
}

// elements consumes a container whose opening byte is next and which
// end closes, calling element for each element (of an object: at its
// field name); after ends the message of a missing separator.
func (d *decoder) elements(end byte, after string, element func() *Error) *Error {
	d.next()
	for first := true; ; first = false {
		c, e := d.peek()
		if e != nil {
			return e
		}
		if c == end && first {
			d.next()
			return nil
		}
		if e := element(); e != nil {
			return e
		}
		if c, e = d.peek(); e != nil {
			return e
		}
		d.next()
		switch c {
		case end:
			return nil
		case ',':
		default:
			return d.syntax("expected , or " + string(end) + after)
		}
	}
}

// skip consumes the value of an ignored field, checking its syntax.
func (d *decoder) skip(depth int) *Error {
	if depth > MaxDepth {
		return d.invalid("", "the request body nests deeper than %d levels", MaxDepth)
	}
	c, err := d.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		_, err := d.str("a field", d.lim.TextBytes, false)
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

func (d *decoder) skipContainer(open byte, depth int) *Error {
	if open == '[' {
		return d.elements(']', "", func() *Error { return d.skip(depth + 1) })
	}
	return d.elements('}', "", func() *Error {
		if _, err := d.str("a field name", MaxFieldBytes, false); err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		return d.skip(depth + 1)
	})
}
