package reference

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/upapi/up-go/api"
	"github.com/upapi/up-go/up"
)

// TestSDKMethodsCoverEveryOperation checks that every operation of the
// spec maps to methods of up.Client that exist, and that the usual pairs
// are found: an iterator with its Page method, a create, an image with its
// streaming variant.
func TestSDKMethodsCoverEveryOperation(t *testing.T) {
	t.Parallel()
	doc, err := api.Load()
	if err != nil {
		t.Fatal(err)
	}
	methods, err := SDKMethods("../../../../up", doc)
	if err != nil {
		t.Fatal(err)
	}
	client := reflect.TypeFor[*up.Client]()
	n := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			n++
			names := methods[op.OperationID]
			if len(names) == 0 {
				t.Errorf("%s %s (%s) maps to no method", method, path, op.OperationID)
			}
			for _, name := range names {
				if _, ok := client.MethodByName(name); !ok {
					t.Errorf("%s maps to Client.%s, which up.Client does not have", op.OperationID, name)
				}
			}
		}
	}
	if len(methods) != n {
		t.Errorf("%d operations mapped, the spec has %d", len(methods), n)
	}
	for op, want := range map[string][]string{
		"listWorkouts":    {"Workouts", "WorkoutsPage"},
		"createWorkout":   {"CreateWorkout"},
		"getWorkoutImage": {"OpenWorkoutImage", "WorkoutImage"},
		"listFriends":     {"Friends", "ReloadFriends"},
		"disconnect":      {"Disconnect"},
	} {
		if got := methods[op]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s maps to %v, want %v", op, got, want)
		}
	}
}

// TestSDKMethodsRefuseDisagreement checks that an SDK which lacks a method
// for an operation, or names a request the spec does not have, is refused.
func TestSDKMethodsRefuseDisagreement(t *testing.T) {
	t.Parallel()
	doc := load(t, tinySpec)
	var ops []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			ops = append(ops, method+" "+path+" "+op.OperationID)
		}
	}
	for name, tt := range map[string]struct {
		src  string
		want string // in the error; "" for none
	}{
		"a method per operation": {src: sdkSource(doc, ""), want: ""},
		"an operation without a method": {
			src: sdkSource(doc, ops[0]), want: "no method of Client sends",
		},
		"a request the spec lacks": {
			src:  sdkSource(doc, "") + "\n// Ghost gets ghosts (GET /ghosts).\nfunc (c *Client) Ghost() {}\n",
			want: "Client.Ghost names GET /ghosts, which the spec does not have",
		},
		"an iterator without a page method": {
			src:  sdkSource(doc, "") + "\n// Walk walks.\nfunc (c *Client) Walk() iter.Seq2[int, error] { return nil }\n",
			want: "the iterator Client.Walk has no Client.WalkPage",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "client.go"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := SDKMethods(dir, doc)
			switch {
			case tt.want == "" && err != nil:
				t.Fatal(err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("%v, want an error with %q", err, tt.want)
			}
		})
	}
}

// load parses an OpenAPI document.
func load(t *testing.T, src string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// sdkSource writes a package with a method of Client for every operation
// of doc but skip ("METHOD /path operationId"), each naming its request in
// its doc comment, wrapped over two lines as gofmt'd comments may be.
func sdkSource(doc *openapi3.T, skip string) string {
	var b strings.Builder
	b.WriteString("package up\n\nimport \"iter\"\n\ntype Client struct{}\n\nvar _ iter.Seq2[int, error]\n")
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if method+" "+path+" "+op.OperationID == skip {
				continue
			}
			name := strings.ToUpper(op.OperationID[:1]) + op.OperationID[1:]
			fmt.Fprintf(&b, "\n// %s sends it (%s\n// %s; no scope).\nfunc (c *Client) %s() {}\n", name, method, path, name)
		}
	}
	return b.String()
}
