package up

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
)

// A form body is a struct whose fields carry `json:"name[,omitempty]"` tags
// (the generated request bodies), written as form values named as in JSON:
// nil pointers and empty omitempty fields are left out, numbers are written
// in full, with no exponent, and booleans as true or false.

// maxSortedFields is how many fields a form may have for appendForm to
// sort their names without allocating.
const maxSortedFields = 32

// formField is one field of a form body that is sent: its name and value.
type formField struct {
	name  string
	value reflect.Value
}

// eachFormField calls fn with the fields of the form body v that are sent,
// in the order of their names.
func eachFormField(v any, fn func(formField) error) error {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("up: form body must be a struct, not %s", rv.Kind())
	}
	var buf [maxSortedFields]formField
	fields := buf[:0]
	rt := rv.Type()
	for i := range rt.NumField() {
		sf := rt.Field(i)
		tag, ok := sf.Tag.Lookup("json")
		if !ok || tag == "-" || !sf.IsExported() {
			continue
		}
		name, opts := tag, ""
		for j := 0; j < len(tag); j++ {
			if tag[j] == ',' {
				name, opts = tag[:j], tag[j+1:]
				break
			}
		}
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		} else if hasOption(opts, "omitempty") && f.IsZero() {
			continue
		}
		if err := checkEnum(name, f); err != nil {
			return err
		}
		// Insertion sort: a form has a dozen fields.
		fields = append(fields, formField{name, f})
		for j := len(fields) - 1; j > 0 && fields[j].name < fields[j-1].name; j-- {
			fields[j], fields[j-1] = fields[j-1], fields[j]
		}
	}
	for _, f := range fields {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// enumerated is what the enumerated types of the spec have: a value
// outside the enumeration is not Valid.
type enumerated interface{ Valid() bool }

// enumeratedType is the reflect.Type of enumerated, never changed.
var enumeratedType = reflect.TypeFor[enumerated]()

// checkEnum refuses, with an *InputError, a value of an enumerated type
// (WorkoutType, MoodType ...) that the spec does not list, such as
// sub_type 99: UP would refuse it, or store a workout of no kind.
func checkEnum(name string, v reflect.Value) error {
	if !v.Type().Implements(enumeratedType) || v.Interface().(enumerated).Valid() {
		return nil
	}
	var value string
	switch v.Kind() {
	case reflect.String:
		value = strconv.Quote(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		value = strconv.FormatInt(v.Int(), 10)
	default:
		value = fmt.Sprint(v.Interface())
	}
	return &InputError{Field: name, Reason: fmt.Sprintf("%s is not a %s the spec lists", value, v.Type().Name())}
}

// hasOption reports whether the comma-separated tag options opts hold opt.
func hasOption(opts, opt string) bool {
	for opts != "" {
		var o string
		o, opts = opts, ""
		for j := 0; j < len(o); j++ {
			if o[j] == ',' {
				o, opts = o[:j], o[j+1:]
				break
			}
		}
		if o == opt {
			return true
		}
	}
	return false
}

// appendForm appends the form body v to b, encoded as url.Values.Encode
// would encode it: name=value pairs joined by &, in the order of the names.
func appendForm(b []byte, v any) ([]byte, error) {
	err := eachFormField(v, func(f formField) error {
		if len(b) > 0 {
			b = append(b, '&')
		}
		b = appendQueryEscape(b, f.name)
		b = append(b, '=')
		var err error
		if b, err = appendFormValue(b, f.value, true); err != nil {
			return &InputError{Field: f.name, Reason: err.Error()}
		}
		return nil
	})
	return b, err
}

// encodeForm returns the form body v as url.Values, for a multipart body.
func encodeForm(v any) (url.Values, error) {
	form := url.Values{}
	err := eachFormField(v, func(f formField) error {
		s, err := appendFormValue(nil, f.value, false)
		if err != nil {
			return &InputError{Field: f.name, Reason: err.Error()}
		}
		form.Set(f.name, string(s))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return form, nil
}

// appendFormValue appends one scalar as form text, escaped for a query
// when escape is set.
func appendFormValue(b []byte, v reflect.Value, escape bool) ([]byte, error) {
	switch v.Kind() {
	case reflect.String:
		if escape {
			return appendQueryEscape(b, v.String()), nil
		}
		return append(b, v.String()...), nil
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, fmt.Errorf("%v is not a finite number", f)
		}
		// Digits, '-' and '.' need no escaping.
		return strconv.AppendFloat(b, f, 'f', -1, v.Type().Bits()), nil
	}
	return b, fmt.Errorf("unsupported type %s", v.Type())
}

// appendInt appends the decimal form of n.
func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// appendQueryEscape appends s escaped as url.QueryEscape escapes it:
// letters, digits and -_.~ as they are, a space as +, every other byte as
// %XX in upper case.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// sortedKeys returns the names of form in order, for a stable encoding.
func sortedKeys(form url.Values) []string {
	return slices.Sorted(maps.Keys(form))
}
