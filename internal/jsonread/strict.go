package jsonread

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Strict decodes body into v, a pointer to a request struct. The body
// is first walked by the same reader as [DecodeEmbeddings], against v's
// fields: it must be an object; every string, in known and unknown
// fields alike, must be valid UTF-8 without lone surrogate escapes
// (which encoding/json would replace with U+FFFD); a known field may
// appear only once (encoding/json keeps the last); and a field name that
// differs from a known one only in case is refused (encoding/json would
// take it). An error names the top-level field as its Field and the
// value's path (documents[2].text) in its Reason. Only then does
// encoding/json fill v; a value of the wrong type is an [ErrInvalid]
// that names the types in JSON's words. The error is an [*Error].
func Strict(body []byte, v any) error {
	d := &decoder{r: bufio.NewReader(bytes.NewReader(body)), lim: Limits{TextBytes: len(body)}}
	if e := d.object("", d.strictField(derefType(reflect.TypeOf(v)), "", 0)); e != nil {
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return typeError(err)
	}
	return nil
}

// typeError words an error of encoding/json, after the strict walk, for
// a client: a value of the wrong type names its field (Field: the
// top-level one) and the types, without Go's names.
func typeError(err error) *Error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return &Error{Kind: ErrInvalid, Reason: "invalid request body: " + strings.TrimPrefix(err.Error(), "json: ")}
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
	return &Error{Kind: ErrInvalid, Field: top, Path: te.Field, Offset: te.Offset,
		Reason: te.Field + " must be " + jsonKind(te.Type) + ", not " + got}
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

// untyped is the type of a value the request struct does not describe:
// an unknown field's, or a json.RawMessage decoded later.
var untyped = reflect.TypeFor[any]()

// strictValue checks the value at the decoder, found at path where,
// against type t: objects field by field, arrays element by element,
// strings for UTF-8 and surrogates, anything else with skip's syntax
// checks. A kind that does not match t is left to encoding/json to refuse.
func (d *decoder) strictValue(t reflect.Type, where string, depth int) *Error {
	if depth > MaxDepth {
		return d.invalid("", "the request body nests deeper than %d levels", MaxDepth)
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
		return d.elements('}', "", d.strictField(t, where, depth))
	case c == '[' && (list || t == untyped):
		elem := untyped
		if list {
			elem = t.Elem()
		}
		return d.strictArray(elem, where, depth)
	case c == '"':
		_, e := d.str(where, d.lim.TextBytes, false)
		return e
	}
	return d.skip(depth)
}

// strictField returns what checks each field of an object of type t
// found at path where (the body itself: ""), from its name on.
func (d *decoder) strictField(t reflect.Type, where string, depth int) func() *Error {
	var known map[string]reflect.Type
	if t.Kind() == reflect.Struct {
		known = jsonFields(t)
	}
	seen := map[string]bool{}
	return func() *Error {
		key, e := d.str("a field name", MaxFieldBytes, false)
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
		switch {
		case !ok && t.Kind() == reflect.Struct:
			return d.unknown(name, param, slices.Collect(maps.Keys(known)))
		case !ok:
			ft = untyped // inside a value the request does not describe (a map, a json.RawMessage)
		case seen[key]:
			return d.invalid(param, "the field %s is given twice", name)
		}
		seen[key] = true
		e = d.strictValue(ft, name, depth+1)
		if e != nil && !errors.Is(e.Kind, errEnd) && e.Field == "" && where == "" {
			e.Field = key
		}
		return e
	}
}

func (d *decoder) strictArray(elem reflect.Type, where string, depth int) *Error {
	i := 0
	return d.elements(']', "", func() *Error {
		e := d.strictValue(elem, where+"["+strconv.Itoa(i)+"]", depth+1)
		i++
		return e
	})
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
