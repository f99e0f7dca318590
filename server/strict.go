package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// decodeJSON decodes a retrieval route's body into v, a pointer to its
// request struct. The body is first walked by the same decoder as
// /v1/embeddings, against v's fields: every string, in known and unknown
// fields alike, must be valid UTF-8 without lone surrogate escapes (which
// encoding/json would replace with U+FFFD), a known field may appear only
// once (encoding/json keeps the last), and a field name that differs from
// a known one only in case is refused (encoding/json would take it).
// Only then does encoding/json fill v.
func decodeJSON(body []byte, v any) *APIError {
	d := &decoder{r: bufio.NewReader(bytes.NewReader(body)), lim: limits{textBytes: len(body), bodyBytes: int64(len(body))}}
	if e := d.strictValue(reflect.TypeOf(v), "", 0); e != nil {
		if e.status == 0 {
			e = badRequest("", "the request body is not valid JSON: it ends at byte %d, before the object is complete", d.off)
		}
		return e
	}
	if _, e := d.peek(); e == nil {
		return badRequest("", "request body has data after the JSON object")
	} else if e.status != 0 {
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("", "invalid JSON body: %v", err)
	}
	return nil
}

// strictValue checks the value at the decoder against type t: objects
// of struct types field by field, arrays of them element by element,
// anything else with skip's syntax and string checks.
func (d *decoder) strictValue(t reflect.Type, where string, depth int) *APIError {
	if depth > maxDepth {
		return badRequest("", "the request body nests deeper than %d levels", maxDepth)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	c, e := d.peek()
	if e != nil {
		return e
	}
	switch {
	case c == '{' && t.Kind() == reflect.Struct:
		return d.strictObject(t, where, depth)
	case c == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8:
		return d.strictArray(t.Elem(), where, depth)
	case c == '"' && where != "":
		_, e := d.str(where, d.lim.textBytes, false)
		return e
	}
	return d.skip(depth)
}

func (d *decoder) strictObject(t reflect.Type, where string, depth int) *APIError {
	known := jsonFields(t)
	seen := map[string]bool{}
	return d.elements('}', func() *APIError {
		key, e := d.str("a field name", maxFieldBytes, false)
		if e != nil {
			return e
		}
		if e := d.expect(':'); e != nil {
			return e
		}
		name := strings.TrimPrefix(where+"."+key, ".")
		ft, ok := known[key]
		if !ok {
			for k := range known {
				if strings.EqualFold(k, key) {
					return badRequest(name, "unknown field %q (field names are case-sensitive: did you mean %q?)", key, k)
				}
			}
			ft = reflect.TypeFor[any]()
		} else if seen[key] {
			return badRequest(name, "the field %s is given twice", name)
		}
		seen[key] = true
		return d.strictValue(ft, name, depth+1)
	})
}

func (d *decoder) strictArray(elem reflect.Type, where string, depth int) *APIError {
	return d.elements(']', func() *APIError { return d.strictValue(elem, where+"[]", depth+1) })
}

// elements consumes a container whose opening byte is next and which
// end closes, calling element for each element (of an object: at its
// field name).
func (d *decoder) elements(end byte, element func() *APIError) *APIError {
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
			return d.syntax("expected , or " + string(end))
		}
	}
}

// jsonFields maps the JSON names of struct t's fields to their types,
// as encoding/json names them (embedded structs' fields included).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct:
			for k, v := range jsonFields(f.Type) {
				m[k] = v
			}
			continue
		case name == "":
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}
