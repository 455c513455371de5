package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// browser stands in for the user's browser: it records what login asked it
// to open and what the pages said.
type browser struct {
	t      testing.TB
	opened string
	pages  []string
	status []int
}

// visit is where a GET ended: the URL of the last request, and the
// Location it was sent to, if any.
type visit struct {
	url, location string
}

// get GETs u, following redirects (to login's loopback server) unless
// follow is false, and records the page; ok is false when it failed.
func (b *browser) get(ctx context.Context, u string, follow bool) (visit, bool) {
	b.t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		b.t.Errorf("browser: GET %s: %v", u, err)
		return visit{}, false
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	b.pages = append(b.pages, string(body))
	b.status = append(b.status, resp.StatusCode)
	return visit{url: resp.Request.URL.String(), location: resp.Header.Get("Location")}, true
}

// redirectURI returns the redirect_uri the login URL names.
func (b *browser) redirectURI() string {
	u, err := url.Parse(b.opened)
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Query().Get("redirect_uri")
}

// login runs up login with the browser doing what open does with the URL.
func (e *env) login(open func(ctx context.Context, b *browser, u string), args ...string) (*browser, string, string, int) {
	e.t.Helper()
	b := &browser{t: e.t}
	a, stdout, stderr := e.app()
	a.openBrowser = func(ctx context.Context, u string) error {
		b.opened = u
		open(ctx, b, u)
		return nil
	}
	code := a.run(e.t.Context(), append([]string{"login"}, args...))
	return b, stdout.String(), stderr.String(), code
}

// follow is a browser that consents and is sent back to login, then opens
// the answer a second time.
func follow(ctx context.Context, b *browser, u string) {
	if v, ok := b.get(ctx, u, true); ok {
		b.get(ctx, v.url, false)
	}
}

// checkClosed checks that nothing listens at the redirect URL any more.
func checkClosed(t *testing.T, redirect string) {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil || u.Host == "" {
		t.Fatalf("redirect URL %q", redirect)
	}
	conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(t.Context(), "tcp", u.Host)
	if err == nil {
		_ = conn.Close()
		t.Errorf("login's server at %s still listens after login returned", u.Host)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	// As in life, the browser runs on its own and login waits for it in
	// another goroutine.
	b := &browser{t: t}
	browsed := make(chan struct{})
	a, stdout, stderr := e.app()
	a.openBrowser = func(ctx context.Context, u string) error {
		b.opened = u
		go func() {
			defer close(browsed)
			b.get(ctx, u, true)
		}()
		return nil
	}
	done := make(chan int, 1)
	go func() { done <- a.run(t.Context(), []string{"login"}) }()
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("login did not return")
	}
	<-browsed
	if code != exitOK {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr.String(), b.opened) || !strings.HasPrefix(b.opened, e.s.AuthURL+"?") {
		t.Errorf("login did not print the URL it opened (%q): %s", b.opened, stderr)
	}
	// Commentary, not data: on stderr.
	if want := "Logged in as Noah Franklin (xid " + e.s.UserXID() + "); token saved to " + e.tokenFile; !strings.Contains(stderr.String(), want) || stdout.String() != "" {
		t.Errorf("stdout = %q, stderr = %q, want it to contain %q", stdout, stderr, want)
	}
	if len(b.pages) != 1 || b.status[0] != http.StatusOK || !strings.Contains(b.pages[0], "You are logged in") {
		t.Errorf("the browser's page: %v %q", b.status, b.pages)
	}
	info, err := os.Stat(e.tokenFile)
	if err != nil {
		t.Fatalf("no token file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("token file mode %o, want 600", mode)
	}
	if got := e.s.TokenRequests()["authorization_code"]; got != 1 {
		t.Errorf("%d code exchanges, want 1", got)
	}
	checkClosed(t, b.redirectURI())
	e.noSecrets(stdout.String() + stderr.String() + strings.Join(b.pages, ""))
	// The saved token works.
	if out := e.ok("whoami"); !strings.Contains(out, e.s.UserXID()) {
		t.Errorf("whoami after login: %s", out)
	}
	// Every read scope, and no write scope, by default.
	scope := mustQuery(t, b.opened).Get("scope")
	if !strings.Contains(scope, "move_read") || !strings.Contains(scope, "cardiac_read") || strings.Contains(scope, "_write") {
		t.Errorf("default scopes %q", scope)
	}
}

// TestLoginAtJawbone checks that a login sent to UP's own login page, as
// happens when UP_AUTH_URL is not set, says that the page is gone and what
// to set instead.
func TestLoginAtJawbone(t *testing.T) {
	e := newEnv(t)
	delete(e.vars, "UP_AUTH_URL")
	a, stdout, stderr := e.app()
	a.httpClient = &http.Client{Transport: noSuchHost{}}
	if code := a.run(t.Context(), []string{"login"}); code != exitAPI || stdout.String() != "" {
		t.Errorf("login: exit %d, stdout %q", code, stdout)
	}
	checkOneLine(t, stderr.String(), "up: cannot reach the UP login page: dial tcp: lookup jawbone.com: no such host; "+
		"Jawbone has shut UP down, so its own servers no longer answer: set UP_BASE_URL, UP_AUTH_URL and UP_TOKEN_URL")
	// A login page elsewhere that cannot be reached gets no such advice.
	e.vars["UP_AUTH_URL"] = "http://127.0.0.1:1/auth/oauth2/auth"
	if _, stderr, code := e.run("login"); code != exitAPI || strings.Contains(stderr, "shut UP down") {
		t.Errorf("login at a closed port: exit %d: %s", code, stderr)
	}
}

func TestLoginTakesOneAnswer(t *testing.T) {
	e := newEnv(t)
	b, stdout, stderr, code := e.login(follow)
	if code != exitOK {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "Logged in as Noah Franklin") || stdout != "" {
		t.Errorf("stdout = %q, stderr = %q", stdout, stderr)
	}
	if len(b.pages) != 2 || b.status[0] != http.StatusOK || b.status[1] != http.StatusConflict ||
		!strings.Contains(b.pages[1], "already received its answer") {
		t.Errorf("a second answer got %v %q, want 409 and an error page", b.status, b.pages)
	}
	if got := e.s.TokenRequests()["authorization_code"]; got != 1 {
		t.Errorf("%d code exchanges, want 1", got)
	}
}

func mustQuery(t testing.TB, u string) url.Values {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query()
}

func TestLoginListensOnRedirectPort(t *testing.T) {
	e := newEnv(t)
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	redirect := "http://localhost:" + strconv.Itoa(port) + "/up/back"
	e.vars["UP_REDIRECT_URL"] = redirect
	b, _, stderr, code := e.login(func(ctx context.Context, b *browser, u string) {
		// localhost may resolve to ::1 first; visit 127.0.0.1 as a browser falling back would.
		v, ok := b.get(ctx, u, false)
		if !ok {
			return
		}
		back := strings.Replace(v.location, "//localhost:", "//127.0.0.1:", 1)
		b.get(ctx, back, false)
	})
	if code != exitOK {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if got := b.redirectURI(); got != redirect {
		t.Errorf("redirect_uri %q, want %q", got, redirect)
	}
	checkClosed(t, "http://127.0.0.1:"+strconv.Itoa(port))
}

func TestLoginScopes(t *testing.T) {
	e := newEnv(t)
	b, _, stderr, code := e.login(follow, "--scopes", "move_read,sleep_read", "--scope", "meal_read")
	if code != exitOK {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if got := mustQuery(t, b.opened).Get("scope"); got != "basic_read move_read sleep_read meal_read" {
		t.Errorf("scope = %q", got)
	}
	b, _, _, _ = e.login(follow, "--scopes", "all")
	if got := mustQuery(t, b.opened).Get("scope"); !strings.Contains(got, "move_write") || !strings.Contains(got, "weight_read") {
		t.Errorf("--scopes all: scope = %q", got)
	}
	e.fails(exitUsage, `unknown scope "walk_read"`, "login", "--scope", "walk_read")
}

// forgedAnswers are callbacks a page other than UP's could send to login's
// loopback port, built from the real one: each carries a wrong state, or
// none, and some a refusal that would end the login if it were believed.
func forgedAnswers(real *url.URL) []string {
	var out []string
	for _, q := range []url.Values{
		{"error": {"access_denied"}, "state": {"forged"}},
		{"error": {"access_denied"}, "error_description": {"The user denied"}},
		{"error": {"server_error"}, "state": {""}},
		{"code": {real.Query().Get("code")}, "state": {"forged"}},
		{"code": {"attacker-code"}},
		{"state": {"forged"}, "error": {"access_denied"}},
	} {
		u := *real
		u.RawQuery = q.Encode()
		out = append(out, u.String())
	}
	// The right state after a wrong one: url.Values.Get reads the first.
	u := *real
	u.RawQuery = "state=forged&" + real.RawQuery
	return append(out, u.String())
}

// answer visits the login page without following its redirect and returns
// the answer UP sends the browser back with.
func (b *browser) answer(ctx context.Context, u string) (*url.URL, bool) {
	v, ok := b.get(ctx, u, false)
	if !ok {
		return nil, false
	}
	back, err := url.Parse(v.location)
	if err != nil {
		b.t.Error(err)
		return nil, false
	}
	return back, true
}

func TestLoginIgnoresForgedAnswers(t *testing.T) {
	e := newEnv(t)
	var forged []string
	b, stdout, stderr, code := e.login(func(ctx context.Context, b *browser, u string) {
		back, ok := b.answer(ctx, u)
		if !ok {
			return
		}
		forged = forgedAnswers(back)
		for _, f := range forged {
			b.get(ctx, f, false)
		}
		b.get(ctx, back.String(), false)
	})
	if code != exitOK {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "Logged in as Noah Franklin") || stdout != "" {
		t.Errorf("stdout = %q, stderr = %q", stdout, stderr)
	}
	// The login page, one error page per forged answer, then the real one.
	if len(b.pages) != len(forged)+2 {
		t.Fatalf("%d pages, want %d: %q", len(b.pages), len(forged)+2, b.pages)
	}
	for i := range forged {
		if b.status[i+1] != http.StatusBadRequest || !strings.Contains(b.pages[i+1], "does not carry the state") {
			t.Errorf("forged answer %s got %d %q, want 400 and an error page", forged[i], b.status[i+1], b.pages[i+1])
		}
	}
	if last := len(b.pages) - 1; b.status[last] != http.StatusOK || !strings.Contains(b.pages[last], "You are logged in") {
		t.Errorf("the real answer got %d %q", b.status[last], b.pages[last])
	}
	if got := e.s.TokenRequests()["authorization_code"]; got != 1 {
		t.Errorf("%d code exchanges, want 1 (the real answer's)", got)
	}
	checkClosed(t, b.redirectURI())
}

func TestLoginTimesOutAfterForgedAnswers(t *testing.T) {
	e := newEnv(t)
	b, _, stderr, code := e.login(func(ctx context.Context, b *browser, u string) {
		back, ok := b.answer(ctx, u)
		if !ok {
			return
		}
		for _, f := range forgedAnswers(back)[:3] {
			b.get(ctx, f, false)
		}
	}, "--timeout", "1s")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	checkOneLine(t, lastLine(stderr), "login timed out after 1s: no answer came back to "+b.redirectURI()+" (3 with a wrong state ignored)")
	if _, err := os.Stat(e.tokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file exists after a failed login: %v", err)
	}
	if got := e.s.TokenRequests()["authorization_code"]; got != 0 {
		t.Errorf("%d code exchanges after forged answers, want 0", got)
	}
	checkClosed(t, b.redirectURI())
}

// lastLine returns the last line of out, with its newline; login prints
// the URL before its one-line error.
func lastLine(out string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(out, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

func TestLoginAccessDenied(t *testing.T) {
	e := newEnv(t, uptest.WithConsent(func([]string) bool { return false }))
	b, _, stderr, code := e.login(follow)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	checkOneLine(t, lastLine(stderr), "login refused: access was denied on the UP login page")
	if len(b.pages) == 0 || !strings.Contains(b.pages[0], "access was denied") {
		t.Errorf("the browser's page: %q", b.pages)
	}
	if _, err := os.Stat(e.tokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file exists after a refused login: %v", err)
	}
}

func TestLoginPageEscapesTheError(t *testing.T) {
	e := newEnv(t)
	b, _, stderr, code := e.login(func(ctx context.Context, b *browser, u string) {
		q := mustQuery(t, u)
		back := q.Get("redirect_uri") + "?" + url.Values{
			"error":             {"server_error"},
			"error_description": {`<script>alert("hi")</script> & more`},
			"state":             {q.Get("state")},
		}.Encode()
		b.get(ctx, back, false)
	})
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	checkOneLine(t, lastLine(stderr), `login failed: the UP login page answered server_error (<script>alert("hi")</script> & more)`)
	if len(b.pages) != 1 || strings.Contains(b.pages[0], "<script>") ||
		!strings.Contains(b.pages[0], "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; more") {
		t.Errorf("the page does not escape the error: %q", b.pages)
	}
}

func TestLoginTimeout(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	b, _, stderr, code := e.login(func(context.Context, *browser, string) {}, "--timeout", "300ms")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	checkOneLine(t, lastLine(stderr), "login timed out after 300ms: no answer came back to "+b.redirectURI())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("login took %s to time out", took)
	}
	checkClosed(t, b.redirectURI())

	// A bare number is seconds.
	b, _, stderr, code = e.login(func(context.Context, *browser, string) {}, "--timeout", "0.25")
	if code != exitFailure {
		t.Errorf("--timeout 0.25: exit %d, want %d", code, exitFailure)
	}
	checkOneLine(t, lastLine(stderr), "login timed out after 250ms: no answer came back to "+b.redirectURI())
	e.fails(exitUsage, `login: invalid value "5 minutes" for flag -timeout: "5 minutes" is not a duration: use a number of seconds (300) or a Go duration (90s, 5m, 1h30m)`, "login", "--timeout", "5 minutes")
	e.fails(exitUsage, "login: --timeout must be positive", "login", "--timeout", "0")
	if out := e.ok("login", "--help"); !strings.Contains(out, "--timeout seconds\n        how long to wait for the login to complete: seconds (300) or a Go duration (5m) (default 5m0s)") {
		t.Errorf("login --help on --timeout:\n%s", out)
	}
}

func TestDurationFlag(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5": 5 * time.Second, "300": 5 * time.Minute, "2.5": 2500 * time.Millisecond, "\t90\n": 90 * time.Second,
		"90s": 90 * time.Second, "5m": 5 * time.Minute, "1h30m": 90 * time.Minute, "0": 0,
	} {
		var d durationFlag
		if err := d.Set(in); err != nil || time.Duration(d) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	for _, in := range []string{"", "five", "5 minutes", "NaN", "Inf", "1e300", "5x"} {
		var d durationFlag
		if err := d.Set(in); err == nil {
			t.Errorf("Set(%q) = %v, want an error", in, time.Duration(d))
		}
	}
}

func TestLoginInterrupted(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	a, _, stderr := e.app()
	var redirect string
	a.openBrowser = func(_ context.Context, u string) error {
		redirect = mustQuery(t, u).Get("redirect_uri")
		cancel() // Ctrl-C
		return nil
	}
	if code := a.run(ctx, []string{"login"}); code != exitInterrupted {
		t.Errorf("exit %d, want %d", code, exitInterrupted)
	}
	checkOneLine(t, lastLine(stderr.String()), "login interrupted")
	checkClosed(t, redirect)
}

func TestLoginWrongSecret(t *testing.T) {
	e := newEnv(t)
	e.vars["UP_CLIENT_SECRET"] = "not-the-secret"
	_, stdout, stderr, code := e.login(follow)
	if code != exitAPI {
		t.Errorf("exit %d, want %d", code, exitAPI)
	}
	checkOneLine(t, lastLine(stderr), "UP refused the application's credentials (invalid_client): check UP_CLIENT_ID and UP_CLIENT_SECRET")
	if strings.Contains(stdout+stderr, "not-the-secret") {
		t.Error("the output shows the client secret")
	}
}

func TestLoginRefusedRedirectURL(t *testing.T) {
	e := newEnv(t, uptest.WithRedirectPrefixes("https://app.example/"))
	opened := false
	_, _, stderr, code := e.login(func(context.Context, *browser, string) { opened = true })
	if code != exitAPI {
		t.Errorf("exit %d, want %d", code, exitAPI)
	}
	checkOneLine(t, stderr, "the UP login page refused the request (400): We could not authorize this app: The redirect_uri does not start with any URI registered")
	if opened {
		t.Error("login opened the browser on a login page that refuses the request")
	}
}

func TestLoginRedirectMismatchAtTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	// The answer comes back to login, but the code was issued for another
	// redirect URL, as when a proxy rewrites it: the token endpoint refuses.
	_, _, stderr, code := e.login(func(ctx context.Context, b *browser, u string) {
		q := mustQuery(t, u)
		back := q.Get("redirect_uri")
		other, _ := url.Parse(u)
		q.Set("redirect_uri", back+"/elsewhere")
		other.RawQuery = q.Encode()
		v, ok := b.get(ctx, other.String(), false)
		if !ok {
			return
		}
		loc, _ := url.Parse(v.location)
		b.get(ctx, back+"?"+loc.RawQuery, false)
	})
	if code != exitAPI {
		t.Errorf("exit %d, want %d", code, exitAPI)
	}
	checkOneLine(t, lastLine(stderr), "login failed: UP refused the authorization code (redirect_uri does not match")
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	old := e.client()
	if _, err := os.Stat(e.tokenFile + ".lock"); err != nil {
		t.Fatalf("saving the token made no lock file: %v", err)
	}
	out := e.quiet("logout")
	if !strings.Contains(out, "Logged out") {
		t.Errorf("logout: %q", out)
	}
	if _, err := os.Stat(e.tokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the token file is still there: %v", err)
	}
	if _, err := os.Stat(e.tokenFile + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is still there: %v", err)
	}
	// UP revoked the token too.
	if _, _, err := old.User(t.Context()); err == nil {
		t.Error("the old token still works after logout")
	}
	if out := e.quiet("logout"); !strings.Contains(out, "Not logged in") {
		t.Errorf("logout when logged out: %q", out)
	}
	// A lock file left by an earlier version goes too, and no other file.
	for _, name := range []string{e.tokenFile + ".lock", e.tokenFile + ".other"} {
		if err := os.WriteFile(name, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.quiet("logout")
	if _, err := os.Stat(e.tokenFile + ".lock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is still there when logged out: %v", err)
	}
	if _, err := os.Stat(e.tokenFile + ".other"); err != nil {
		t.Errorf("logout removed another file: %v", err)
	}
}

func TestRemoveLockFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "token.json")
	st := up.NewFileStorage(path)
	lockPath := path + ".lock"
	exists := func(p string) bool {
		_, err := os.Stat(p)
		return err == nil
	}

	// No token: the lock file goes.
	unlock, err := st.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = unlock()
	removeLockFile(ctx, st)
	if exists(lockPath) {
		t.Error("the lock file of a storage without a token is still there")
	}

	// Another process holds the lock and logs in meanwhile: removeLockFile
	// waits for the lock, finds a token, and leaves the lock file to it.
	other := up.NewFileStorage(path)
	unlock, err = other.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		removeLockFile(ctx, st)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("removeLockFile did not wait for the lock")
	case <-time.After(100 * time.Millisecond):
	}
	if err := other.Save(ctx, &oauth2.Token{AccessToken: "new-login"}); err != nil { // under the lock taken above
		t.Fatal(err)
	}
	_ = unlock()
	<-done
	if !exists(lockPath) || !exists(path) {
		t.Errorf("a new login's lock file or token was removed: lock %v, token %v", exists(lockPath), exists(path))
	}
}

func TestLogoutAfterSessionEnded(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	e.s.RevokeAll()
	out := e.quiet("logout")
	if !strings.Contains(out, "already ended; deleted the token") {
		t.Errorf("logout: %q", out)
	}
	for _, name := range []string{e.tokenFile, e.tokenFile + ".lock"} {
		if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there: %v", name, err)
		}
	}
}

func TestLogoutKeepsTokenWhenUPFails(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	remove := e.s.Inject(uptest.Fault{Path: "/users/@me/PartnerAppMembership", Kind: uptest.FaultDropConnection})
	e.fails(exitAPI, "could not log out: cannot reach UP", "logout")
	if _, err := os.Stat(e.tokenFile); err != nil {
		t.Errorf("the token file is gone after a failed logout: %v", err)
	}
	if _, err := os.Stat(e.tokenFile + ".lock"); err != nil {
		t.Errorf("the lock file is gone after a failed logout: %v", err)
	}
	if out := e.quiet("logout", "--force"); !strings.Contains(out, "Deleted the token") {
		t.Errorf("logout --force: %q", out)
	}
	remove()
	if _, err := os.Stat(e.tokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the token file is still there after --force: %v", err)
	}
}
