package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/upapi/up-go/api"
	"github.com/upapi/up-go/gen"
)

const schemaPrefix = "#/components/schemas/"

var (
	loadOnce sync.Once
	loaded   *openapi3.T
	loadErr  error
)

// spec returns the document as api.Load gives it, loaded once per test run.
func spec(t *testing.T) *openapi3.T {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = api.Load() })
	if loadErr != nil {
		t.Fatalf("load spec: %v", loadErr)
	}
	return loaded
}

// goTypes maps component schema names to a new value of the Go type that
// package gen generates for them. Every example and every recorded payload is
// decoded into the type of its schema, so a schema that carries one must be
// listed here.
var goTypes = map[string]func() any{
	"ErrorEnvelope":            func() any { return new(gen.ErrorEnvelope) },
	"EmptyEnvelope":            func() any { return new(gen.EmptyEnvelope) },
	"UserEnvelope":             func() any { return new(gen.UserEnvelope) },
	"FriendListEnvelope":       func() any { return new(gen.FriendListEnvelope) },
	"TrendsEnvelope":           func() any { return new(gen.TrendsEnvelope) },
	"GoalsEnvelope":            func() any { return new(gen.GoalsEnvelope) },
	"SettingsEnvelope":         func() any { return new(gen.SettingsEnvelope) },
	"TimeZoneListEnvelope":     func() any { return new(gen.TimeZoneListEnvelope) },
	"RefreshTokenEnvelope":     func() any { return new(gen.RefreshTokenEnvelope) },
	"MoveListEnvelope":         func() any { return new(gen.MoveListEnvelope) },
	"MoveEnvelope":             func() any { return new(gen.MoveEnvelope) },
	"TickListEnvelope":         func() any { return new(gen.TickListEnvelope) },
	"WorkoutListEnvelope":      func() any { return new(gen.WorkoutListEnvelope) },
	"WorkoutEnvelope":          func() any { return new(gen.WorkoutEnvelope) },
	"SleepListEnvelope":        func() any { return new(gen.SleepListEnvelope) },
	"SleepEnvelope":            func() any { return new(gen.SleepEnvelope) },
	"SleepTickListEnvelope":    func() any { return new(gen.SleepTickListEnvelope) },
	"MealListEnvelope":         func() any { return new(gen.MealListEnvelope) },
	"MealEnvelope":             func() any { return new(gen.MealEnvelope) },
	"MealItems":                func() any { return new(gen.MealItems) },
	"BodyEventListEnvelope":    func() any { return new(gen.BodyEventListEnvelope) },
	"BodyEventEnvelope":        func() any { return new(gen.BodyEventEnvelope) },
	"HeartRateListEnvelope":    func() any { return new(gen.HeartRateListEnvelope) },
	"GenericEventListEnvelope": func() any { return new(gen.GenericEventListEnvelope) },
	"GenericEventEnvelope":     func() any { return new(gen.GenericEventEnvelope) },
	"GenericEventAttributes":   func() any { return new(gen.GenericEventAttributes) },
	"MoodEnvelope":             func() any { return new(gen.MoodEnvelope) },
	"BandEventListEnvelope":    func() any { return new(gen.BandEventListEnvelope) },
	"CardiacEventListEnvelope": func() any { return new(gen.CardiacEventListEnvelope) }, //nolint:staticcheck // deprecated, still served
	"CardiacEventEnvelope":     func() any { return new(gen.CardiacEventEnvelope) },     //nolint:staticcheck // deprecated, still served
	"WebhookNotification":      func() any { return new(gen.WebhookNotification) },
	"OAuthToken":               func() any { return new(gen.OAuthToken) },
	"OAuthError":               func() any { return new(gen.OAuthError) },
	"EpochParam":               func() any { return new(gen.EpochParam) },
	"DateParam":                func() any { return new(gen.DateParam) },
	"Coordinate":               func() any { return new(gen.Coordinate) },
	"TimeZoneName":             func() any { return new(gen.TimeZoneName) },
	"Gender":                   func() any { return new(gen.Gender) },
	"TZTransition":             func() any { return new(gen.TZTransition) },
	"TrendPoint":               func() any { return new(gen.TrendPoint) },
	"WorkoutType":              func() any { return new(gen.WorkoutType) },
	"WorkoutIntensity":         func() any { return new(gen.WorkoutIntensity) },
	"MealType":                 func() any { return new(gen.MealType) },
	"MoodType":                 func() any { return new(gen.MoodType) },
	"SleepPhase":               func() any { return new(gen.SleepPhase) },
	"FoodType":                 func() any { return new(gen.FoodType) },
	"MealItemType":             func() any { return new(gen.MealItemType) },
	"ServingType":              func() any { return new(gen.ServingType) },
	"BandEventAction":          func() any { return new(gen.BandEventAction) },
}

// isScalar reports whether ref is a string, number, integer or boolean
// schema written inline.
func isScalar(ref *openapi3.SchemaRef) bool {
	if ref == nil || ref.Value == nil || ref.Value.Type == nil {
		return false
	}
	return ref.Value.Type.Includes("string") || ref.Value.Type.Includes("number") ||
		ref.Value.Type.Includes("integer") || ref.Value.Type.Includes("boolean")
}

// roundTrip decodes payload into the Go type registered for schema, encodes
// that value again and compares the two JSON documents.
//
// Decoding rejects unknown fields, so a field the payload has and the spec
// (hence the Go type) lacks is an error. Custom decoders inside the Go types
// (wire.Dated, for one) do not see that setting; the comparison after
// re-encoding still catches any field they drop.
func roundTrip(schema string, payload []byte) error {
	newValue, ok := goTypes[schema]
	if !ok {
		return fmt.Errorf("schema %s has no Go type in goTypes", schema)
	}
	v := newValue()
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode into %T: %w", v, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("decode into %T: data after the JSON value", v)
	}
	encoded, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	var want, got any
	if err := json.Unmarshal(payload, &want); err != nil {
		return err
	}
	if err := json.Unmarshal(encoded, &got); err != nil {
		return err
	}
	// The Go types hold an absent field and a null one alike: as a nil
	// pointer or interface where absence matters, and as the zero value
	// elsewhere (decision 27 of the spec), and both encode as absent. So a
	// key that is absent on one side and null or absent on the other, or
	// absent on one side and the zero value ("", 0, false, {} or []) of a
	// field without a pointer on the other, is the same field, and is
	// dropped from both before comparing.
	want, got = dropNulls(want, got)
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("re-encoded %T differs from the original at %s\noriginal:   %s\nre-encoded: %s",
			v, firstDifference("$", want, got), compact(want), compact(got))
	}
	return nil
}

// dropNulls removes, from two decoded JSON values, the object keys whose
// value is null or absent on both sides, or absent on one side and a JSON
// zero on the other.
func dropNulls(a, b any) (any, any) {
	switch am := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return a, b
		}
		outA, outB := map[string]any{}, map[string]any{}
		for k := range union(am, bm) {
			va, inA := am[k]
			vb, inB := bm[k]
			if va == nil && vb == nil || !inB && jsonZero(va) || !inA && jsonZero(vb) {
				continue
			}
			va, vb = dropNulls(va, vb)
			if inA {
				outA[k] = va
			}
			if inB {
				outB[k] = vb
			}
		}
		return outA, outB
	case []any:
		bs, ok := b.([]any)
		if !ok || len(am) != len(bs) {
			return a, b
		}
		outA, outB := make([]any, len(am)), make([]any, len(bs))
		for i := range am {
			outA[i], outB[i] = dropNulls(am[i], bs[i])
		}
		return outA, outB
	}
	return a, b
}

// jsonZero reports whether a decoded JSON value is what a Go field without
// a pointer encodes as absent: null, "", 0, false, {} or [].
func jsonZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func union(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// firstDifference names the first place where two decoded JSON values
// differ, as a JSONPath-like string.
func firstDifference(path string, a, b any) string {
	switch am := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return path
		}
		keys := sortedKeys(union(am, bm))
		for _, k := range keys {
			va, inA := am[k]
			vb, inB := bm[k]
			if inA != inB {
				return path + "." + k + " (present on one side only)"
			}
			if !reflect.DeepEqual(va, vb) {
				return firstDifference(path+"."+k, va, vb)
			}
		}
	case []any:
		bs, ok := b.([]any)
		if !ok || len(am) != len(bs) {
			return path
		}
		for i := range am {
			if !reflect.DeepEqual(am[i], bs[i]) {
				return firstDifference(fmt.Sprintf("%s[%d]", path, i), am[i], bs[i])
			}
		}
	}
	return path
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// normalize turns a value decoded from YAML into what encoding/json would
// decode from the same JSON, and returns that JSON too.
func normalize(v any) (any, []byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, b, err
}

// example is one example found in the spec.
type example struct {
	where  string              // where it stands, for messages
	schema *openapi3.SchemaRef // the schema it illustrates
	value  any
}

// schemaName is the component schema the example illustrates, or "" when
// its schema is written inline.
func (e example) schemaName() string {
	name, _ := strings.CutPrefix(e.schema.Ref, schemaPrefix)
	return name
}

// examples lists every example in doc: those of media types and parameters
// (example and examples) and those of schemas, component or inline.
func examples(doc *openapi3.T) []example {
	var out []example
	seenMedia := map[*openapi3.MediaType]bool{}
	media := func(where string, content openapi3.Content) {
		for _, ct := range sortedKeys(content) {
			mt := content[ct]
			if seenMedia[mt] {
				continue
			}
			seenMedia[mt] = true
			at := where + " " + ct
			if mt.Example != nil {
				out = append(out, example{at + " example", mt.Schema, mt.Example})
			}
			for _, name := range sortedKeys(mt.Examples) {
				if ex := mt.Examples[name]; ex != nil && ex.Value != nil {
					out = append(out, example{at + " examples." + name, mt.Schema, ex.Value.Value})
				}
			}
		}
	}
	seenParam := map[*openapi3.Parameter]bool{}
	param := func(where string, p *openapi3.Parameter) {
		if seenParam[p] {
			return
		}
		seenParam[p] = true
		at := where + " parameter " + p.Name
		if p.Example != nil {
			out = append(out, example{at + " example", p.Schema, p.Example})
		}
		for _, name := range sortedKeys(p.Examples) {
			if ex := p.Examples[name]; ex != nil && ex.Value != nil {
				out = append(out, example{at + " examples." + name, p.Schema, ex.Value.Value})
			}
		}
		media(at, p.Content)
	}
	c := doc.Components
	for _, name := range sortedKeys(c.Responses) {
		media("components.responses."+name, c.Responses[name].Value.Content)
	}
	for _, name := range sortedKeys(c.RequestBodies) {
		media("components.requestBodies."+name, c.RequestBodies[name].Value.Content)
	}
	for _, name := range sortedKeys(c.Parameters) {
		param("components.parameters."+name, c.Parameters[name].Value)
	}
	for _, o := range operations(doc) {
		for _, p := range append(slices.Clone(o.item.Parameters), o.op.Parameters...) {
			param(o.name(), p.Value)
		}
		if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
			media(o.name()+" request", rb.Value.Content)
		}
		for _, code := range sortedKeys(o.op.Responses.Map()) {
			if r := o.op.Responses.Value(code); r.Value != nil {
				media(o.name()+" response "+code, r.Value.Content)
			}
		}
	}
	walkSchemas(doc, func(site schemaSite) {
		if ex := site.ref.Value.Example; ex != nil {
			out = append(out, example{site.where + " example", site.ref, ex})
		}
	})
	return out
}

// schemaSite is a schema written out in the spec (not a $ref to one).
type schemaSite struct {
	where string              // its place in the document, for messages
	role  string              // "component", "property", or the keyword or place that holds it
	ref   *openapi3.SchemaRef // for a component, a $ref to it, so its name is known
}

// walkSchemas calls visit for every schema written out in doc: each
// component schema, and every inline schema under one or in a parameter, a
// request body or a response, at any depth.
func walkSchemas(doc *openapi3.T, visit func(schemaSite)) {
	var walk func(where, role string, ref *openapi3.SchemaRef)
	descend := func(where string, s *openapi3.Schema) {
		for _, name := range sortedKeys(s.Properties) {
			walk(where+".properties."+name, "property", s.Properties[name])
		}
		walk(where+".items", "items", s.Items)
		walk(where+".additionalProperties", "additionalProperties", s.AdditionalProperties.Schema)
		walk(where+".not", "not", s.Not)
		for _, xof := range []struct {
			keyword string
			refs    openapi3.SchemaRefs
		}{{"oneOf", s.OneOf}, {"anyOf", s.AnyOf}, {"allOf", s.AllOf}} {
			for i, r := range xof.refs {
				walk(fmt.Sprintf("%s.%s[%d]", where, xof.keyword, i), xof.keyword, r)
			}
		}
	}
	walk = func(where, role string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || ref.Ref != "" {
			return // a component schema is visited on its own
		}
		visit(schemaSite{where, role, ref})
		descend(where, ref.Value)
	}
	for _, name := range sortedKeys(doc.Components.Schemas) {
		s := doc.Components.Schemas[name].Value
		visit(schemaSite{schemaPrefix + name, "component", &openapi3.SchemaRef{Ref: schemaPrefix + name, Value: s}})
		descend(schemaPrefix+name, s)
	}
	inlineIn := func(where string, content openapi3.Content) {
		for _, ct := range sortedKeys(content) {
			walk(where+" "+ct, "content", content[ct].Schema)
		}
	}
	for _, o := range operations(doc) {
		for _, p := range append(slices.Clone(o.item.Parameters), o.op.Parameters...) {
			if p.Ref == "" {
				walk(o.name()+" parameter "+p.Value.Name, "parameter", p.Value.Schema)
			}
		}
		if rb := o.op.RequestBody; rb != nil && rb.Ref == "" {
			inlineIn(o.name()+" request", rb.Value.Content)
		}
		for _, code := range sortedKeys(o.op.Responses.Map()) {
			if r := o.op.Responses.Value(code); r.Ref == "" {
				inlineIn(o.name()+" response "+code, r.Value.Content)
			}
		}
	}
	c := doc.Components
	for _, name := range sortedKeys(c.Parameters) {
		walk("components.parameters."+name, "parameter", c.Parameters[name].Value.Schema)
	}
	for _, name := range sortedKeys(c.RequestBodies) {
		inlineIn("components.requestBodies."+name, c.RequestBodies[name].Value.Content)
	}
	for _, name := range sortedKeys(c.Responses) {
		inlineIn("components.responses."+name, c.Responses[name].Value.Content)
	}
}

// operation is one method on one path of the spec.
type operation struct {
	method, path string
	item         *openapi3.PathItem
	op           *openapi3.Operation
}

func (o operation) name() string { return o.method + " " + o.path }

// operations lists the spec's operations sorted by path and method.
func operations(doc *openapi3.T) []operation {
	var out []operation
	for _, path := range doc.Paths.Keys() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			out = append(out, operation{method: strings.ToUpper(method), path: path, item: item, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name() < out[j].name() })
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
