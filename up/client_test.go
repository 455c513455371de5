package up

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/uptest"
)

func TestTokenGetSetRoundTrip(t *testing.T) {
	t.Parallel()
	cfg := &Config{ClientID: "id"}
	cl := cfg.Client(nil)
	if _, err := cl.Token(); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Token() on a Client without one: %v, want ErrNoToken", err)
	}
	want := &oauth2.Token{AccessToken: "access_token", TokenType: "Bearer", RefreshToken: "refresh_token",
		Expiry: time.Now().Add(31536000 * time.Second)}
	cl.SetToken(want)
	got, err := cl.Token()
	if err != nil || *got != *want {
		t.Fatalf("Token() = %+v, %v; want %+v", got, err, want)
	}
	got.AccessToken = "changed"
	want.RefreshToken = "changed too"
	if again, _ := cl.Token(); again.AccessToken != "access_token" || again.RefreshToken != "refresh_token" {
		t.Errorf("the Client shares its token with callers: %+v", again)
	}
	cl.SetToken(nil)
	if _, err := cl.Token(); !errors.Is(err, ErrNoToken) {
		t.Errorf("Token() after SetToken(nil): %v", err)
	}
	if tok, _ := cfg.ClientFromAccessToken("bare").Token(); tok.AccessToken != "bare" || tok.RefreshToken != "" {
		t.Errorf("ClientFromAccessToken token = %+v", tok)
	}
}

func TestClientKeepsItsOwnConfig(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := serverConfig(t, s)
	cl := cfg.Client(s.MintToken())
	cfg.BaseURL = "https://elsewhere.example"
	cfg.Scopes[0] = ScopeMealRead
	if cl.BaseURL() != s.URL {
		t.Errorf("BaseURL = %s after the Config changed", cl.BaseURL())
	}
	if cl.cfg.Scopes[0] != ScopeMoveRead {
		t.Error("Client shares the Config's Scopes slice")
	}
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	def := "up-go/" + Version + " (+https://github.com/upapi/up-go)"
	tests := []struct {
		name, configured, onRequest, want string
	}{
		{name: "default", want: def},
		{name: "configured", configured: "myapp/2.0", want: "myapp/2.0 up-go/" + Version},
		{name: "set on the request", onRequest: "script/1", want: "script/1 " + def},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			cfg := serverConfig(t, s)
			cfg.UserAgent = tt.configured
			sent := recordOutgoing(cfg)
			old := s.MintToken()
			s.ExpireAccessTokens()
			cl := cfg.Client(old)
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, cl.BaseURL()+"/users/@me", nil)
			if tt.onRequest != "" {
				req.Header.Set("User-Agent", tt.onRequest)
			}
			resp, err := cl.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			closeResponse(t, resp)
			api, token := sent.api(), sent.token()
			if len(api) != 2 || len(token) != 1 {
				t.Fatalf("%d API and %d token requests sent, want 2 and 1", len(api), len(token))
			}
			for i, h := range api {
				if got := h.Get("User-Agent"); got != tt.want {
					t.Errorf("API request %d User-Agent = %q, want %q", i, got, tt.want)
				}
			}
			if got := token[0].Get("User-Agent"); got != strings.TrimPrefix(tt.want, tt.onRequest+" ") {
				t.Errorf("token request User-Agent = %q", got)
			}
		})
	}
}

// TestSendDecodesEnvelope checks the one request path every typed call
// takes: the data of the envelope decoded, its meta in the Response, and
// the request as the spec writes it.
func TestSendDecodesEnvelope(t *testing.T) {
	t.Parallel()
	s := newServer(t, uptest.WithClock(func() time.Time { return time.Unix(1471463170, 0) }))
	cfg := serverConfig(t, s)
	sent := recordOutgoing(cfg)
	cl := cfg.Client(s.MintToken())
	type moves struct {
		Items []struct {
			Date int `json:"date"`
		} `json:"items"`
	}
	out, resp, err := send[moves](t.Context(), cl, get(mePath+"/moves", "date=20160815"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Meta.Code != 200 || !resp.Meta.Time.Equal(time.Unix(1471463170, 0)) {
		t.Errorf("response %+v", resp)
	}
	if len(out.Items) == 0 || out.Items[0].Date != 20160815 {
		t.Errorf("decoded %+v", out)
	}
	if api := sent.api(); len(api) != 1 || api[0].Get("Accept") != "application/json" {
		t.Errorf("API request headers = %v, want one with Accept: application/json", api)
	}
	r := apiRequests(s)[0]
	if r.Method != http.MethodGet || r.Path != apiPrefix+"/users/@me/moves" || r.RawQuery != "date=20160815" {
		t.Errorf("request = %+v", r)
	}
}

// TestSendErrors checks that a non-2xx answer is an *APIError with its meta
// and a 2xx answer that is not JSON a *DecodeError.
func TestSendErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cl := serverConfig(t, s).Client(s.MintToken())
	_, resp, err := send[struct{}](t.Context(), cl, get("/no/such/thing", ""))
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrNotFound) || ae.Meta == nil || ae.Meta.Message != "NOT_FOUND" {
		t.Fatalf("error = %v, want *APIError 404 with meta", err)
	}
	if resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("response %+v, want one of status 404", resp)
	}
	want := "up: GET " + cl.BaseURL() + "/no/such/thing: 404 Not Found: NOT_FOUND: no API operation GET /no/such/thing"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}

	s.Inject(uptest.Fault{Path: "/users/@me", Kind: uptest.FaultMalformedJSON})
	_, _, err = send[struct{}](t.Context(), cl, get(mePath, ""))
	if de := new(DecodeError); !errors.As(err, &de) || !strings.Contains(err.Error(), "decoding response") {
		t.Errorf("error = %v, want a *DecodeError", err)
	}
}

func TestDisconnect(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	tok := s.MintToken()
	mustSave(t, st.inner, tok)
	cl := cfg.Client(tok)

	if err := cl.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs, auth := apiRequests(s), sent.authorizations()
	if len(reqs) != 1 || reqs[0].Method != http.MethodDelete || reqs[0].Path != apiPrefix+"/users/@me/PartnerAppMembership" ||
		len(auth) != 1 || auth[0] != "Bearer "+tok.AccessToken {
		t.Fatalf("requests = %+v with Authorization %q, want one authenticated DELETE /users/@me/PartnerAppMembership", reqs, auth)
	}
	if _, err := cl.Token(); !errors.Is(err, ErrNoToken) {
		t.Errorf("Token() after Disconnect: %v, want ErrNoToken", err)
	}
	if n := st.deletes.Load(); n != 1 {
		t.Errorf("%d storage deletes, want 1", n)
	}
	if _, err := st.inner.Load(t.Context()); !errors.Is(err, ErrNoToken) {
		t.Errorf("storage still holds a token: %v", err)
	}
	if _, err := getUser(t.Context(), cl); !errors.Is(err, ErrNoToken) {
		t.Errorf("call after Disconnect: %v, want ErrNoToken", err)
	}
	if n := len(apiRequests(s)); n != 1 {
		t.Errorf("%d API requests; calls after Disconnect must not reach the API", n)
	}
}

func TestDisconnectRefreshesOn401(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := serverConfig(t, s).Client(old)
	if err := cl.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 2 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 2 and 1", a, tk)
	}
}

func TestDisconnectFailureKeepsCredentials(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Inject(uptest.Fault{Method: http.MethodDelete, Path: "/users/@me/PartnerAppMembership", Kind: uptest.FaultStatus, Status: http.StatusInternalServerError})
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	tok := s.MintToken()
	mustSave(t, st.inner, tok)
	cl := cfg.Client(tok)

	err := cl.Disconnect(t.Context())
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusInternalServerError || ae.Method != http.MethodDelete {
		t.Fatalf("error = %v, want *APIError 500 for the DELETE", err)
	}
	if got, err := cl.Token(); err != nil || got.AccessToken != tok.AccessToken {
		t.Errorf("Token() = %v, %v; want the credentials kept", got, err)
	}
	if n := st.deletes.Load(); n != 0 {
		t.Errorf("%d storage deletes after a failed disconnect", n)
	}
	if st.stored(t).AccessToken != tok.AccessToken {
		t.Error("stored token changed")
	}
}

func TestClientFromStorage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := serverConfig(t, s)
	sent := recordOutgoing(cfg)
	if _, err := cfg.ClientFromStorage(t.Context()); err == nil {
		t.Error("ClientFromStorage without Storage succeeded")
	}
	st := newCountingStorage()
	cfg.Storage = st
	if _, err := cfg.ClientFromStorage(t.Context()); !errors.Is(err, ErrNoToken) {
		t.Errorf("empty storage: %v, want ErrNoToken", err)
	}
	tok := s.MintToken()
	mustSave(t, st.inner, tok)
	cl, err := cfg.ClientFromStorage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if auth := sent.authorizations(); len(auth) != 1 || auth[0] != "Bearer "+tok.AccessToken {
		t.Errorf("sent %q", auth)
	}
}

func TestInsecureTransport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		allowed bool
	}{
		{"http://jawbone.com/nudge/api/v.1.1", false},
		{"http://192.168.1.10:8080/api", false},
		{"http://localhost.example.com/api", false},
		{"ftp://jawbone.com/api", false},
		{"https://jawbone.com/nudge/api/v.1.1", true},
		{"http://127.0.0.1:8080/api", true},
		{"http://127.3.4.5/api", true},
		{"http://[::1]:9000/api", true},
		{"http://localhost:9000/api", true},
		{"http://LOCALHOST/api", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			var sent []string
			cfg := &Config{BaseURL: tt.url, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sent = append(sent, r.Header.Get("Authorization"))
				return textResponse(r, 200, `{"meta":{"code":200},"data":{}}`), nil
			})}}
			_, err := getUser(t.Context(), cfg.ClientFromAccessToken("tok-123"))
			if tt.allowed {
				if err != nil || len(sent) != 1 || sent[0] != "Bearer tok-123" {
					t.Errorf("err %v, sent %q; want one authenticated request", err, sent)
				}
				return
			}
			if !errors.Is(err, ErrInsecureTransport) {
				t.Errorf("error = %v, want ErrInsecureTransport", err)
			}
			if len(sent) != 0 {
				t.Errorf("sent %d requests", len(sent))
			}
		})
	}
}

func TestRedirectToAnotherHostDropsToken(t *testing.T) {
	t.Parallel()
	var (
		mu        sync.Mutex
		otherAuth []string
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherAuth = append(otherAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		writeBody(w, http.StatusOK, `{"meta":{"code":200,"message":"OK"},"data":{}}`)
	}))
	defer other.Close()
	// The API takes the Client's token and redirects to the same loopback
	// address on another port: another host.
	const access = "access-to-redirect-4321"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+access {
			writeBody(w, http.StatusUnauthorized, `{"meta":{"code":401,"message":"NOT_AUTHORIZED"}}`)
			return
		}
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	}))
	defer api.Close()
	cfg := &Config{BaseURL: api.URL + apiPrefix}
	if _, err := getUser(t.Context(), cfg.ClientFromAccessToken(access)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(otherAuth) != 1 || otherAuth[0] != "" {
		t.Errorf("the other host received Authorization %q", otherAuth)
	}
}

func TestHTTPClientIsACopy(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := serverConfig(t, s)
	cl := cfg.Client(s.MintToken())
	hc := cl.HTTPClient()
	hc.Transport = http.DefaultTransport
	if _, ok := cl.HTTPClient().Transport.(*transport); !ok {
		t.Error("changing the returned *http.Client changed the Client")
	}
	base := cfg.HTTPClient
	if _, ok := base.Transport.(*transport); ok {
		t.Error("the caller's HTTPClient was modified")
	}
}

func TestStringsHideSecrets(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := s.MintToken()
	st := NewMemoryStorage()
	mustSave(t, st, tok)
	cfg := serverConfig(t, s)
	cfg.Storage = st
	cl := cfg.Client(tok)
	for _, v := range []any{cfg, *cfg, cl, st} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			s := fmt.Sprintf(verb, v)
			for _, secret := range []string{testClientSecret, tok.AccessToken, tok.RefreshToken} {
				if strings.Contains(s, secret) {
					t.Errorf("Sprintf(%q, %T) = %s, contains a secret", verb, v, s)
				}
			}
		}
	}
}

func TestTokenOnlyForAPIHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url      string
		wantAuth bool
		wantErr  error
	}{
		{"https://jawbone.com/nudge/api/v.1.1/users/@me", true, nil},
		{"https://JAWBONE.com:443/nudge/api/v.1.0/users/@me", true, nil},
		{"http://jawbone.com/nudge/api/v.1.1/users/@me", false, ErrInsecureTransport},
		{"https://jawbone.com:8443/x", false, nil},
		{"https://images.example.com/u.png", false, nil},
		{"https://jawbone.com.evil.example/x", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			var got []string
			cfg := &Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = append(got, r.Header.Get("Authorization"))
				return textResponse(r, 200, "{}"), nil
			})}}
			cl := cfg.ClientFromAccessToken("tok-456")
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.url, nil)
			req.Header.Set("Authorization", "Bearer caller-set")
			resp, err := cl.HTTPClient().Do(req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || len(got) != 0 {
					t.Fatalf("err %v, sent %q; want %v and nothing sent", err, got, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			closeResponse(t, resp)
			want := ""
			if tt.wantAuth {
				want = "Bearer tok-456"
			}
			if len(got) != 1 || got[0] != want {
				t.Errorf("Authorization sent = %q, want %q", got, want)
			}
		})
	}
}

// closeCounter is a transport that counts CloseIdleConnections calls.
type closeCounter struct {
	http.RoundTripper
	closed int
}

func (c *closeCounter) CloseIdleConnections() { c.closed++ }

// TestCloseIdleConnectionsReachesBase checks that closing the idle
// connections of a Client's http.Client, with or without a retry policy,
// reaches the caller's transport.
func TestCloseIdleConnectionsReachesBase(t *testing.T) {
	t.Parallel()
	for _, retry := range []*RetryPolicy{nil, {}} {
		base := &closeCounter{RoundTripper: http.DefaultTransport}
		cfg := &Config{HTTPClient: &http.Client{Transport: base}, Retry: retry}
		cl := cfg.ClientFromAccessToken("a")
		cl.HTTPClient().CloseIdleConnections()
		if base.closed != 1 {
			t.Errorf("retry %v: base transport closed %d times, want 1", retry != nil, base.closed)
		}
	}
}
