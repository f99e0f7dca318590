package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// decodeJSON decodes a retrieval route's body into v, a pointer to its
// request struct. The body is first walked by the same decoder as
// /v1/embeddings, against v's fields: it must be an object; every string,
// in known and unknown fields alike, must be valid UTF-8 without lone
// surrogate escapes (which encoding/json would replace with U+FFFD); a
// known field may appear only once (encoding/json keeps the last); and a
// field name that differs from a known one only in case is refused
// (encoding/json would take it). An error names the top-level field as
// its param and the value's path (documents[2].text) in its message.
// Only then does encoding/json fill v.
func decodeJSON(body []byte, v any) *APIError {
	d := &decoder{r: bufio.NewReader(bytes.NewReader(body)), lim: limits{textBytes: len(body), bodyBytes: int64(len(body))}}
	if e := d.object("", d.strictField(derefType(reflect.TypeOf(v)), "", 0)); e != nil {
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return typeError(err)
	}
	return nil
}

// typeError words an error of encoding/json, after the strict walk, for
// a client: a value of the wrong type names its field (param: the
// top-level one) and the types, without Go's names.
func typeError(err error) *APIError {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return badRequest("", "invalid request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	top, _, _ := strings.Cut(te.Field, ".")
	got := te.Value
	switch {
	case strings.HasPrefix(got, "number "):
		got = "the " + got
	case got == "array" || got == "object":
		got = "an " + got
	case got == "bool":
		got = "a boolean"
	default:
		got = "a " + got
	}
	return badRequest(top, "%s must be %s, not %s", te.Field, jsonKind(te.Type), got)
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch derefType(t).Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// object reads the whole body as one JSON object, calling field at each
// field name; after is added to the syntax error of a missing comma. The
// body must end with the object, and a body that ends early is a 400 that
// says where.
func (d *decoder) object(after string, field func() *APIError) *APIError {
	c, e := d.peek()
	switch {
	case e == nil && c != '{':
		e = badRequest("", "the request body must be a JSON object")
	case e == nil:
		e = d.elements('}', after, field)
	}
	if e == nil {
		if _, pe := d.peek(); pe == nil {
			e = badRequest("", "request body has data after the JSON object")
		} else if pe.status != 0 {
			e = pe
		}
	}
	if e != nil && e.status == 0 { // the end of the body, where more was needed
		e = badRequest("", "the request body is not valid JSON: it ends at byte %d, before the object is complete", d.off)
	}
	return e
}

// untyped is the type of a value the request struct does not describe:
// an unknown field's, or a json.RawMessage decoded later.
var untyped = reflect.TypeFor[any]()

// strictValue checks the value at the decoder, found at path where,
// against type t: objects field by field, arrays element by element,
// strings for UTF-8 and surrogates, anything else with skip's syntax
// checks. A kind that does not match t is left to encoding/json to refuse.
func (d *decoder) strictValue(t reflect.Type, where string, depth int) *APIError {
	if depth > maxDepth {
		return badRequest("", "the request body nests deeper than %d levels", maxDepth)
	}
	t = derefType(t)
	if t == reflect.TypeFor[json.RawMessage]() {
		t = untyped
	}
	list := (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8
	c, e := d.peek()
	if e != nil {
		return e
	}
	switch {
	case c == '{' && (t.Kind() == reflect.Struct || t == untyped):
		return d.strictObject(t, where, depth)
	case c == '[' && (list || t == untyped):
		elem := untyped
		if list {
			elem = t.Elem()
		}
		return d.strictArray(elem, where, depth)
	case c == '"':
		_, e := d.str(where, d.lim.textBytes, false)
		return e
	}
	return d.skip(depth)
}

func (d *decoder) strictObject(t reflect.Type, where string, depth int) *APIError {
	return d.elements('}', "", d.strictField(t, where, depth))
}

// strictField returns what checks each field of an object of type t
// found at path where (the body itself: ""), from its name on.
func (d *decoder) strictField(t reflect.Type, where string, depth int) func() *APIError {
	var known map[string]reflect.Type
	if t.Kind() == reflect.Struct {
		known = jsonFields(t)
	}
	seen := map[string]bool{}
	return func() *APIError {
		key, e := d.str("a field name", maxFieldBytes, false)
		if e != nil {
			return e
		}
		if e := d.expect(':'); e != nil {
			return e
		}
		name, param := key, key // the top-level field is the param
		if where != "" {
			name, param = where+"."+key, ""
		}
		ft, ok := known[key]
		if !ok {
			for k := range known {
				if strings.EqualFold(k, key) {
					return badRequest(param, "unknown field %q (field names are case-sensitive: did you mean %q?)", name, k)
				}
			}
			ft = untyped
		} else if seen[key] {
			return badRequest(param, "the field %s is given twice", name)
		}
		seen[key] = true
		e = d.strictValue(ft, name, depth+1)
		if e != nil && e.status != 0 && e.Param == nil && where == "" {
			e.Param = &key
		}
		return e
	}
}

func (d *decoder) strictArray(elem reflect.Type, where string, depth int) *APIError {
	i := 0
	return d.elements(']', "", func() *APIError {
		e := d.strictValue(elem, where+"["+strconv.Itoa(i)+"]", depth+1)
		i++
		return e
	})
}

// elements consumes a container whose opening byte is next and which
// end closes, calling element for each element (of an object: at its
// field name); after ends the message of a missing separator.
func (d *decoder) elements(end byte, after string, element func() *APIError) *APIError {
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

// jsonFields maps the JSON names of struct t's fields to their types,
// as encoding/json names them, embedded structs' fields included (the
// request types have no name collisions between depths and no ",string"
// fields, which encoding/json would resolve further).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
			continue
		case name == "" && f.Anonymous && derefType(f.Type).Kind() == reflect.Struct:
			for k, v := range jsonFields(derefType(f.Type)) {
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

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
