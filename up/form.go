package up

import (
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"

	"github.com/upapi/up-go/gen"
)

// formBody is a form body the generated code encodes (gen's AppendForm):
// every request body the SDK sends as form fields. The fields go in the
// order of their names, as url.Values.Encode writes them; unset pointers
// and empty omitempty fields are left out, numbers are written in full,
// without an exponent, and booleans as true or false.
type formBody interface {
	AppendForm(b []byte) ([]byte, error)
}

// encodeFormBody encodes f, turning the generated encoder's refusal (a
// value of an enumerated type the spec does not list, a number that is not
// finite) into an *InputError.
func encodeFormBody(f formBody) ([]byte, error) {
	b, err := f.AppendForm(make([]byte, 0, 256)) // a workout's dozen fields fit
	var fe *gen.FormFieldError
	if errors.As(err, &fe) {
		return nil, &InputError{Field: fe.Field, Reason: fe.Value + " " + fe.Reason}
	}
	return b, err
}

// encodeForm returns the form body f as url.Values, for a multipart body.
func encodeForm(f formBody) (url.Values, error) {
	b, err := encodeFormBody(f)
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(string(b))
}

// appendInt appends the decimal form of n.
func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// sortedKeys returns the names of form in order, for a stable encoding.
func sortedKeys(form url.Values) []string {
	return slices.Sorted(maps.Keys(form))
}

// enumerated is what the enumerated types of the spec have: a value
// outside the enumeration is not Valid.
type enumerated interface{ Valid() bool }
