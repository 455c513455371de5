package uptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/upapi/up-go/gen/spec"
)

// basePath is where Jawbone served API v1.1; the fake serves it at the same path.
const basePath = "/nudge/api/v.1.1"

// OAuth paths, as on jawbone.com.
const (
	authPath  = "/auth/oauth2/auth"
	tokenPath = "/auth/oauth2/token"
)

// jsonSchemaExtension names the spec extension that gives the schema of a JSON
// document carried inside one form field.
const jsonSchemaExtension = "x-up-json-schema"

// contract is what the fake reads from the embedded spec once per process:
// the router, the scopes each operation needs, the JSON documents inside form
// fields, and the schemas of payloads that no operation returns. It is never
// changed after it is built.
type contract struct {
	doc    *openapi3.T
	router routers.Router
	// scopes lists, for each operation ID, the alternative scope sets of its
	// security requirements; any one set suffices. An empty set means any
	// valid token. A nil slice means the operation needs no token.
	scopes map[string][][]string
	// jsonFields maps an operation ID to its form fields that carry a JSON
	// document, and the schema that document must match.
	jsonFields map[string]map[string]*openapi3.Schema
	// known is every scope the OAuth scheme declares, in the spec's order.
	known []string
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := spec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("uptest: load the embedded spec: %w", err)
	}
	// Requests reach the validator with a path only, so a relative server URL
	// matches them whatever address the fake listens on.
	doc.Servers = openapi3.Servers{{URL: basePath}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("uptest: route the embedded spec: %w", err)
	}
	c := &contract{
		doc:        doc,
		router:     router,
		scopes:     make(map[string][][]string),
		jsonFields: make(map[string]map[string]*openapi3.Schema),
	}
	scheme := doc.Components.SecuritySchemes["upOAuth"]
	if scheme == nil || scheme.Value == nil || scheme.Value.Flows == nil || scheme.Value.Flows.AuthorizationCode == nil {
		return nil, errors.New("uptest: the spec declares no upOAuth authorization-code flow")
	}
	for name := range scheme.Value.Flows.AuthorizationCode.Scopes {
		c.known = append(c.known, name)
	}
	sort.Strings(c.known)
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			reqs := doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			if reqs != nil {
				alts := make([][]string, 0, len(reqs))
				for _, req := range reqs {
					set := []string{}
					for _, scopes := range req {
						set = append(set, scopes...)
					}
					alts = append(alts, set)
				}
				c.scopes[op.OperationID] = alts
			}
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			for _, media := range op.RequestBody.Value.Content {
				if media.Schema == nil || media.Schema.Value == nil {
					continue
				}
				for field, prop := range media.Schema.Value.Properties {
					if prop.Value == nil {
						continue
					}
					ref, ok := prop.Value.Extensions[jsonSchemaExtension].(string)
					if !ok {
						continue
					}
					if c.jsonFields[op.OperationID] == nil {
						c.jsonFields[op.OperationID] = make(map[string]*openapi3.Schema)
					}
					name := strings.TrimPrefix(ref, "#/components/schemas/")
					sc := c.schema(name)
					if sc == nil {
						return nil, fmt.Errorf("%s field %s: %s names no schema", op.OperationID, field, jsonSchemaExtension)
					}
					c.jsonFields[op.OperationID][field] = sc
				}
			}
		}
	}
	return c, nil
})

// schema returns the named component schema, or nil when the spec has none.
func (c *contract) schema(name string) *openapi3.Schema {
	if ref := c.doc.Components.Schemas[name]; ref != nil {
		return ref.Value
	}
	return nil
}

// validationOptions are the options of every request and response check.
// The fake enforces authentication itself, before validation.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:   true,
		IncludeResponseStatus: true,
	}
}

// validateRequest checks r against the operation's parameters and body, and
// the JSON documents inside its form fields against their schemas. It returns
// a one-line reason fit for error_detail.
func (c *contract) validateRequest(ctx context.Context, in *openapi3filter.RequestValidationInput, form map[string][]string) string {
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return shortReason(err)
	}
	fields := c.jsonFields[in.Route.Operation.OperationID]
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values, ok := form[name]
		if !ok || len(values) == 0 {
			continue
		}
		var doc any
		if err := json.Unmarshal([]byte(values[0]), &doc); err != nil {
			return fmt.Sprintf("form field %q is not a JSON document: %v", name, err)
		}
		if err := fields[name].VisitJSON(doc); err != nil {
			return fmt.Sprintf("form field %q: %s", name, shortReason(err))
		}
	}
	return ""
}

// checkSchema validates payload, a JSON document, against the named
// component schema.
func (c *contract) checkSchema(name string, payload []byte) error {
	sc := c.schema(name)
	if sc == nil {
		return fmt.Errorf("the spec has no schema %s", name)
	}
	var doc any
	if err := json.Unmarshal(payload, &doc); err != nil {
		return err
	}
	return sc.VisitJSON(doc)
}

// shortReason turns a validation error into one line naming what is wrong,
// without the schema dumps kin-openapi appends.
func shortReason(err error) string {
	var reqErr *openapi3filter.RequestError
	var schemaErr *openapi3.SchemaError
	where := ""
	if errors.As(err, &reqErr) {
		switch {
		case reqErr.Parameter != nil:
			where = fmt.Sprintf("parameter %q in %s", reqErr.Parameter.Name, reqErr.Parameter.In)
		case reqErr.RequestBody != nil:
			where = "request body"
		}
	}
	msg := ""
	if errors.As(err, &schemaErr) {
		msg = schemaErr.Reason
		if ptr := schemaErr.JSONPointer(); len(ptr) > 0 {
			msg = fmt.Sprintf("field %s: %s", strings.Join(ptr, "."), msg)
		}
	} else if reqErr != nil {
		msg = reqErr.Reason
		if reqErr.Err != nil {
			if msg != "" {
				msg += ": "
			}
			msg += reqErr.Err.Error()
		}
	}
	if msg == "" {
		msg = err.Error()
	}
	if where != "" {
		msg = where + ": " + msg
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return strings.TrimSpace(msg)
}

// findRoute maps r (whose path is already canonical) to its operation.
// status is 404 or 405 when there is none.
func (c *contract) findRoute(r *http.Request) (route *routers.Route, params map[string]string, status int) {
	route, params, err := c.router.FindRoute(r)
	if err == nil {
		for _, v := range params {
			if v == "" {
				// The router lets a template's last segment match nothing
				// (/users for /users/{user}); the API served no such path.
				return nil, nil, http.StatusNotFound
			}
		}
		return route, params, 0
	}
	var routeErr *routers.RouteError
	if errors.As(err, &routeErr) && routeErr.Reason == routers.ErrMethodNotAllowed.Error() {
		return nil, nil, http.StatusMethodNotAllowed
	}
	// The router tells a wrong method from a wrong path only on paths
	// without parameters; elsewhere, a path that routes with another
	// method is a wrong method.
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		other := r.Clone(r.Context())
		other.Method = m
		if _, _, err := c.router.FindRoute(other); err == nil {
			return nil, nil, http.StatusMethodNotAllowed
		}
	}
	return nil, nil, http.StatusNotFound
}
