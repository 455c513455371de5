package uptest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/gen/spec"
	"github.com/upapi/up-go/up/uptest"
)

// TestEveryPathServed sweeps every path and method of the spec, with the
// user named @me and by XID, each as written, with a trailing slash and
// with an empty query string: the fake must answer each as the API would,
// with JSON (or a PNG graph), and never with a 500, which would mean a
// defect of the fake.
func TestEveryPathServed(t *testing.T) {
	doc, err := spec.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	s := uptest.NewServer(t, uptest.WithClock(newClock(start).Now))
	tok := s.MintToken(allScopes(t)...).AccessToken
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	sent := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			for _, who := range []string{"@me", s.UserXID()} {
				concrete := param.ReplaceAllStringFunc(path, func(p string) string {
					if p == "{user}" {
						return who
					}
					return "unknown" + strings.Trim(p, "{}")
				})
				if !strings.Contains(path, "{user}") && who != "@me" {
					continue
				}
				for _, variant := range []string{concrete, concrete + "/", concrete + "?"} {
					sent++
					body, ct := formFor(method, op.OperationID)
					resp, b := do(t, method, s.URL+variant, tok, body, ct)
					if resp.StatusCode >= 500 {
						t.Errorf("%s %s: %d %s", method, variant, resp.StatusCode, b)
						continue
					}
					if got := resp.Header.Get("Content-Type"); got != "image/png" || resp.StatusCode != http.StatusOK {
						var env gen.ErrorEnvelope
						if err := json.Unmarshal(b, &env); err != nil || env.Meta.Code != resp.StatusCode {
							t.Errorf("%s %s: %d %q is not the API's envelope: %s", method, variant, resp.StatusCode, got, b)
						}
					}
					if strings.HasPrefix(path, "/users/") && resp.StatusCode == http.StatusNotFound {
						t.Errorf("%s %s: 404 for a path of the spec: %s", method, variant, b)
					}
				}
			}
		}
	}
	if sent < 52*3 {
		t.Errorf("sent %d requests; the spec has 52 operations", sent)
	}
}

// TestUnknownPathsGetTheEnvelope checks that paths and methods the API does
// not serve are answered with its error envelope, not a 500.
func TestUnknownPathsGetTheEnvelope(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithClock(newClock(start).Now))
	tok := s.MintToken(allScopes(t)...).AccessToken
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/users", http.StatusNotFound},
		{http.MethodGet, "/users/@me/nothing", http.StatusNotFound},
		{http.MethodGet, "/users/@me/moves/extra/", http.StatusNotFound},
		{http.MethodPut, "/users/@me/", http.StatusMethodNotAllowed},
		{http.MethodPost, "/moves/abc/", http.StatusMethodNotAllowed},
	} {
		resp, b := do(t, tc.method, s.URL+tc.path, tok, nil, "")
		var env gen.ErrorEnvelope
		if err := json.Unmarshal(b, &env); err != nil || resp.StatusCode != tc.status || env.Meta.Code != tc.status {
			t.Errorf("%s %s: %d %s, want the %d envelope", tc.method, tc.path, resp.StatusCode, b, tc.status)
		}
	}
}

// allScopes is every scope the spec's OAuth scheme declares.
func allScopes(t *testing.T) []string {
	t.Helper()
	doc, err := spec.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for name := range doc.Components.SecuritySchemes["upOAuth"].Value.Flows.AuthorizationCode.Scopes {
		out = append(out, name)
	}
	return out
}

// formFor returns a form the fake accepts for the operation's body, or
// none.
func formFor(method, op string) (io.Reader, string) {
	if method != http.MethodPost {
		return nil, ""
	}
	forms := map[string]url.Values{
		"updateGoals":        {"move_steps": {"12000"}},
		"getRefreshToken":    {"secret": {"wrong"}},
		"createWorkout":      {"sub_type": {"2"}},
		"createSleep":        {"time_created": {"1426600000"}, "time_completed": {"1426620000"}},
		"createMeal":         {"note": {"Lunch"}, "items": {`[{"name":"Apple"}]`}},
		"createBodyEvent":    {"title": {"Weigh-in"}, "weight": {"80"}},
		"createGenericEvent": {"title": {"Read"}, "verb": {"read"}},
		"createMood":         {"title": {"Good"}, "sub_type": {"4"}},
		"createCardiacEvent": {"heart_rate": {"60"}},
	}
	f := forms[op]
	if f == nil {
		f = url.Values{"title": {"x"}}
	}
	return strings.NewReader(f.Encode()), "application/x-www-form-urlencoded"
}
