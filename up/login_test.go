package up

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestAuthCodeURLExact(t *testing.T) {
	t.Parallel()
	cfg := &Config{
		ClientID:    "app_id",
		RedirectURL: "http://127.0.0.1:8080/dummy",
		Scopes:      []Scope{ScopeMoveRead, ScopeSleepRead},
	}
	got := cfg.AuthCodeURL("st/ate+1")
	want := "https://jawbone.com/auth/oauth2/auth?response_type=code&client_id=app_id" +
		"&scope=move_read+sleep_read&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fdummy&state=st%2Fate%2B1"
	if got != want {
		t.Fatalf("AuthCodeURL =\n %s\nwant\n %s", got, want)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("scope") != "move_read sleep_read" || q.Get("state") != "st/ate+1" || q.Get("redirect_uri") != cfg.RedirectURL {
		t.Errorf("decoded params = %v", q)
	}
}

func TestAuthCodeURLDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{
			name: "default scope and no redirect",
			cfg:  Config{ClientID: "id"},
			want: DefaultAuthURL + "?response_type=code&client_id=id&scope=basic_read&state=s",
		},
		{
			name: "auth URL with its own query",
			cfg:  Config{ClientID: "id", AuthURL: "https://example.com/auth?tenant=1", Scopes: []Scope{ScopeExtendedRead}},
			want: "https://example.com/auth?tenant=1&response_type=code&client_id=id&scope=extended_read&state=s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.AuthCodeURL("s"); got != tt.want {
				t.Errorf("AuthCodeURL = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewState(t *testing.T) {
	t.Parallel()
	a, err := NewState()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewState()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two states are equal: %s", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 || len(a) != 43 || strings.ContainsAny(a, "=+/") {
		t.Fatalf("state %q: %d bytes, err %v; want 32 bytes of unpadded base64url", a, len(raw), err)
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	back := authorize(t, cfg, "state")
	s.ResetRequests()
	before := time.Now()

	tok, err := cfg.Exchange(t.Context(), back, "state")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token = %+v", tok)
	}
	if tok.ExpiresIn != 31536000 {
		t.Errorf("ExpiresIn = %d", tok.ExpiresIn)
	}
	if lo, hi := before.Add(31536000*time.Second), time.Now().Add(31536000*time.Second); tok.Expiry.Before(lo) || tok.Expiry.After(hi) {
		t.Errorf("Expiry = %v, want now + 1 year", tok.Expiry)
	}

	// The fake takes only its own client secret and the code it issued.
	reqs := tokenEndpointRequests(s)
	if len(reqs) != 1 {
		t.Fatalf("%d token requests, want 1", len(reqs))
	}
	want := url.Values{
		"grant_type": {"authorization_code"}, "code": {"REDACTED"}, "client_id": {testClientID},
		"client_secret": {"REDACTED"}, "redirect_uri": {testRedirectURL},
	}
	if r := reqs[0]; r.Method != http.MethodPost || r.Form.Encode() != want.Encode() {
		t.Errorf("token request = %s %v, want POST %v", r.Method, r.Form, want)
	}
	h := sent.token()
	if len(h) != 1 {
		t.Fatalf("%d token requests sent, want 1", len(h))
	}
	if a := h[0].Get("Authorization"); a != "" {
		t.Errorf("token request has Authorization %q; credentials belong in the body", a)
	}
	if ct := h[0].Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := h[0].Get("User-Agent"); ua != "up-go/"+Version+" (+https://github.com/upapi/up-go)" {
		t.Errorf("User-Agent = %q", ua)
	}

	if n := st.saves.Load(); n != 1 {
		t.Errorf("storage saved %d times, want 1", n)
	}
	if got := st.stored(t); got.AccessToken != tok.AccessToken || got.RefreshToken != tok.RefreshToken {
		t.Errorf("stored %+v, want the exchanged token", got)
	}

	// Both tokens are the ones the server issued.
	fresh := serverConfig(t, s)
	if _, err := getUser(t.Context(), fresh.ClientFromAccessToken(tok.AccessToken)); err != nil {
		t.Errorf("the access token does not work: %v", err)
	}
	if _, err := fresh.Client(&oauth2.Token{RefreshToken: tok.RefreshToken}).Refresh(t.Context()); err != nil {
		t.Errorf("the refresh token does not work: %v", err)
	}
}

func TestExchangeWithoutRedirectURLOmitsIt(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := serverConfig(t, s)
	back := authorize(t, cfg, "s")
	cfg.RedirectURL = ""
	if _, err := cfg.Exchange(t.Context(), back, "s"); err != nil {
		t.Fatal(err)
	}
	if reqs := tokenEndpointRequests(s); len(reqs) != 1 || reqs[0].Form.Has("redirect_uri") {
		t.Errorf("token requests = %+v; redirect_uri sent although RedirectURL is empty", reqs)
	}
}

func TestExchangeRedirectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		redirect string
		state    string
		is       error // sentinel the error must match, if any
		check    func(t *testing.T, err error)
	}{
		{
			name:     "access denied",
			redirect: testRedirectURL + "?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fexample.com%2Fe&state=s",
			state:    "s",
			is:       ErrAccessDenied,
			check: func(t *testing.T, err error) {
				var ae *AuthorizationError
				if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "The user said no" || ae.URI != "https://example.com/e" {
					t.Errorf("error = %#v, want *AuthorizationError with all three fields", err)
				}
			},
		},
		{
			name:     "other authorization error is not access denied",
			redirect: testRedirectURL + "?error=invalid_scope&state=s",
			state:    "s",
			check: func(t *testing.T, err error) {
				var ae *AuthorizationError
				if !errors.As(err, &ae) || ae.Code != "invalid_scope" || errors.Is(err, ErrAccessDenied) {
					t.Errorf("error = %v, want *AuthorizationError invalid_scope not matching ErrAccessDenied", err)
				}
			},
		},
		// A refusal is believed only once the state matches: a forged
		// callback must not end a login.
		{name: "refusal with a wrong state", redirect: testRedirectURL + "?error=access_denied&state=forged", state: "s", is: ErrStateMismatch, check: notAuthorizationError},
		{name: "refusal without a state", redirect: testRedirectURL + "?error=access_denied&error_description=no", state: "s", is: ErrStateMismatch, check: notAuthorizationError},
		{name: "refusal with an empty state", redirect: testRedirectURL + "?error=access_denied&state=", state: "s", is: ErrStateMismatch, check: notAuthorizationError},
		{name: "error and code with a wrong state", redirect: testRedirectURL + "?error=server_error&code=c&state=S", state: "s", is: ErrStateMismatch, check: notAuthorizationError},
		{name: "refusal with the state twice, first wrong", redirect: testRedirectURL + "?state=forged&error=access_denied&state=s", state: "s", is: ErrStateMismatch, check: notAuthorizationError},
		{name: "state differs", redirect: testRedirectURL + "?code=code&state=other", state: "state", is: ErrStateMismatch},
		{name: "state missing", redirect: testRedirectURL + "?code=code", state: "state", is: ErrStateMismatch},
		{name: "state is a prefix", redirect: testRedirectURL + "?code=code&state=sta", state: "state", is: ErrStateMismatch},
		{name: "empty expected state", redirect: testRedirectURL + "?code=code&state=", state: "", is: ErrStateMismatch},
		{name: "code missing", redirect: testRedirectURL + "?state=state", state: "state", is: ErrMissingCode},
		{name: "code blank", redirect: testRedirectURL + "?state=state&code=+", state: "state", is: ErrMissingCode},
		{
			name: "unparsable URL", redirect: "http://[::1%zz/?code=secret-code&state=s", state: "s",
			check: func(t *testing.T, err error) {
				if strings.Contains(err.Error(), "secret-code") {
					t.Errorf("error %q quotes the code", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			st := newCountingStorage()
			cfg := serverConfig(t, s)
			cfg.Storage = st
			tok, err := cfg.Exchange(t.Context(), tt.redirect, tt.state)
			if err == nil || tok != nil {
				t.Fatalf("Exchange = %v, %v; want an error", tok, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
			if n := tokenRequests(s); n != 0 {
				t.Errorf("%d token requests, want none", n)
			}
			if n := st.saves.Load(); n != 0 {
				t.Errorf("%d saves, want none", n)
			}
		})
	}
}

// notAuthorizationError fails if err is an *AuthorizationError or matches
// ErrAccessDenied.
func notAuthorizationError(t *testing.T, err error) {
	t.Helper()
	var ae *AuthorizationError
	if errors.As(err, &ae) || errors.Is(err, ErrAccessDenied) {
		t.Errorf("error %v is taken as the authorization server's answer", err)
	}
}

func TestExchangeTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	const redirect = testRedirectURL + "?state=s&code=code"
	tests := []struct {
		name        string
		status      int
		body        string
		header      string // Location, for redirects
		wantCode    string
		wantDesc    string // prefix of Description
		loginNeeded bool
	}{
		{name: "invalid_grant", status: 400, body: `{"error":"invalid_grant","error_description":"Code expired"}`,
			wantCode: "invalid_grant", wantDesc: "Code expired", loginNeeded: true},
		{name: "invalid_client", status: 401, body: `{"error":"invalid_client"}`, wantCode: "invalid_client"},
		{name: "5xx HTML", status: 502, body: "<html>\n<h1>Bad Gateway</h1>" + strings.Repeat("x", 5000) + "</html>",
			wantDesc: `invalid response: "<html> <h1>Bad Gateway</h1>xxx`},
		{name: "5xx empty", status: 503, body: "", wantDesc: "invalid response: empty body"},
		{name: "error JSON without error field", status: 500, body: `{"message":"boom"}`, wantDesc: "invalid response: no OAuth error"},
		{name: "2xx without access_token", status: 200, body: `{"token_type":"Bearer","expires_in":10}`, wantDesc: "invalid response: no access_token"},
		{name: "2xx malformed JSON", status: 200, body: `{"access_token":"ACC`, wantDesc: "invalid response: unexpected end of JSON input"},
		{name: "2xx with an error field", status: 200, body: `{"error":"server_error","error_description":"try later"}`,
			wantCode: "server_error", wantDesc: "try later"},
		{name: "2xx wrong types", status: 200, body: `{"access_token":42}`, wantDesc: "invalid response: json: cannot unmarshal"},
		{name: "redirect not followed", status: 307, header: "/elsewhere", wantDesc: "invalid response: empty body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The token endpoint answers with the status, body and Location
			// of the case, to every request on any path.
			var calls atomic.Int64
			endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tt.header != "" {
					w.Header().Set("Location", tt.header)
				}
				writeBody(w, tt.status, tt.body)
			}))
			defer endpoint.Close()
			st := newCountingStorage()
			cfg := &Config{
				ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: testRedirectURL,
				TokenURL: endpoint.URL + tokenPath, Storage: st,
			}
			tok, err := cfg.Exchange(t.Context(), redirect, "s")
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Exchange = %v, %v; want *TokenError", tok, err)
			}
			if tok != nil {
				t.Errorf("token %v returned with the error", tok)
			}
			if te.StatusCode != tt.status || te.Code != tt.wantCode || !strings.HasPrefix(te.Description, tt.wantDesc) {
				t.Errorf("TokenError = %+v, want status %d code %q description %q…", te, tt.status, tt.wantCode, tt.wantDesc)
			}
			if len(te.Description) > 3*maxExcerpt {
				t.Errorf("description is %d bytes long; want a bounded excerpt", len(te.Description))
			}
			if got := errors.Is(err, ErrLoginRequired); got != tt.loginNeeded {
				t.Errorf("errors.Is(err, ErrLoginRequired) = %v", got)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d token requests, want 1 (redirects are not followed)", n)
			}
			if n := st.saves.Load(); n != 0 {
				t.Errorf("%d saves after a failed exchange", n)
			}
		})
	}
}

func TestExchangeSaveFailureReturnsToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	st.failSaves(errors.New("disk full"))
	cfg := serverConfig(t, s)
	cfg.Storage = st
	tok, err := cfg.Exchange(t.Context(), authorize(t, cfg, "s"), "s")
	var se *StorageError
	if !errors.As(err, &se) || se.Op != "save" {
		t.Fatalf("error = %v, want *StorageError for save", err)
	}
	if tok == nil || tok.AccessToken == "" {
		t.Fatalf("token = %v, want the exchanged token despite the failed save", tok)
	}
	// The fake takes no access token but the one the exchange issued.
	if _, err := getUser(t.Context(), cfg.ClientFromAccessToken(tok.AccessToken)); err != nil {
		t.Errorf("the returned token does not work: %v", err)
	}
}

func TestExchangeRefusesInsecureTokenURL(t *testing.T) {
	t.Parallel()
	var sent int
	cfg := &Config{
		ClientID: "id", ClientSecret: testClientSecret, TokenURL: "http://auth.example.com/token",
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent++
			return textResponse(r, 200, `{"access_token":"x"}`), nil
		})},
	}
	_, err := cfg.Exchange(t.Context(), "https://app/cb?code=c&state=s", "s")
	if !errors.Is(err, ErrInsecureTransport) {
		t.Fatalf("error = %v, want ErrInsecureTransport", err)
	}
	if sent != 0 {
		t.Errorf("%d requests sent to a plain http token endpoint", sent)
	}
}

// TestParseTokenResponseExpiresIn feeds the token endpoint's expires_in
// every hostile value: each answer gives a token (a refused answer would
// lose a refresh token UP has already rotated), with its lifetime clamped
// to [minTokenLifetime, maxTokenLifetime] or, when it says nothing usable,
// no expiry at all. Before the clamp, 31536000000 overflowed into an
// expiry in 1857: a token born expired.
func TestParseTokenResponseExpiresIn(t *testing.T) {
	t.Parallel()
	const unknown = -1
	year := int64(31536000)
	tests := []struct {
		name, value string // value is the JSON of expires_in; "" leaves it out
		want        int64  // seconds, or unknown
	}{
		{"a year", `31536000`, year},
		{"string", `"3600"`, 3600},
		{"string with spaces", `" 3600 "`, 3600},
		{"fractional", `3600.9`, 3600},
		{"exponent", `3.6e3`, 3600},
		{"null", `null`, unknown},
		{"absent", ``, unknown},
		{"zero", `0`, unknown},
		{"string zero", `"0"`, unknown},
		{"negative", `-5`, unknown},
		{"negative string", `"-31536000"`, unknown},
		{"minus zero", `-0`, unknown},
		{"tiny fraction", `0.5`, int64(minTokenLifetime / time.Second)},
		{"under a minute", `1`, int64(minTokenLifetime / time.Second)},
		{"a thousand years", `31536000000`, int64(maxTokenLifetime / time.Second)},
		{"beyond int64", `9223372036854775808`, int64(maxTokenLifetime / time.Second)},
		{"beyond float64", `1e400`, int64(maxTokenLifetime / time.Second)},
		{"huge string", `"99999999999999999999999"`, int64(maxTokenLifetime / time.Second)},
		{"underflow", `1e-400`, unknown},
		{"word", `"soon"`, unknown},
		{"NaN", `"NaN"`, unknown},
		{"Infinity", `"Infinity"`, int64(maxTokenLifetime / time.Second)},
		{"-Infinity", `"-Inf"`, unknown},
		{"boolean", `true`, unknown},
		{"object", `{"seconds":3600}`, unknown},
		{"array", `[3600]`, unknown},
		{"empty string", `""`, unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"a","token_type":"Bearer","refresh_token":"r"`
			if tt.value != "" {
				body += `,"expires_in":` + tt.value
			}
			body += `}`
			before := time.Now()
			tok, err := parseTokenResponse(200, []byte(body))
			if err != nil {
				t.Fatalf("%s: %v; an odd expires_in must not refuse the token", body, err)
			}
			if tok.AccessToken != "a" || tok.RefreshToken != "r" {
				t.Errorf("token = %+v", tok)
			}
			if tt.want == unknown {
				if tok.ExpiresIn != 0 || !tok.Expiry.IsZero() {
					t.Errorf("%s: ExpiresIn %d, Expiry %v; want an unknown lifetime", body, tok.ExpiresIn, tok.Expiry)
				}
				return
			}
			life := time.Duration(tt.want) * time.Second
			if tok.ExpiresIn != tt.want || tok.Expiry.Before(before.Add(life)) || tok.Expiry.After(time.Now().Add(life)) {
				t.Errorf("%s: ExpiresIn %d, Expiry %v; want %d seconds from now", body, tok.ExpiresIn, tok.Expiry, tt.want)
			}
			if expired(tok) {
				t.Errorf("%s: the token is born expired", body)
			}
		})
	}
}

// TestParseTokenResponseTokenType refuses every token type but bearer
// (RFC 6749 §7.1), in any case, or an absent one, which UP's answers never
// lacked and which can only mean bearer.
func TestParseTokenResponseTokenType(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"Bearer", "bearer", "BEARER", "bEaReR", ""} {
		body := `{"access_token":"a","refresh_token":"r","expires_in":3600`
		if typ != "" {
			body += `,"token_type":"` + typ + `"`
		}
		tok, err := parseTokenResponse(200, []byte(body+"}"))
		if err != nil || tok.TokenType != "Bearer" {
			t.Errorf("token_type %q: %+v, %v; want a Bearer token", typ, tok, err)
		}
	}
	for _, typ := range []string{"mac", "N_A", "DPoP", "Basic", "bearer ", "Bearer2", `\u0000Bearer`} {
		body := `{"access_token":"secret-access","refresh_token":"secret-refresh","token_type":"` + typ + `"}`
		tok, err := parseTokenResponse(200, []byte(body))
		var te *TokenTypeError
		if !errors.As(err, &te) || tok != nil {
			t.Errorf("token_type %q: %+v, %v; want a *TokenTypeError", typ, tok, err)
			continue
		}
		if strings.Contains(err.Error(), "secret-") || strings.ContainsRune(err.Error(), 0) {
			t.Errorf("error %q quotes a token or a control character", err)
		}
	}
}

// TestTokenTypeRefusedBeforeSending refuses to send a token of another
// type that the caller gave the Client, rather than send it as a bearer
// token.
func TestTokenTypeRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := serverConfig(t, s)
	sent := recordOutgoing(cfg)
	tok := s.MintToken()
	tok.TokenType = "mac"
	_, err := getUser(t.Context(), cfg.Client(tok))
	var te *TokenTypeError
	if !errors.As(err, &te) || te.Type != "mac" {
		t.Fatalf("error = %v, want a *TokenTypeError for mac", err)
	}
	if n := len(sent.api()); n != 0 {
		t.Errorf("%d API requests sent with a mac token", n)
	}
	src := cfg.ClientFromTokenSource(oauth2.StaticTokenSource(tok))
	if _, err := getUser(t.Context(), src); !errors.As(err, &te) {
		t.Errorf("token source: error = %v, want a *TokenTypeError", err)
	}
}
