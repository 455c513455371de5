package reference

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operation is one method on one path.
type operation struct {
	method string // upper case, e.g. GET
	path   string
	item   *openapi3.PathItem
	op     *openapi3.Operation
}

// anchor is the operation's link target: its operationId, or its method and
// path when it has none.
func (o operation) anchor() string {
	if o.op.OperationID != "" {
		return "op-" + slug(o.op.OperationID)
	}
	return "op-" + slug(strings.ToLower(o.method)+o.path)
}

// tagGroup is a tag and the operations that carry it.
type tagGroup struct {
	name, description string
	ops               []operation
}

// methodOrder ranks methods for operations whose place in the spec is unknown.
var methodOrder = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace,
}

// operations lists every operation of doc in spec order.
func operations(doc *openapi3.T) []operation {
	if doc.Paths == nil {
		return nil
	}
	paths := doc.Paths.Keys()
	slices.SortFunc(paths, func(a, b string) int {
		return cmp.Or(cmp.Compare(line(doc.Paths.Value(a).Origin), line(doc.Paths.Value(b).Origin)), cmp.Compare(a, b))
	})
	var out []operation
	for _, path := range paths {
		item := doc.Paths.Value(path)
		var ops []operation
		for method, op := range item.Operations() {
			ops = append(ops, operation{method: strings.ToUpper(method), path: path, item: item, op: op})
		}
		slices.SortFunc(ops, func(a, b operation) int {
			return cmp.Or(cmp.Compare(line(a.op.Origin), line(b.op.Origin)), methodRank(a.method)-methodRank(b.method))
		})
		out = append(out, ops...)
	}
	return out
}

func methodRank(m string) int {
	if i := slices.Index(methodOrder, m); i >= 0 {
		return i
	}
	return len(methodOrder)
}

// groupByTag groups ops by tag: the document's tags in their order, then
// tags that only operations name, sorted, then untagged operations. An
// operation with several tags appears under each.
func groupByTag(doc *openapi3.T, ops []operation) []tagGroup {
	var groups []tagGroup
	index := map[string]int{}
	add := func(name, description string) {
		if _, ok := index[name]; !ok {
			index[name] = len(groups)
			groups = append(groups, tagGroup{name: name, description: description})
		}
	}
	for _, t := range doc.Tags {
		add(t.Name, t.Description)
	}
	var undeclared []string
	for _, o := range ops {
		for _, t := range o.op.Tags {
			if _, ok := index[t]; !ok && !slices.Contains(undeclared, t) {
				undeclared = append(undeclared, t)
			}
		}
	}
	slices.Sort(undeclared)
	for _, t := range undeclared {
		add(t, "")
	}
	const untagged = "untagged"
	for _, o := range ops {
		if len(o.op.Tags) == 0 {
			add(untagged, "Operations without a tag.")
			groups[index[untagged]].ops = append(groups[index[untagged]].ops, o)
		}
		for _, t := range o.op.Tags {
			groups[index[t]].ops = append(groups[index[t]].ops, o)
		}
	}
	return slices.DeleteFunc(groups, func(g tagGroup) bool { return len(g.ops) == 0 })
}

// componentSchemaNames lists the component schemas in spec order.
func componentSchemaNames(doc *openapi3.T) []string {
	schemas := doc.Components.Schemas
	names := sortedKeys(schemas)
	slices.SortStableFunc(names, func(a, b string) int {
		return cmp.Compare(schemaLine(schemas[a]), schemaLine(schemas[b]))
	})
	return names
}

func schemaLine(ref *openapi3.SchemaRef) int {
	if ref == nil || ref.Value == nil {
		return math.MaxInt
	}
	return line(ref.Value.Origin)
}

// line is where an element's key stands in the spec, or MaxInt when the
// document was loaded without origins.
func line(o *openapi3.Origin) int {
	if o == nil || o.Key == nil {
		return math.MaxInt
	}
	return o.Key.Line
}
