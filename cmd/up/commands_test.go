package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// noSuchHost is a transport for which no host has an address, as
// jawbone.com has none since UP was shut down.
type noSuchHost struct{}

func (noSuchHost) RoundTrip(req *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: req.URL.Hostname(), IsNotFound: true}}
}

func TestWhoami(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	out := e.ok("whoami")
	for _, want := range []string{"xid     " + e.s.UserXID(), "name    Noah Franklin", "height  1.89 m", "weight  85.0 kg",
		"meta    200 OK at 2015-06-15T19:00:00Z, user_xid " + e.s.UserXID()} {
		if !strings.Contains(out, want) {
			t.Errorf("whoami lacks %q:\n%s", want, out)
		}
	}
	var got struct {
		User gen.User `json:"user"`
		Meta metaJSON `json:"meta"`
	}
	if err := json.Unmarshal([]byte(e.ok("whoami", "--format", "json")), &got); err != nil {
		t.Fatal(err)
	}
	if got.User.XID != e.s.UserXID() || got.Meta.UserXID != e.s.UserXID() || got.Meta.Code != 200 || got.Meta.Time != testNow.Unix() {
		t.Errorf("whoami --format json: %+v", got)
	}
	e.fails(exitUsage, `unknown --format "xml"`, "whoami", "--format", "xml")
}

func TestWhoamiWithoutExtendedRead(t *testing.T) {
	e := newEnv(t)
	e.loggedIn("basic_read")
	out := e.ok("whoami")
	if !strings.Contains(out, "Noah Franklin") || strings.Contains(out, "weight") {
		t.Errorf("whoami with basic_read only:\n%s", out)
	}
}

func TestFriends(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	ref, _, err := e.client().Friends(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, stderr, code := e.run("friends")
	if code != exitOK {
		t.Fatalf("friends: exit %d: %s", code, stderr)
	}
	// The table is data, on stdout; the count is commentary, on stderr.
	want := "xid\n"
	for _, f := range ref.Items {
		want += f.XID + "\n"
	}
	if out != want || stderr != "(3 friends)\n" {
		t.Errorf("friends: stdout %q, stderr %q; want %q and (3 friends)", out, stderr, want)
	}
	var list gen.FriendList
	if err := json.Unmarshal([]byte(e.ok("friends", "--format", "json")), &list); err != nil {
		t.Fatal(err)
	}
	if list.Size != len(ref.Items) || len(list.Items) != len(ref.Items) {
		t.Errorf("friends --format json: %+v", list)
	}
	e.loggedIn("basic_read")
	e.fails(exitAPI, "UP refused access (403 Forbidden)", "friends")
}

func TestGet(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	for _, path := range []string{"/users/@me/goals", "users/@me/goals", e.s.URL + "/users/@me/goals"} {
		raw := e.rawGet("/users/@me/goals")
		// Indented as every --format json is; --raw prints UP's bytes.
		if got, want := e.ok("get", path), indented(t, raw); got != want {
			t.Errorf("get %s = %q, want UP's answer indented %q", path, got, want)
		}
		if got := e.ok("get", path, "--raw"); got != string(raw) {
			t.Errorf("get --raw %s = %q, want UP's answer %q", path, got, raw)
		}
	}
	var whoami, user bytes.Buffer
	whoami.WriteString(e.ok("whoami", "--format", "json"))
	user.WriteString(e.ok("get", "/users/@me"))
	if lines(whoami.String())[1] != `  "user": {` || lines(user.String())[1] != `  "data": {` {
		t.Errorf("get and --format json indent differently:\n%s\n%s", whoami.String(), user.String())
	}
	// A query, and a links.next path, which names the API root already.
	var page struct {
		Data struct {
			Items []json.RawMessage `json:"items"`
			Links struct{ Next string }
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(e.ok("get", "/users/@me/workouts?limit=2")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Data.Items) != 2 || !strings.HasPrefix(page.Data.Links.Next, "/nudge/api/v.1.1/users/") {
		t.Fatalf("get with limit=2: %d items, next %q", len(page.Data.Items), page.Data.Links.Next)
	}
	next := e.ok("get", page.Data.Links.Next)
	if want := indented(t, e.rawGet(strings.TrimPrefix(page.Data.Links.Next, "/nudge/api/v.1.1"))); next != want {
		t.Errorf("get NEXT = %q, want %q", next, want)
	}
}

// indented is a JSON answer as writeJSON would print it.
func indented(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
		t.Fatal(err)
	}
	return b.String() + "\n"
}

func TestGetErrors(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	stdout, stderr, code := e.run("get", "/workouts/nope")
	if code != exitAPI || stdout != "" {
		t.Errorf("get of a missing workout: exit %d, stdout %q", code, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"NOT_FOUND"`) || lines[1] != "up: GET /workouts/nope: 404 Not Found" {
		t.Errorf("stderr should hold the body, then one line: %q", stderr)
	}
	e.s.ResetRequests()
	e.fails(exitUsage, "get: refusing to send the token to https://elsewhere.example/users/@me", "get", "https://elsewhere.example/users/@me?access_token=x")
	e.fails(exitUsage, "refusing to send the token", "get", "//elsewhere.example/users/@me")
	for _, escape := range []string{
		"/nudge/api/v.1.1/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token", "/%2E%2E/%2e%2e/%2e%2e/auth/oauth2/token",
		"/users/../../../../auth/oauth2/token", "/users/..;x/..;x/..;x/auth", "/users%2f..%2f..%2fauth", `/users\..\..\auth`,
		e.s.URL + "/%2e%2e/%2e%2e/%2e%2e/auth/oauth2/token",
	} {
		e.fails(exitUsage, "refusing to send the token", "get", escape)
	}
	if n := len(e.s.Requests()); n != 0 {
		t.Errorf("%d requests reached UP for refused URLs", n)
	}
	e.fails(exitUsage, "get: name a path", "get")
	e.s.RevokeAll()
	e.fails(exitLogin, msgSessionEnded, "get", "/users/@me")
}

// TestUsualMistakes checks the one-line errors and exit statuses of the
// mistakes people make most.
func TestUsualMistakes(t *testing.T) {
	t.Run("no token", func(t *testing.T) {
		e := newEnv(t)
		for _, args := range [][]string{{"whoami"}, {"friends"}, {"list", "moves"}, {"get", "/users/@me"}, {"export", t.TempDir()}} {
			e.fails(exitLogin, "up: not logged in: run 'up login'", args...)
		}
	})
	t.Run("session ended", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.s.RevokeAll()
		e.fails(exitLogin, "up: your UP session has ended: run 'up login' again", "whoami")
		e.fails(exitLogin, "your UP session has ended", "list", "workouts")
	})
	t.Run("expired token refreshes", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.s.ExpireAccessTokens()
		e.ok("whoami")
		if n := e.s.TokenRequests()["refresh_token"]; n != 1 {
			t.Errorf("%d refreshes, want 1", n)
		}
		e.ok("whoami") // the refreshed token was saved
		if n := e.s.TokenRequests()["refresh_token"]; n != 1 {
			t.Errorf("%d refreshes after a second call, want still 1", n)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.s.ExpireAccessTokens()
		e.vars["UP_CLIENT_SECRET"] = "wrong-secret"
		stderr := e.fails(exitAPI, "UP refused the application's credentials (invalid_client): check UP_CLIENT_ID and UP_CLIENT_SECRET", "whoami")
		if strings.Contains(stderr, "wrong-secret") {
			t.Error("the error shows the secret")
		}
	})
	t.Run("missing credentials", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.vars["UP_CLIENT_SECRET"] = ""
		e.fails(exitUsage, "missing client secret: set UP_CLIENT_SECRET", "whoami")
		e.vars["UP_CLIENT_ID"] = ""
		e.fails(exitUsage, "missing client ID and secret", "login")
		// A command that reads can also use a token as it is.
		for _, args := range [][]string{{"whoami"}, {"list", "moves"}, {"export", t.TempDir()}} {
			e.fails(exitUsage, "missing client ID and secret: set UP_CLIENT_ID and UP_CLIENT_SECRET (or pass --client-id and --client-secret) and run 'up login', or set UP_ACCESS_TOKEN to an access token to use as it is (upmock prints one)", args...)
		}
		if _, stderr, _ := e.run("login"); strings.Contains(stderr, "UP_ACCESS_TOKEN") {
			t.Errorf("login, which ignores UP_ACCESS_TOKEN, offers it: %s", stderr)
		}
	})
	t.Run("UP's own servers", func(t *testing.T) {
		// Without the URL settings, the commands go to jawbone.com, which
		// no longer answers: the message says what to set instead.
		e := newEnv(t)
		e.loggedIn()
		for _, k := range []string{"UP_BASE_URL", "UP_AUTH_URL", "UP_TOKEN_URL"} {
			delete(e.vars, k)
		}
		a, stdout, stderr := e.app()
		a.httpClient = &http.Client{Transport: noSuchHost{}}
		if code := a.run(t.Context(), []string{"whoami"}); code != exitAPI {
			t.Errorf("exit %d, want %d", code, exitAPI)
		}
		if stdout.String() != "" {
			t.Errorf("stdout %q", stdout)
		}
		checkOneLine(t, stderr.String(), "lookup jawbone.com: no such host; Jawbone has shut UP down, so its own servers no longer answer: "+
			"set UP_BASE_URL, UP_AUTH_URL and UP_TOKEN_URL to a server that speaks the UP API, such as the fake one 'go run ./cmd/upmock' serves")
		if !strings.HasPrefix(stderr.String(), `up: cannot reach UP: Get "https://jawbone.com/nudge/api/v.1.1/users/@me": `) {
			t.Errorf("stderr %q", stderr)
		}
		// Another server that cannot be reached gets no such advice.
		e.s.Inject(uptest.Fault{Kind: uptest.FaultDropConnection})
		e.vars["UP_BASE_URL"] = e.s.URL
		if stderr := e.fails(exitAPI, "cannot reach UP", "whoami"); strings.Contains(stderr, "Jawbone") {
			t.Errorf("the advice for jawbone.com given for %s: %s", e.s.URL, stderr)
		}
	})
	t.Run("insecure base URL", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.vars["UP_BASE_URL"] = "http://api.example.com/nudge/api/v.1.1"
		e.fails(exitUsage, "refusing to send credentials over plain http to api.example.com", "whoami")
		e.vars["UP_BASE_URL"] = "ftp://api.example.com/"
		e.fails(exitUsage, "is not an absolute http(s) URL", "whoami")
	})
	t.Run("server down", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.s.Inject(uptest.Fault{Kind: uptest.FaultDropConnection})
		e.fails(exitAPI, "cannot reach UP", "whoami")
	})
	t.Run("server error", func(t *testing.T) {
		e := newEnv(t)
		e.loggedIn()
		e.s.Inject(uptest.Fault{Kind: uptest.FaultStatus, Status: http.StatusInternalServerError})
		e.fails(exitAPI, "UP API error: GET", "whoami")
	})
}
