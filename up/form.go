package up

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// encodeForm turns a struct whose fields carry `json:"name[,omitempty]"`
// tags (the generated request bodies) into form values, named as in JSON: nil pointers and
// empty omitempty fields are left out, numbers are written in full, with no
// exponent, and booleans as true or false.
func encodeForm(v any) (url.Values, error) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("up: form body must be a struct, not %s", rv.Kind())
	}
	form := url.Values{}
	rt := rv.Type()
	for i := range rt.NumField() {
		tag, ok := rt.Field(i).Tag.Lookup("json")
		if !ok || tag == "-" || !rt.Field(i).IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		} else if opts == "omitempty" && f.IsZero() {
			continue
		}
		s, err := formValue(f)
		if err != nil {
			return nil, fmt.Errorf("up: form field %s: %w", name, err)
		}
		form.Set(name, s)
	}
	return form, nil
}

// formValue writes one scalar as form text.
func formValue(v reflect.Value) (string, error) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Errorf("%v is not a finite number", f)
		}
		return strconv.FormatFloat(f, 'f', -1, v.Type().Bits()), nil
	}
	return "", fmt.Errorf("unsupported type %s", v.Type())
}

// sortedKeys returns the names of form in order, for a stable encoding.
func sortedKeys(form url.Values) []string {
	return slices.Sorted(maps.Keys(form))
}
