package up_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportGraphHasNoSpecTooling checks that a program importing package up
// links no OpenAPI loader, YAML parser, JSON-Schema validator or x/text: the
// embedded spec lives in gen/spec, which only up/uptest and tests import.
func TestImportGraphHasNoSpecTooling(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps .: %v", err)
	}
	forbidden := []string{
		"github.com/getkin/kin-openapi",
		"github.com/oapi-codegen/oapi-codegen",
		"github.com/upapi/up-go/gen/spec",
		"github.com/upapi/up-go/api",
		"github.com/santhosh-tekuri/jsonschema",
		"github.com/speakeasy-api",
		"go.yaml.in/yaml",
		"gopkg.in/yaml",
		"golang.org/x/text",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps . listed only %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("package up depends on %s", dep)
			}
		}
	}
}
