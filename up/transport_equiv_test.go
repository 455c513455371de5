package up

import (
	"context"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
)

// referenceSend is how the transport prepared a request before it avoided
// Request.Clone and Header.Set: the definition the faster send must match.
func referenceSend(req *http.Request, body io.ReadCloser, ua string, tok *oauth2.Token) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	if own := r.Header.Get("User-Agent"); own != "" && !strings.Contains(own, ua) {
		ua = own + " " + ua
	}
	r.Header.Set("User-Agent", ua)
	r.Header.Del("Authorization")
	if tok != nil {
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	return r
}

// TestSendMatchesClone checks that send passes the base transport the
// request the Clone-based preparation made, for headers of every shape,
// and leaves the caller's request as it was.
func TestSendMatchesClone(t *testing.T) {
	t.Parallel()
	headers := map[string]http.Header{
		"empty":            {},
		"caller UA":        {"User-Agent": {"script/1"}},
		"caller UA has it": {"User-Agent": {"x " + (&Config{}).userAgent() + " y"}},
		"caller auth":      {"Authorization": {"Bearer caller"}, "Accept": {"application/json"}},
		"many values":      {"Accept": {"a", "b", "c"}, "X-Trace": {"1"}, "Cookie": {"k=v", "k2=v2"}},
		"nil value":        {"X-Nil": nil, "X-Empty": {}},
		"non-canonical":    {"user-agent": {"lower/1"}, "authorization": {"Basic x"}},
	}
	tokens := []*oauth2.Token{nil, {AccessToken: "tok-1"}, {AccessToken: ""}}
	for name, h := range headers {
		for _, tok := range tokens {
			for _, custom := range []string{"", "myapp/2"} {
				t.Run(name, func(t *testing.T) {
					var got *http.Request
					cl := (&Config{UserAgent: custom}).newClient()
					tr := newTransport(&cl.cfg, cl.creds, roundTripFunc(func(r *http.Request) (*http.Response, error) {
						got = r
						return textResponse(r, 200, "{}"), nil
					}))
					req, err := http.NewRequestWithContext(context.WithValue(t.Context(), heldLockKey{}, "marker"),
						http.MethodPost, "https://jawbone.com/nudge/api/v.1.1/users/@me/workouts?a=1", strings.NewReader("x=1"))
					if err != nil {
						t.Fatal(err)
					}
					req.Header = cloneHeader(h)
					body := io.NopCloser(strings.NewReader("replayed"))
					want := referenceSend(req, body, cl.cfg.userAgent(), tok)
					before := cloneHeader(req.Header)

					resp, err := tr.send(req, body, tok)
					if err != nil {
						t.Fatal(err)
					}
					drainClose(resp)
					if !reflect.DeepEqual(got.Header, want.Header) {
						t.Errorf("header %v, want %v", got.Header, want.Header)
					}
					if got.URL.String() != want.URL.String() || got.Method != want.Method || got.Host != want.Host ||
						got.ContentLength != want.ContentLength || got.Body != body || got.Context() != want.Context() ||
						(got.GetBody == nil) != (want.GetBody == nil) || got.Proto != want.Proto {
						t.Errorf("request differs from the Clone-based one: %+v", got)
					}
					if !reflect.DeepEqual(req.Header, before) {
						t.Errorf("the caller's header changed: %v, was %v", req.Header, before)
					}
					// Values appended to the header sent must not reach the caller's.
					for k := range got.Header {
						got.Header[k] = append(got.Header[k], "appended")
					}
					if !reflect.DeepEqual(req.Header, before) {
						t.Errorf("appending to the sent header changed the caller's: %v", req.Header)
					}
				})
			}
		}
	}
}

func cloneHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if h[k] == nil {
			out[k] = nil
			continue
		}
		out[k] = append([]string{}, h[k]...)
	}
	return out
}

// TestSendWithoutHeader sends a request whose header map is nil, which the
// Clone-based preparation could not (it wrote into the nil map).
func TestSendWithoutHeader(t *testing.T) {
	t.Parallel()
	var got http.Header
	cl := (&Config{}).newClient()
	tr := newTransport(&cl.cfg, cl.creds, roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r.Header
		return textResponse(r, 200, "{}"), nil
	}))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://jawbone.com/x", nil)
	req.Header = nil
	resp, err := tr.send(req, nil, &oauth2.Token{AccessToken: "a"})
	if err != nil {
		t.Fatal(err)
	}
	drainClose(resp)
	if got.Get("Authorization") != "Bearer a" || got.Get("User-Agent") != cl.cfg.userAgent() || len(got) != 2 {
		t.Errorf("header %v", got)
	}
}

// TestNewRequestOnBaseURL checks that requests are built on the base URL
// parsed once, as the generated builders build them on it with a trailing
// slash, whatever the base looks like, and that a base URL that does not
// parse fails every call without a request.
func TestNewRequestOnBaseURL(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "https://jawbone.com/nudge/api/v.1.1", "http://127.0.0.1:1/api///", "http://[::1]:8080/a%20b/v.1.1", "http://example.com:/x"} {
		cl := (&Config{BaseURL: base}).newClient()
		req, err := cl.newRequest(t.Context(), get(mePath, ""))
		if err != nil {
			t.Fatal(err)
		}
		want, err := gen.NewGetUserRequest(cl.cfg.baseURL()+"/", "@me")
		if err != nil {
			t.Fatal(err)
		}
		if req.URL.String() != want.URL.String() || req.Host != want.Host || req.Header.Get("Accept") != "application/json" {
			t.Errorf("base %q: built %s (host %q, Accept %q), want %s (host %q)", base, req.URL, req.Host, req.Header.Get("Accept"), want.URL, want.Host)
		}
	}
	for _, base := range []string{"::not a url", "/relative/only"} {
		cl := (&Config{BaseURL: base}).newClient()
		if _, err := cl.newRequest(t.Context(), get(mePath, "")); err == nil || !strings.Contains(err.Error(), "invalid base URL") {
			t.Errorf("base %q: %v, want an invalid base URL error", base, err)
		}
	}
}

// TestSendOwnedMatchesClone checks that a request the Client built for
// itself, whose header send sets in place, reaches the base transport with
// the header the Clone-based preparation gives, token after token, and
// that a caller's request with the same Accept text is copied as before.
func TestSendOwnedMatchesClone(t *testing.T) {
	t.Parallel()
	var got *http.Request
	cl := (&Config{}).newClient()
	tr := newTransport(&cl.cfg, cl.creds, roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return textResponse(r, 200, "{}"), nil
	}))
	tr.owned = [2]*string{&cl.acceptJSON[0], &cl.acceptPNG[0]}
	for _, png := range []bool{false, true} {
		req, err := cl.newRequest(t.Context(), call{method: http.MethodPost, path: "/users/@me/workouts", body: []byte("sub_type=2"),
			contentType: "application/x-www-form-urlencoded", png: png})
		if err != nil {
			t.Fatal(err)
		}
		if !tr.owns(req) {
			t.Fatal("the Client's own request is not recognized")
		}
		for _, tok := range []*oauth2.Token{{AccessToken: "tok-1"}, {AccessToken: "tok-2"}, nil} {
			want := referenceSend(req, req.Body, cl.cfg.userAgent(), tok)
			want.Header.Del("Authorization") // what the previous send set in place
			if tok != nil {
				want.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			}
			resp, err := tr.send(req, req.Body, tok)
			if err != nil {
				t.Fatal(err)
			}
			drainClose(resp)
			if got != req || !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("png %v, token %v: sent %v (the request itself: %v), want %v", png, tok, got.Header, got == req, want.Header)
			}
		}
	}
	caller, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://jawbone.com/nudge/api/v.1.1/users/@me", nil)
	caller.Header["Accept"] = []string{"application/json"}
	if tr.owns(caller) {
		t.Error("a caller's request is taken for the Client's own")
	}
	resp, err := tr.send(caller, nil, &oauth2.Token{AccessToken: "tok-3"})
	if err != nil {
		t.Fatal(err)
	}
	drainClose(resp)
	if got == caller || caller.Header.Get("Authorization") != "" {
		t.Errorf("a caller's request was sent itself or changed: %v", caller.Header)
	}
}
