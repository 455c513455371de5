package main

import (
	"bytes"
	"go/format"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/upapi/up-go/api"
)

func spec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := api.Load()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// generated formats buf as gofmt would, as main does before writing.
func generated(t *testing.T, buf *bytes.Buffer) []byte {
	t.Helper()
	src, err := format.Source(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	return src
}

// TestOutputUpToDate generates gen/enums.gen.go, gen/forms.gen.go and
// up/types.gen.go as go generate does (the names from up/types.go's directive) and compares them
// with the files, so that a stale file fails the tests and not only make
// check-generated.
func TestOutputUpToDate(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	var enumsOut bytes.Buffer
	if err := writeEnums(&enumsOut, doc); err != nil {
		t.Fatal(err)
	}
	var formsOut bytes.Buffer
	if err := writeForms(&formsOut, doc, "../../../gen/types.gen.go"); err != nil {
		t.Fatal(err)
	}
	names := aliasNames(t)
	var aliasOut bytes.Buffer
	if err := writeAliases(&aliasOut, doc, "../../../gen/types.gen.go", "../../../up", names); err != nil {
		t.Fatal(err)
	}
	for file, buf := range map[string]*bytes.Buffer{
		"../../../gen/enums.gen.go": &enumsOut, "../../../gen/forms.gen.go": &formsOut, "../../../up/types.gen.go": &aliasOut,
	} {
		committed, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(generated(t, buf), committed) {
			t.Errorf("%s is stale: run go generate ./...", file)
		}
	}
}

// aliasNames reads the names of the types up re-exports from the
// typegen directive of up/types.go.
func aliasNames(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../../../up/types.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if _, args, ok := strings.Cut(line, "//go:generate go run ../api/internal/typegen "); ok {
			_, names, ok := strings.Cut(args, "-up . ")
			if !ok {
				t.Fatalf("unexpected directive %q", line)
			}
			return strings.Fields(names)
		}
	}
	t.Fatal("up/types.go has no typegen directive")
	return nil
}

// TestAliasesShowOnlyReexportedTypes checks that a field whose type package
// up does not re-export is refused, so that no doc comment sends a reader
// to package gen.
func TestAliasesShowOnlyReexportedTypes(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := writeAliases(&out, spec(t), "../../../gen/types.gen.go", "../../../up", []string{"Workout", "WorkoutType", "WorkoutIntensity"})
	if err == nil || !strings.Contains(err.Error(), "gen.WorkoutDetails is not re-exported") {
		t.Fatalf("%v, want a refusal of WorkoutDetails", err)
	}
}

// TestEveryEnumerationReexported checks that leaving out an enumerated type
// is refused: its named values would be missing from package up.
func TestEveryEnumerationReexported(t *testing.T) {
	t.Parallel()
	names := aliasNames(t)
	var kept []string
	for _, n := range names {
		if n != "ServingType" {
			kept = append(kept, n)
		}
	}
	var out bytes.Buffer
	err := writeAliases(&out, spec(t), "../../../gen/types.gen.go", "../../../up", kept)
	if err == nil || !strings.Contains(err.Error(), "ServingType") {
		t.Fatalf("%v, want a refusal for ServingType", err)
	}
}

// TestEnumsNeedNamesAndMeanings checks that an enumeration without a name
// or a meaning for every value is refused.
func TestEnumsNeedNamesAndMeanings(t *testing.T) {
	t.Parallel()
	for name, ext := range map[string]string{
		"no descriptions":  "x-enum-varnames: [A, B]",
		"no names":         "x-enum-descriptions: [a, b]",
		"one name missing": "x-enum-varnames: [A]\n      x-enum-descriptions: [a, b]",
	} {
		doc, err := openapi3.NewLoader().LoadFromData([]byte(`
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Kind:
      type: integer
      enum: [1, 2]
      ` + ext + `
`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enums(doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	for desc, want := range map[string]string{
		"A workout.":                          "X is a workout.",
		"The user's daily goals.":             "X is the user's daily goals.",
		"How hard a workout was.":             "X says how hard a workout was.",
		"Form fields of `POST /x`.":           "X holds the form fields of `POST /x`.",
		"Activity in one hour.":               "X holds activity in one hour.",
		"XID of the user, as UP writes it.":   "X holds XID of the user, as UP writes it.",
		"Multipart form fields of `POST /y`.": "X holds the multipart form fields of `POST /y`.",
	} {
		if got := summary("X", desc); got != want {
			t.Errorf("summary(%q) = %q, want %q", desc, got, want)
		}
	}
}

// TestPatchClient checks that the generated client's form encoding is
// replaced, that patching twice changes nothing, and that a client that
// no longer encodes forms as expected is refused rather than left as it is.
func TestPatchClient(t *testing.T) {
	t.Parallel()
	src := []byte("a := " + marshalFormCall + "\nb := " + marshalFormCall + "\n")
	once, err := patchClient(src)
	if err != nil || bytes.Contains(once, []byte("runtime.MarshalForm")) || bytes.Count(once, []byte(patchedCall)) != 2 {
		t.Fatalf("patched %q, %v", once, err)
	}
	if twice, err := patchClient(once); err != nil || !bytes.Equal(twice, once) {
		t.Errorf("patching again gave %q, %v", twice, err)
	}
	for _, bad := range []string{"x := runtime.MarshalForm(body, enc)\n", "no form at all\n"} {
		if _, err := patchClient([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
