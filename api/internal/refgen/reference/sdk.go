package reference

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// endpointInDoc finds the requests a method's doc comment names, as the
// SDK writes them: "(GET /users/@me/workouts; scope move_read)".
var endpointInDoc = regexp.MustCompile(`\((GET|POST|PUT|PATCH|DELETE) (/[^\s;,)]+)`)

// SDKMethods reads the Go SDK in dir (package up) and maps each operation
// of doc, by operationId, to the methods of Client that send it, sorted:
// a method whose doc comment names the request ("(GET /users/@me/workouts;
// ..."), with @me standing for {user}, and an iterator (a method returning
// iter.Seq2) with the requests of the Page method of its name (Workouts
// walks what WorkoutsPage fetches). It fails when an operation has no
// method or a method names a request the spec does not have, so that the
// reference and the SDK cannot drift apart.
func SDKMethods(dir string, doc *openapi3.T) (map[string][]string, error) {
	named, iterators, err := clientMethods(dir)
	if err != nil {
		return nil, err
	}
	byEndpoint := map[string]string{} // "GET /users/{user}/workouts" → operationId
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			byEndpoint[method+" "+path] = op.OperationID
		}
	}
	out := map[string][]string{}
	var problems []string
	add := func(method, endpoint string) {
		op, ok := byEndpoint[endpoint]
		if !ok {
			problems = append(problems, fmt.Sprintf("Client.%s names %s, which the spec does not have", method, endpoint))
			return
		}
		if !slices.Contains(out[op], method) {
			out[op] = append(out[op], method)
		}
	}
	for method, endpoints := range named {
		for _, e := range endpoints {
			add(method, e)
		}
	}
	for it := range iterators {
		page, ok := named[it+"Page"]
		if !ok {
			problems = append(problems, fmt.Sprintf("the iterator Client.%s has no Client.%sPage that names its request", it, it))
			continue
		}
		for _, e := range page {
			add(it, e)
		}
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if len(out[op.OperationID]) == 0 {
				problems = append(problems, fmt.Sprintf("no method of Client sends %s %s (%s)", method, path, op.OperationID))
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("the SDK and the spec disagree:\n  %s", strings.Join(problems, "\n  "))
	}
	for op := range out {
		slices.Sort(out[op])
	}
	return out, nil
}

// clientMethods parses the non-test Go files of dir and returns the
// exported methods of Client with the requests their doc comments name (as
// "GET /users/{user}/workouts"), and the names of those that are
// iterators.
func clientMethods(dir string) (named map[string][]string, iterators map[string]bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	named, iterators = map[string][]string{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() || !isClient(fn.Recv.List[0].Type) {
				continue
			}
			if returnsSeq2(fn) {
				iterators[fn.Name.Name] = true
			}
			text := strings.Join(strings.Fields(fn.Doc.Text()), " ") // a request may be wrapped over two lines
			for _, m := range endpointInDoc.FindAllStringSubmatch(text, -1) {
				path := m[2]
				if rest, ok := strings.CutPrefix(path, "/users/@me"); ok {
					path = "/users/{user}" + rest
				}
				named[fn.Name.Name] = append(named[fn.Name.Name], m[1]+" "+path)
			}
		}
	}
	return named, iterators, nil
}

// isClient reports whether a receiver's type is *Client.
func isClient(e ast.Expr) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := star.X.(*ast.Ident)
	return ok && id.Name == "Client"
}

// returnsSeq2 reports whether fn returns an iter.Seq2.
func returnsSeq2(fn *ast.FuncDecl) bool {
	res := fn.Type.Results
	if res == nil || len(res.List) != 1 {
		return false
	}
	idx, ok := res.List[0].Type.(*ast.IndexListExpr)
	if !ok {
		return false
	}
	sel, ok := idx.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Seq2"
}
