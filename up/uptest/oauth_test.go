package uptest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

const redirectURI = "http://127.0.0.1:9999/callback"

// authorize runs the authorization step and returns the redirect's query.
func authorize(t *testing.T, s *uptest.Server, params url.Values) (reply, url.Values) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {s.ClientID}, "redirect_uri": {redirectURI}, "state": {"st4te"}}
	for k, v := range params {
		q[k] = v
	}
	resp, body := do(t, http.MethodGet, s.AuthURL+"?"+q.Encode(), "", nil, "")
	if resp.StatusCode != http.StatusFound {
		return resp, nil
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location %q: %v (%s)", resp.Header.Get("Location"), err, body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %s, want %s", got, redirectURI)
	}
	return resp, loc.Query()
}

// tokenCall posts form to the token endpoint and decodes the answer.
func tokenCall(t *testing.T, s *uptest.Server, form url.Values) (int, gen.OAuthToken, gen.OAuthError) {
	t.Helper()
	resp, body := do(t, http.MethodPost, s.TokenURL, "", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var tok gen.OAuthToken
	var oerr gen.OAuthError
	if resp.StatusCode == http.StatusOK {
		decodeStrict(t, body, &tok)
	} else {
		decodeStrict(t, body, &oerr)
	}
	return resp.StatusCode, tok, oerr
}

func exchangeForm(s *uptest.Server, code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}
}

func refreshForm(s *uptest.Server, refresh string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}
}

func status(t *testing.T, s *uptest.Server, token, path string) int {
	t.Helper()
	resp, _ := get(t, s, token, path)
	return resp.StatusCode
}

func TestOAuthFlow(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithAccessTokenLifetime(2*time.Hour))
	_, q := authorize(t, s, url.Values{"scope": {"basic_read move_read"}})
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("redirect query %v, want a code and state st4te", q)
	}
	code := q.Get("code")

	form := exchangeForm(s, code)
	form.Set("redirect_uri", redirectURI)
	st, tok, oerr := tokenCall(t, s, form)
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %+v", st, oerr)
	}
	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token %+v", tok)
	}
	if tok.ExpiresIn != 7200 {
		t.Errorf("expires_in %v, want 7200", tok.ExpiresIn)
	}
	if got := status(t, s, tok.AccessToken, "/users/@me/moves"); got != http.StatusOK {
		t.Errorf("moves with the new token: %d", got)
	}
	if got := status(t, s, tok.AccessToken, "/users/@me/sleeps"); got != http.StatusForbidden {
		t.Errorf("sleeps without sleep_read: %d, want 403", got)
	}

	// A code works once.
	if st, _, oerr := tokenCall(t, s, exchangeForm(s, code)); st != http.StatusBadRequest || oerr.Error != "invalid_grant" {
		t.Errorf("second exchange: %d %+v, want 400 invalid_grant", st, oerr)
	}

	// A refresh replaces both tokens; the old ones stop working at once.
	st, next, oerr := tokenCall(t, s, refreshForm(s, tok.RefreshToken))
	if st != http.StatusOK {
		t.Fatalf("refresh: %d %+v", st, oerr)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
		t.Fatal("refresh did not rotate both tokens")
	}
	if got := status(t, s, tok.AccessToken, "/users/@me"); got != http.StatusUnauthorized {
		t.Errorf("old access token after refresh: %d, want 401", got)
	}
	if got := status(t, s, next.AccessToken, "/users/@me/moves"); got != http.StatusOK {
		t.Errorf("refreshed token keeps the scopes: moves %d", got)
	}
	if st, _, oerr := tokenCall(t, s, refreshForm(s, tok.RefreshToken)); st != http.StatusBadRequest || oerr.Error != "invalid_grant" {
		t.Errorf("old refresh token: %d %+v, want 400 invalid_grant", st, oerr)
	}

	want := map[string]int{"authorization_code": 2, "refresh_token": 2}
	if got := s.TokenRequests(); got["authorization_code"] != want["authorization_code"] || got["refresh_token"] != want["refresh_token"] {
		t.Errorf("TokenRequests %v, want %v", got, want)
	}
	for _, r := range s.Requests() {
		if r.Path != "/auth/oauth2/token" {
			continue
		}
		if r.Form.Get("client_secret") != "REDACTED" || strings.Contains(r.RawQuery+strings.Join(r.Form["refresh_token"], ""), tok.RefreshToken) {
			t.Errorf("request log shows a secret: %+v", r)
		}
	}
}

func TestOAuthTokenByGET(t *testing.T) {
	s := uptest.NewServer(t)
	_, q := authorize(t, s, nil)
	resp, body := do(t, http.MethodGet, s.TokenURL+"?"+exchangeForm(s, q.Get("code")).Encode(), "", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET exchange: %d %s", resp.StatusCode, body)
	}
	var tok gen.OAuthToken
	decodeStrict(t, body, &tok)
	if got := status(t, s, tok.AccessToken, "/users/@me"); got != http.StatusOK {
		t.Errorf("token from a GET exchange: %d", got)
	}
	// No scope asked: basic_read only.
	if got := status(t, s, tok.AccessToken, "/users/@me/moves"); got != http.StatusForbidden {
		t.Errorf("moves with basic_read: %d, want 403", got)
	}
	var last uptest.Request
	for _, r := range s.Requests() {
		if r.Path == "/auth/oauth2/token" {
			last = r
		}
	}
	if last.Method != http.MethodGet || !strings.Contains(last.RawQuery, "client_secret=REDACTED") || strings.Contains(last.RawQuery, s.ClientSecret) {
		t.Errorf("logged GET exchange %+v", last)
	}
}

func TestOAuthCodeExpires(t *testing.T) {
	clock := newClock(start)
	s := uptest.NewServer(t, uptest.WithClock(clock.Now))
	_, q1 := authorize(t, s, nil)
	_, q2 := authorize(t, s, nil)
	clock.Add(9*time.Minute + 59*time.Second)
	if st, _, oerr := tokenCall(t, s, exchangeForm(s, q1.Get("code"))); st != http.StatusOK {
		t.Fatalf("exchange within 10 minutes: %d %+v", st, oerr)
	}
	clock.Add(time.Second)
	if st, _, oerr := tokenCall(t, s, exchangeForm(s, q2.Get("code"))); st != http.StatusBadRequest || oerr.Error != "invalid_grant" ||
		!strings.Contains(oerr.ErrorDescription, "expired") {
		t.Errorf("exchange after 10 minutes: %d %+v, want invalid_grant (expired)", st, oerr)
	}
}

func TestOAuthClientAuthentication(t *testing.T) {
	s := uptest.NewServer(t)
	_, q := authorize(t, s, nil)
	form := exchangeForm(s, q.Get("code"))
	form.Set("client_secret", "wrong")
	if st, _, oerr := tokenCall(t, s, form); st != http.StatusUnauthorized || oerr.Error != "invalid_client" {
		t.Errorf("wrong secret: %d %+v, want 401 invalid_client", st, oerr)
	}
	// Credentials in a Basic header only are refused: Jawbone wanted them in the body.
	form = url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s.ClientID, s.ClientSecret)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var oerr gen.OAuthError
	_ = json.NewDecoder(resp.Body).Decode(&oerr)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || oerr.Error != "invalid_client" {
		t.Errorf("Basic auth: %d %+v, want 401 invalid_client", resp.StatusCode, oerr)
	}
	// The code survived the failed attempts.
	if st, _, oerr := tokenCall(t, s, exchangeForm(s, q.Get("code"))); st != http.StatusOK {
		t.Errorf("exchange after refused attempts: %d %+v", st, oerr)
	}
}

func TestOAuthGrantErrors(t *testing.T) {
	s := uptest.NewServer(t)
	_, q := authorize(t, s, nil)
	base := url.Values{"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vals := range base {
			v[k] = vals
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no grant type", with(), "invalid_request"},
		{"unknown grant type", with("grant_type", "password"), "unsupported_grant_type"},
		{"no code", with("grant_type", "authorization_code"), "invalid_request"},
		{"unknown code", with("grant_type", "authorization_code", "code", "nope"), "invalid_grant"},
		{"other redirect_uri", with("grant_type", "authorization_code", "code", q.Get("code"), "redirect_uri", "http://127.0.0.1:9999/other"), "invalid_grant"},
		{"no refresh token", with("grant_type", "refresh_token"), "invalid_request"},
		{"unknown refresh token", with("grant_type", "refresh_token", "refresh_token", "nope"), "invalid_grant"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, _, oerr := tokenCall(t, s, tc.form); st != http.StatusBadRequest || oerr.Error != tc.want {
				t.Errorf("%d %+v, want 400 %s", st, oerr, tc.want)
			}
		})
	}
}

func TestOAuthAccessDenied(t *testing.T) {
	var asked []string
	s := uptest.NewServer(t, uptest.WithConsent(func(scopes []string) bool {
		asked = scopes
		return false
	}))
	_, q := authorize(t, s, url.Values{"scope": {"move_read sleep_read move_read"}})
	if q.Get("error") != "access_denied" || q.Get("error_description") == "" || q.Get("state") != "st4te" || q.Has("code") {
		t.Errorf("redirect query %v, want error=access_denied with a description and the state, no code", q)
	}
	if !slices.Equal(asked, []string{"move_read", "sleep_read"}) {
		t.Errorf("consent asked for %v, want [move_read sleep_read]", asked)
	}
}

func TestOAuthAuthorizeRefusals(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithRedirectPrefixes("http://127.0.0.1:9999/"))
	for _, tc := range []struct {
		name   string
		params url.Values
	}{
		{"unknown client", url.Values{"client_id": {"someone-else"}}},
		{"no redirect_uri", url.Values{"redirect_uri": {""}}},
		{"unregistered redirect_uri", url.Values{"redirect_uri": {"https://evil.example/cb"}}},
		{"relative redirect_uri", url.Values{"redirect_uri": {"/cb"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := authorize(t, s, tc.params)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("%d, Location %q: want a 400 page and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q, want an HTML page", ct)
			}
		})
	}
	_, q := authorize(t, s, url.Values{"scope": {"basic_read telepathy_read"}})
	if q.Get("error") != "invalid_scope" || q.Get("state") != "st4te" {
		t.Errorf("unknown scope: %v, want error=invalid_scope and the state", q)
	}
	_, q = authorize(t, s, url.Values{"response_type": {"token"}})
	if q.Get("error") != "unsupported_response_type" {
		t.Errorf("response_type=token: %v, want error=unsupported_response_type", q)
	}
}

// TestOAuthWithXOAuth2 runs the flow with golang.org/x/oauth2, as package up does.
func TestOAuthWithXOAuth2(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := s.Config(redirectURI, "basic_read", "sleep_read")
	resp, _ := do(t, http.MethodGet, cfg.AuthCodeURL("xyz"), "", nil, "")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("state") != "xyz" {
		t.Fatalf("authorization redirect %q", resp.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(t.Context(), loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(tok.Expiry) < 364*24*time.Hour {
		t.Errorf("expiry %v, want a year away", tok.Expiry)
	}
	if got := status(t, s, tok.AccessToken, "/users/@me/sleeps"); got != http.StatusOK {
		t.Errorf("sleeps: %d", got)
	}
	s.ExpireAccessTokens()
	ts := cfg.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)})
	fresh, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, fresh.AccessToken, "/users/@me/sleeps"); got != http.StatusOK {
		t.Errorf("sleeps after an x/oauth2 refresh: %d", got)
	}
	_, err = cfg.Exchange(t.Context(), loc.Query().Get("code"))
	var rerr *oauth2.RetrieveError
	if !errors.As(err, &rerr) || rerr.ErrorCode != "invalid_grant" {
		t.Errorf("reusing the code: %v, want invalid_grant", err)
	}
}

func TestMintToken(t *testing.T) {
	s := uptest.NewServer(t)
	all := s.MintToken()
	if all.RefreshToken == "" || all.TokenType != "Bearer" || time.Until(all.Expiry) < 364*24*time.Hour {
		t.Errorf("minted %+v", all)
	}
	for _, p := range []string{"/users/@me/moves", "/users/@me/heartrates", "/users/@me/cardiac_events", "/users/@me/friends"} {
		if got := status(t, s, all.AccessToken, p); got != http.StatusOK {
			t.Errorf("%s with every scope: %d", p, got)
		}
	}
	mood := s.MintToken("mood_read")
	if got := status(t, s, mood.AccessToken, "/users/@me/mood"); got != http.StatusOK {
		t.Errorf("mood with mood_read: %d", got)
	}
	if got := status(t, s, mood.AccessToken, "/users/@me/goals"); got != http.StatusForbidden {
		t.Errorf("goals with mood_read: %d, want 403", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("MintToken accepted an unknown scope")
		}
	}()
	s.MintToken("telepathy_read")
}
