package api_test

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/upapi/up-go/api"
)

// TestNoMergeKeysOrAnchors checks that up.yaml uses no YAML anchor, alias or
// merge key (<<). Many OpenAPI tools (Prism, most JSON-Schema tooling) read
// YAML without applying merge keys, so a field built with one loses its type
// there; components and $ref or allOf mean the same in every tool.
func TestNoMergeKeysOrAnchors(t *testing.T) {
	t.Parallel()
	var root yaml.Node
	if err := yaml.Unmarshal(api.Spec, &root); err != nil {
		t.Fatal(err)
	}
	problems := yamlSharing(&root)
	for _, p := range problems {
		t.Error(p)
	}
}

// yamlSharing lists every anchor, alias and merge key under n.
func yamlSharing(n *yaml.Node) []string {
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Anchor != "" {
			out = append(out, fmt.Sprintf("line %d: anchor &%s", n.Line, n.Anchor))
		}
		if n.Kind == yaml.AliasNode {
			out = append(out, fmt.Sprintf("line %d: alias *%s", n.Line, n.Value))
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i]; k.Tag == "!!merge" || k.Value == "<<" {
					out = append(out, fmt.Sprintf("line %d: merge key <<", k.Line))
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

// TestNoMergeKeysCatchesSharing feeds yamlSharing a document with each kind
// of sharing, so TestNoMergeKeysOrAnchors cannot pass by not looking.
func TestNoMergeKeysCatchesSharing(t *testing.T) {
	t.Parallel()
	doc := "a: &x {type: integer}\nb:\n  <<: *x\n  description: d\nc: *x\n"
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(yamlSharing(&root), "; ")
	for _, want := range []string{"anchor &x", "merge key <<", "alias *x"} {
		if !strings.Contains(got, want) {
			t.Errorf("yamlSharing missed %q: %s", want, got)
		}
	}
}

// numericFormats only name a number's width: any number a mock server makes
// for such a schema fits it, so it needs no example to guide the mock.
var numericFormats = []string{"int32", "int64", "float", "double"}

// TestPatternsAndFormatsHaveExamples checks that every schema with a pattern
// or a (non-numeric) format carries an example that matches it: mock servers
// such as Prism answer with the example, and generate values from the
// pattern only where there is none.
func TestPatternsAndFormatsHaveExamples(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	found := 0
	walkSchemas(doc, func(site schemaSite) {
		s := site.ref.Value
		if s.Pattern == "" && (s.Format == "" || slices.Contains(numericFormats, s.Format)) {
			return
		}
		found++
		if s.Example == nil {
			t.Errorf("%s has a pattern or format (%q %q) but no example", site.where, s.Pattern, s.Format)
			return
		}
		if err := s.VisitJSON(s.Example); err != nil {
			t.Errorf("%s: its example does not match it: %v", site.where, err)
		}
	})
	if found < 5 {
		t.Errorf("found only %d schemas with a pattern or format; the walk is broken", found)
	}
}

// TestNextLinksRoute checks that every links.next in the spec's examples is
// a path under the API's base path that a declared GET operation serves, so
// a mock built from the spec answers page 2.
func TestNextLinksRoute(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	base := strings.TrimPrefix(doc.Servers[0].URL, "https://jawbone.com")
	var routes []*regexp.Regexp
	for _, o := range operations(doc) {
		if o.method != "GET" {
			continue
		}
		expr := regexp.MustCompile(`\\\{[a-z_]+\\\}`).ReplaceAllString(regexp.QuoteMeta(o.path), `[^/]+`)
		routes = append(routes, regexp.MustCompile("^"+expr+"$"))
	}
	links := 0
	for _, ex := range examples(doc) {
		for _, next := range nextLinks(ex.value) {
			links++
			u, err := url.Parse(next)
			if err != nil {
				t.Errorf("%s: links.next %q: %v", ex.where, next, err)
				continue
			}
			rest, ok := strings.CutPrefix(u.Path, base+"/")
			if !ok || u.Host != "" || u.Query().Get("page_token") == "" {
				t.Errorf("%s: links.next %q is not a path under %s with a page_token", ex.where, next, base)
				continue
			}
			if !slices.ContainsFunc(routes, func(r *regexp.Regexp) bool { return r.MatchString("/" + rest) }) {
				t.Errorf("%s: links.next %q matches no GET operation of the spec", ex.where, next)
			}
		}
	}
	if links == 0 {
		t.Error("found no links.next in the examples")
	}
}

// nextLinks returns the values of every "links": {"next": ...} under v.
func nextLinks(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if l, ok := v["links"].(map[string]any); ok {
			if next, ok := l["next"].(string); ok {
				out = append(out, next)
			}
		}
		for _, k := range sortedKeys(v) {
			out = append(out, nextLinks(v[k])...)
		}
	case []any:
		for _, e := range v {
			out = append(out, nextLinks(e)...)
		}
	}
	return out
}

// TestTokenEndpointReachable checks that the OAuth scheme's description
// points at the components that describe the token endpoint's request and
// answers, and that they exist.
func TestTokenEndpointReachable(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	scheme := doc.Components.SecuritySchemes["upOAuth"].Value
	refs := regexp.MustCompile(`#/components/(schemas|responses|requestBodies)/([A-Za-z]+)`).FindAllStringSubmatch(scheme.Description, -1)
	if len(refs) < 3 {
		t.Fatalf("the upOAuth description points at %d components, want the token request and both answers", len(refs))
	}
	for _, r := range refs {
		var ok bool
		switch r[1] {
		case "schemas":
			_, ok = doc.Components.Schemas[r[2]]
		case "responses":
			_, ok = doc.Components.Responses[r[2]]
		case "requestBodies":
			_, ok = doc.Components.RequestBodies[r[2]]
		}
		if !ok {
			t.Errorf("the upOAuth description points at %s, which the spec does not declare", r[0])
		}
	}
}

// TestWebhookIsACallback checks that the notification UP POSTs to a webhook
// is declared as a callback of the subscription.
func TestWebhookIsACallback(t *testing.T) {
	t.Parallel()
	doc := spec(t)
	op := doc.Paths.Value("/users/{user}/pubsub").Post
	if op == nil || len(op.Callbacks) == 0 {
		t.Fatal("POST /users/{user}/pubsub declares no callback")
	}
	var found bool
	for _, cb := range op.Callbacks {
		item := cb.Value.Value("{$request.query.webhook}")
		if item == nil || item.Post == nil || item.Post.RequestBody == nil {
			continue
		}
		for _, mt := range item.Post.RequestBody.Value.Content {
			file := mt.Schema.Value.Properties["file"]
			if file != nil && file.Value.Extensions["x-up-json-schema"] == "#/components/schemas/WebhookNotification" {
				found = true
			}
		}
	}
	if !found {
		t.Error("no callback POSTs a WebhookNotification in the form field file to {$request.query.webhook}")
	}
}
