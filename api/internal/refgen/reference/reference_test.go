package reference

import (
	"bytes"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":                       "plain",
		"a | b":                       `a \| b`,
		"one\nline\n":                 "one line",
		"first\n\nsecond\r\nline":     "first<br><br>second line",
		"  `x|y`  wrapped\n  again  ": "`x\\|y` wrapped again",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

const tinySpec = `
openapi: 3.0.3
info:
  title: Tiny
  version: "2"
  description: |
    Line one.

    | a | b |
servers:
  - url: https://example.com/api
tags:
  - name: things
    description: Things.
paths:
  /things/{id}:
    parameters:
      - name: id
        in: path
        required: true
        description: "The id | the key"
        schema: {type: string, minLength: 1}
    get:
      operationId: getThing
      tags: [things]
      summary: Get a thing
      description: Returns a thing.
      deprecated: true
      x-deprecated-reason: Use something else.
      security:
        - oauth: [read]
        - oauth: [admin, write]
      externalDocs:
        url: https://example.com/docs/things
      responses:
        "200":
          description: The thing.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        default:
          description: "Failed\nbadly."
    post:
      operationId: postThing
      tags: [things]
      summary: Change a thing
      description: Changes a thing.
      security:
        - oauth: []
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [doc]
              properties:
                doc:
                  type: string
                  description: A JSON document.
                  x-up-json-schema: "#/components/schemas/Thing"
      responses:
        "200":
          description: Done.
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        authorizationCode:
          authorizationUrl: https://example.com/auth
          tokenUrl: https://example.com/token
          scopes:
            read: Read things.
            write: Write things.
            admin: "Admin | all."
  schemas:
    Thing:
      type: object
      description: A thing.
      required: [id]
      properties:
        id: {type: string, description: Its id.}
        tags: {type: array, items: {type: string}, description: Tags.}
        counts: {type: object, additionalProperties: {type: integer}, description: Counts.}
        parts: {type: array, items: {$ref: "#/components/schemas/Part"}, description: Parts.}
        weight: {type: number, format: double, nullable: true, description: Weight.}
        old: {type: integer, deprecated: true, x-deprecated-reason: Use kind., description: Old.}
        kind: {type: string, enum: [a, b], description: Kind.}
        inner:
          type: object
          description: Nested.
          properties:
            deep: {type: boolean, description: Deep.}
    Part:
      type: object
      description: A part.
      properties:
        n: {type: integer, minimum: 0, maximum: 9, description: N.}
`

func TestWrite(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(tinySpec))
	if err != nil {
		t.Fatal(err)
	}
	var first, second bytes.Buffer
	if err := Write(&first, doc); err != nil {
		t.Fatal(err)
	}
	if err := Write(&second, doc); err != nil {
		t.Fatal(err)
	}
	out := first.String()
	if out != second.String() {
		t.Fatal("two runs gave different output")
	}
	if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
		t.Error("output must end with exactly one newline")
	}
	for _, want := range []string{
		"# Tiny 2 reference\n\nLine one.\n\n| a | b |\n",
		"- `https://example.com/api`\n",
		"| `admin` | Admin \\| all. |",
		"  - [things](#tag-things): Things.\n    - [GET /things/{id}](#op-getThing): Get a thing (deprecated)\n    - [POST /things/{id}](#op-postThing): Change a thing\n",
		"<a id=\"op-getThing\"></a>\n\n#### GET /things/{id}\n\n**Get a thing** (`getThing`)\n\n> **Deprecated:** Use something else.\n",
		"**Scopes:** any of `read`, `admin` and `write`.",
		"**Scopes:** a valid `oauth` token, no particular scope.",
		"| `id` | path | string, length ≥ 1 | yes | The id \\| the key |",
		"| 200 | The thing. | `application/json`: [Thing](#schema-Thing) |",
		"| default | Failed badly. |  |",
		"**Documentation:** <https://example.com/docs/things>",
		"| `doc` | string | yes | A JSON document. JSON document: [Thing](#schema-Thing). |",
		"<a id=\"schema-Thing\"></a>\n\n### Thing\n\nA thing.\n\n**Type:** object\n",
		"| `counts` | map[string]integer | no | Counts. |",
		"| `inner` | object | no | Nested. |\n| `inner.deep` | boolean | no | Deep. |",
		"| `kind` | string, one of `a`, `b` | no | Kind. |",
		"| `old` | integer, deprecated | no | **Deprecated:** Use kind. Old. |",
		"| `parts` | [][Part](#schema-Part) | no | Parts. |",
		"| `tags` | []string | no | Tags. |",
		"| `weight` | number (double), nullable | no | Weight. |",
		"| `n` | integer, ≥ 0, ≤ 9 | no | N. |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Without origins, paths and schemas fall back to name order.
	if strings.Index(out, "### Part") > strings.Index(out, "### Thing") {
		t.Error("schemas are not in name order")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
