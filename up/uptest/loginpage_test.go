package uptest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/up/uptest"
)

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// loginPageOf opens the login page of an authorization request and returns
// the page and its CSRF token.
func loginPageOf(t *testing.T, s *uptest.Server, params url.Values) (string, string) {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {s.ClientID}, "redirect_uri": {redirectURI}, "state": {"st4te"}}
	for k, v := range params {
		q[k] = v
	}
	resp, body := do(t, http.MethodGet, s.AuthURL+"?"+q.Encode(), "", nil, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("login page: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	m := csrfField.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", body)
	}
	return string(body), m[1]
}

// submit posts the login form and returns the answer.
func submit(t *testing.T, s *uptest.Server, form url.Values, header http.Header) (reply, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.AuthURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return replyOf(resp), string(b)
}

// sentBack checks that an answer sends the browser to redirect_uri and
// returns the query it carries.
func sentBack(t *testing.T, resp reply, body string) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to the app: %s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != redirectURI {
		t.Fatalf("sent to %q, want %s", resp.Header.Get("Location"), redirectURI)
	}
	return loc.Query()
}

func TestLoginPage(t *testing.T) {
	asked := false
	s := uptest.NewServer(t, uptest.WithLoginPage(), uptest.WithUsers(3), uptest.WithAppName(`Run <&> Fun`),
		uptest.WithConsent(func([]string) bool { asked = true; return false }))
	second := s.Users()[1]
	page, token := loginPageOf(t, s, url.Values{"scope": {"basic_read move_read"}})
	for _, want := range []string{
		"Run &lt;&amp;&gt; Fun", // the app's name, escaped
		"Read moves, workouts, move trends and stopwatch band events.", "<code>move_read</code>",
		"The user&#39;s name and picture.", `name="email"`, `name="password"`, `value="allow"`, `value="deny"`,
		"user1@example.com", "user3@example.com", uptest.DefaultPassword,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the login page lacks %q", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://", "<link", "<img"} {
		if strings.Contains(page, banned) {
			t.Errorf("the login page holds %q: it must load nothing", banned)
		}
	}

	// A wrong password shows the form again, with the email, an error and a new token.
	resp, body := submit(t, s, url.Values{"csrf_token": {token}, "email": {second.Email()}, "password": {"wrong"}, "decision": {"allow"}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The email or password is incorrect.") ||
		!strings.Contains(body, `value="`+second.Email()+`"`) {
		t.Fatalf("wrong password: %d\n%s", resp.StatusCode, body)
	}
	retry := csrfField.FindStringSubmatch(body)
	if retry == nil || retry[1] == token {
		t.Fatalf("the form shown again has no new CSRF token")
	}
	// The token of a page works once.
	resp, _ = submit(t, s, url.Values{"csrf_token": {token}, "email": {second.Email()}, "password": {second.Password()}, "decision": {"allow"}}, nil)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
		t.Errorf("a used CSRF token: %d %q, want 403 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Allow signs in the user named, in any case, and the code is theirs.
	resp, body = submit(t, s, url.Values{"csrf_token": {retry[1]}, "email": {strings.ToUpper(second.Email())}, "password": {second.Password()}, "decision": {"allow"}}, nil)
	q := sentBack(t, resp, body)
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("Allow sent back %v", q)
	}
	st, tok, oerr := tokenCall(t, s, exchangeForm(s, q.Get("code")))
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %+v", st, oerr)
	}
	if metaXID, _ := me(t, s, tok.AccessToken); metaXID != second.XID() {
		t.Errorf("the code is for %s, want the user who signed in, %s", metaXID, second.XID())
	}
	if got := status(t, s, tok.AccessToken, "/users/@me/sleeps"); got != http.StatusForbidden {
		t.Errorf("a scope not asked for: %d, want 403", got)
	}

	// Deny needs no password.
	_, token = loginPageOf(t, s, nil)
	resp, body = submit(t, s, url.Values{"csrf_token": {token}, "decision": {"deny"}}, nil)
	q = sentBack(t, resp, body)
	if q.Get("error") != "access_denied" || q.Get("state") != "st4te" || q.Has("code") {
		t.Errorf("Deny sent back %v", q)
	}
	if asked {
		t.Error("WithConsent was asked although a person decides on the login page")
	}
}

func TestLoginPageRefusesForgedForms(t *testing.T) {
	clock := newClock(start)
	s := uptest.NewServer(t, uptest.WithLoginPage(), uptest.WithClock(clock.Now))
	u := s.DefaultUser()
	allow := func(token string) url.Values {
		return url.Values{"csrf_token": {token}, "email": {u.Email()}, "password": {u.Password()}, "decision": {"allow"}}
	}
	refused := func(name string, resp reply, body string) {
		t.Helper()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d, Location %q; want 403 and no redirect\n%s", name, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	resp, body := submit(t, s, allow(""), nil)
	refused("no CSRF token", resp, body)
	resp, body = submit(t, s, allow("made-up"), nil)
	refused("an unknown CSRF token", resp, body)
	_, token := loginPageOf(t, s, nil)
	resp, body = submit(t, s, allow(token), http.Header{"Origin": {"https://evil.example"}})
	refused("a form from another site", resp, body)

	_, token = loginPageOf(t, s, nil)
	clock.Add(10 * time.Minute)
	resp, body = submit(t, s, allow(token), nil)
	refused("an expired page", resp, body)

	// The checks of the request are those of automatic consent.
	for _, params := range []url.Values{{"client_id": {"someone-else"}}, {"redirect_uri": {"/relative"}}} {
		q := url.Values{"response_type": {"code"}, "client_id": {s.ClientID}, "redirect_uri": {redirectURI}}
		for k, v := range params {
			q[k] = v
		}
		resp, _ := do(t, http.MethodGet, s.AuthURL+"?"+q.Encode(), "", nil, "")
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%v: %d %q, want a 400 page", params, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	_, q := authorize(t, s, url.Values{"scope": {"telepathy_read"}})
	if q.Get("error") != "invalid_scope" || q.Get("state") != "st4te" {
		t.Errorf("unknown scope: %v", q)
	}
	// Without a login page the endpoint takes no POST.
	plain := uptest.NewServer(t)
	resp, _ = submit(t, plain, allow("x"), nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST without a login page: %d, want 405", resp.StatusCode)
	}
}

func TestAllowAndDeny(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithUsers(2), uptest.WithRedirectPrefixes(redirectURI))
	u := s.Users()[1]
	cfg := s.Config(redirectURI, "move_read")
	next, err := u.Deny(cfg.AuthCodeURL("xyz"))
	if err != nil || !strings.Contains(next, "error=access_denied") || !strings.Contains(next, "state=xyz") {
		t.Errorf("Deny: %q %v", next, err)
	}
	if _, err := u.Allow(s.Config("https://elsewhere.example/cb").AuthCodeURL("xyz")); err == nil ||
		!strings.Contains(err.Error(), "redirect_uri") {
		t.Errorf("Allow with an unregistered redirect_uri: %v", err)
	}
	bad := strings.Replace(cfg.AuthCodeURL("xyz"), "move_read", "telepathy_read", 1)
	if next, err := u.Allow(bad); err != nil || !strings.Contains(next, "error=invalid_scope") {
		t.Errorf("Allow with an unknown scope: %q %v", next, err)
	}
}
