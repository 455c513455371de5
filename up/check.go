package up

import (
	"fmt"
	"reflect"
)

// checkSpan requires the times an event sets to be real moments, and the
// event to end no earlier than it starts. A nil time is left to UP, which
// takes the moment of the request.
func checkSpan(start, end *Epoch) error {
	if start != nil && *start <= 0 {
		return &InputError{Field: "time_created", Reason: "not set"}
	}
	if end != nil && *end <= 0 {
		return &InputError{Field: "time_completed", Reason: "not set"}
	}
	if start != nil && end != nil && *end < *start {
		return &InputError{Field: "time_completed", Reason: fmt.Sprintf("%s is before time_created %s", end.Time(), start.Time())}
	}
	return nil
}

// checkChanges requires a partial update to set at least one field, as UP
// requires (an empty partialUpdate changes nothing).
func checkChanges(update any) error {
	v := reflect.Indirect(reflect.ValueOf(update))
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			return nil
		}
	}
	return &InputError{Reason: "the update sets no field"}
}
