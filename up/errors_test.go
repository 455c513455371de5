package up

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// checkText runs checkResponse on a response to a GET of rawURL made with
// a bearer token, closing the body as a caller would.
func checkText(t *testing.T, rawURL string, status int, body string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer live-access-token-XYZ")
	resp := textResponse(req, status, body)
	defer func() { _ = resp.Body.Close() }()
	return checkResponse(resp)
}

// asAPIError returns err as an *APIError, failing the test if it is not one.
func asAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *APIError", err)
	}
	return ae
}

func TestCheckResponseStatuses(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 201, 202, 204} {
		if err := checkText(t, "https://x/y", status, ""); err != nil {
			t.Errorf("status %d: %v, want nil", status, err)
		}
	}
	tests := []struct {
		status int
		is     error
	}{
		{401, ErrUnauthorized}, {403, ErrForbidden}, {404, ErrNotFound}, {429, ErrRateLimited},
		{400, nil}, {500, nil}, {302, nil},
	}
	sentinels := []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited}
	for _, tt := range tests {
		err := checkText(t, "https://x/y", tt.status, "")
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != tt.status {
			t.Errorf("status %d: %v, want *APIError", tt.status, err)
			continue
		}
		for _, s := range sentinels {
			if got := errors.Is(err, s); got != errors.Is(s, tt.is) {
				t.Errorf("status %d: errors.Is(err, %v) = %v", tt.status, s, got)
			}
		}
	}
}

func TestCheckResponseDecodesMeta(t *testing.T) {
	t.Parallel()
	body := `{"meta":{"user_xid":"6xl39CsoVp2KirfHwVq_Fx","message":"NOT_FOUND","code":404,"time":1471463170,` +
		`"error_type":"not_found","error_detail":"No such move","error_user_msg":"Try again","extra":[1,2]},"data":"data"}`
	err := checkText(t, "https://jawbone.com/nudge/api/v.1.1/users/@me/moves/abc", 404, body)
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	want := Meta{
		UserXID: "6xl39CsoVp2KirfHwVq_Fx", Message: "NOT_FOUND", Code: 404, Time: time.Unix(1471463170, 0).UTC(),
		ErrorType: "not_found", ErrorDetail: "No such move", ErrorUserMsg: "Try again",
	}
	if ae.Meta == nil || *ae.Meta != want {
		t.Errorf("Meta = %+v, want %+v", ae.Meta, want)
	}
	if ae.Method != http.MethodGet || ae.URL != "https://jawbone.com/nudge/api/v.1.1/users/@me/moves/abc" || string(ae.Body) != body {
		t.Errorf("APIError = %+v", ae)
	}
	wantMsg := "up: GET https://jawbone.com/nudge/api/v.1.1/users/@me/moves/abc: 404 Not Found: NOT_FOUND: No such move"
	if ae.Error() != wantMsg {
		t.Errorf("Error() = %q, want %q", ae.Error(), wantMsg)
	}
}

func TestDecodeMetaTolerance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *Meta
	}{
		{"seed fields only", `{"meta":{"user_xid":"x","message":"OK","code":200,"time":1471463170},"data":"data"}`,
			&Meta{UserXID: "x", Message: "OK", Code: 200, Time: time.Unix(1471463170, 0).UTC()}},
		{"numbers as strings", `{"meta":{"code":"401","time":"1471463170"}}`,
			&Meta{Code: 401, Time: time.Unix(1471463170, 0).UTC()}},
		{"wrong types ignored", `{"meta":{"message":{"a":1},"code":true,"time":null}}`, &Meta{}},
		{"no meta", `{"data":{}}`, nil},
		{"not JSON", `<html>502</html>`, nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeMeta([]byte(tt.body))
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("decodeMeta = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAPIErrorBodyIsBounded(t *testing.T) {
	t.Parallel()
	big := `{"meta":{"message":"BAD","code":400},"pad":"` + strings.Repeat("x", 200<<10) + `"}`
	ae := asAPIError(t, checkText(t, "https://x/y", 400, big))
	if len(ae.Body) != maxErrorExcerpt {
		t.Errorf("Body is %d bytes, want %d", len(ae.Body), maxErrorExcerpt)
	}
	if ae.Meta != nil {
		t.Errorf("meta decoded from a body past the read limit: %+v", ae.Meta)
	}
	if ae := asAPIError(t, checkText(t, "https://x/y", 500, "")); ae.Body != nil {
		t.Error("empty body gives a non-nil Body")
	}
}

func TestAPIErrorURLHasNoSecrets(t *testing.T) {
	t.Parallel()
	raw := "https://user:pw@jawbone.com/nudge/api/v.1.1/users/@me?date=20131121&access_token=AT1&Client_Secret=CS1" +
		"&refresh_token=RT1&code=C1&secret=S1&limit=10#frag"
	err := checkText(t, raw, 400, "")
	want := "https://jawbone.com/nudge/api/v.1.1/users/@me?date=20131121&limit=10"
	if got := asAPIError(t, err).URL; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}

func TestAPIErrorMessageIsOneLine(t *testing.T) {
	t.Parallel()
	body := `{"meta":{"message":"BAD\nREQUEST","code":400,"error_user_msg":"line1\r\nline2\u0007"}}`
	msg := checkText(t, "https://x/y", 400, body).Error()
	if strings.ContainsAny(msg, "\r\n\a") {
		t.Errorf("Error() = %q contains control characters", msg)
	}
	if !strings.HasSuffix(msg, ": BAD REQUEST: line1  line2") {
		t.Errorf("Error() = %q", msg)
	}
}

// TestNoSecretsInErrors provokes every kind of error, with servers that echo
// the credentials they receive, and scans the text for any of them.
func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tok := s.MintToken()
	secrets := []string{testClientSecret, tok.AccessToken, tok.RefreshToken, "the-auth-code-4242"}
	// echo answers with everything it was sent, as a careless server might.
	echo := func(status int, asOAuth bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm() // a failure only shortens the echo
			all := fmt.Sprintf("auth=%s form=%s query=%s raw:%s %s %s", r.Header.Get("Authorization"),
				r.PostForm.Encode(), r.URL.RawQuery, r.PostForm.Get("client_secret"), r.PostForm.Get("refresh_token"), r.PostForm.Get("code"))
			if asOAuth {
				writeJSON(w, status, map[string]string{"error": "invalid_request " + all, "error_description": all})
				return
			}
			if status == http.StatusOK {
				writeBody(w, status, `{"access_token": "`+all)
				return
			}
			writeJSON(w, status, map[string]any{"meta": map[string]any{"code": status, "message": all, "error_detail": all}, "echo": all})
		}
	}
	// serve starts a server answering every request with h and returns its URL.
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	withTokenHandler := func(h http.HandlerFunc) *Config {
		cfg := serverConfig(t, s)
		cfg.TokenURL = serve(h) + tokenPath
		return cfg
	}
	withAPIHandler := func(h http.HandlerFunc) *Config {
		cfg := serverConfig(t, s)
		cfg.BaseURL = serve(h) + apiPrefix
		return cfg
	}
	tests := []struct {
		name string
		run  func(t *testing.T) error
	}{
		{"exchange OAuth error echo", func(t *testing.T) error {
			_, err := withTokenHandler(echo(400, true)).Exchange(t.Context(), "https://a/cb?state=s&code=the-auth-code-4242", "s")
			return err
		}},
		{"exchange non-JSON echo", func(t *testing.T) error {
			cfg := withTokenHandler(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				writeBody(w, http.StatusInternalServerError,
					fmt.Sprintf("<pre>%s %s %s</pre>", r.PostForm.Get("client_secret"), r.PostForm.Get("code"), r.PostForm.Encode()))
			})
			_, err := cfg.Exchange(t.Context(), "https://a/cb?state=s&code=the-auth-code-4242", "s")
			return err
		}},
		{"exchange malformed 2xx echo", func(t *testing.T) error {
			_, err := withTokenHandler(echo(200, false)).Exchange(t.Context(), "https://a/cb?state=s&code=the-auth-code-4242", "s")
			return err
		}},
		{"refresh OAuth error echo", func(t *testing.T) error {
			_, err := withTokenHandler(echo(400, true)).Client(tok).Refresh(t.Context())
			return err
		}},
		{"automatic refresh error echo", func(t *testing.T) error {
			cfg := withTokenHandler(echo(401, true))
			cfg.BaseURL = newServer(t).URL // which refuses tok
			return getRaw(t.Context(), cfg.Client(tok), "/users/@me", nil)
		}},
		{"API error echo", func(t *testing.T) error {
			cfg := withAPIHandler(echo(403, false))
			good := s.MintToken()
			secrets = append(secrets, good.AccessToken, good.RefreshToken)
			return getRaw(t.Context(), cfg.Client(good), "/users/@me", url.Values{"access_token": {good.AccessToken}})
		}},
		{"unauthorized after refreshes", func(t *testing.T) error {
			cfg := withAPIHandler(echo(401, false))
			sent := recordOutgoing(cfg)
			good := s.MintToken()
			secrets = append(secrets, good.AccessToken, good.RefreshToken)
			err := getRaw(t.Context(), cfg.Client(good), "/users/@me", nil)
			auth := sent.authorizations()
			if len(auth) != 3 {
				t.Fatalf("%d API requests, want 3: the first and one after each refresh", len(auth))
			}
			for _, a := range auth {
				secrets = append(secrets, strings.TrimPrefix(a, "Bearer "))
			}
			return err
		}},
		{"authorization error", func(t *testing.T) error {
			_, err := serverConfig(t, s).Exchange(t.Context(), "https://a/cb?error=access_denied&error_description=no&code=the-auth-code-4242", "s")
			return err
		}},
		{"insecure API URL", func(t *testing.T) error {
			cfg := serverConfig(t, s)
			cfg.BaseURL = "http://jawbone.com/nudge/api/v.1.1"
			return getRaw(t.Context(), cfg.Client(tok), "/users/@me", nil)
		}},
		{"insecure token URL", func(t *testing.T) error {
			cfg := serverConfig(t, s)
			cfg.TokenURL = "http://jawbone.com/auth/oauth2/token"
			_, err := cfg.Client(tok).Refresh(t.Context())
			return err
		}},
		{"network failure", func(t *testing.T) error {
			cfg := serverConfig(t, s)
			cfg.TokenURL = "http://127.0.0.1:1/token"
			_, err := cfg.Client(tok).Refresh(t.Context())
			return err
		}},
		{"storage save failure", func(t *testing.T) error {
			st := newCountingStorage()
			st.failSaves(errors.New("disk full"))
			cfg := serverConfig(t, s)
			cfg.Storage = st
			cl := cfg.Client(tok)
			noSaveRetry(cl)
			_, err := cl.Refresh(t.Context())
			return err
		}},
		{"corrupt token file", func(t *testing.T) error {
			path := filepath.Join(t.TempDir(), "tok.json")
			writeFile(t, path, `{"access_token": "`+tok.AccessToken+`", "refresh_token": `+tok.RefreshToken, 0o600)
			_, err := NewFileStorage(path).Load(t.Context())
			return err
		}},
		{"token source failure", func(t *testing.T) error {
			src := tokenSourceFunc(func() (*oauth2.Token, error) { return nil, errors.New("source down") })
			return getRaw(t.Context(), serverConfig(t, s).ClientFromTokenSource(src), "/users/@me", nil)
		}},
		{"canceled refresh", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := serverConfig(t, s).Client(tok).Refresh(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run(t)
			if err == nil {
				t.Fatal("no error")
			}
			texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
			var ae *APIError
			if errors.As(err, &ae) {
				texts = append(texts, string(ae.Body), ae.URL, fmt.Sprintf("%+v", ae.Meta))
			}
			for _, text := range texts {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("error text contains secret %q:\n%s", s, text)
					}
				}
			}
		})
	}
}

func TestTransportErrorURLHasNoSecrets(t *testing.T) {
	t.Parallel()
	cfg := &Config{BaseURL: "https://jawbone.com/nudge/api/v.1.1", HTTPClient: &http.Client{
		Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("network down") }),
	}}
	cl := cfg.ClientFromAccessToken("tok")
	err := getRaw(t.Context(), cl, "/users/@me", url.Values{"access_token": {"leaked-access-999"}, "date": {"1"}})
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("error = %v, want *url.Error", err)
	}
	if strings.Contains(err.Error(), "leaked-access-999") || ue.URL != "https://jawbone.com/nudge/api/v.1.1/users/@me?date=1" {
		t.Errorf("error = %v", err)
	}
}

func TestCleanText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"plain", 10, "plain"},
		{"a\nb\tc\x00d", 10, "a b c d"},
		{"bad\xffbyte", 10, "bad byte"},
		{"keeps \uFFFD as is", 20, "keeps \uFFFD as is"},
		{"éèêëēėę", 3, "éèê…"},
		{"  padded  ", 20, "padded"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in, tt.limit); got != tt.want {
			t.Errorf("cleanText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
