package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/upapi/up-go/up/uptest"
)

// TestStreams holds every command to one rule: data on stdout, commentary
// (counts, notes, confirmations, progress, errors) on stderr, so that
// 'up COMMAND > file' holds only data.
func TestStreams(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	isJSON := func(s string) bool { return json.Valid([]byte(s)) }
	dir := filepath.Join(t.TempDir(), "export")
	for _, tc := range []struct {
		args   []string
		stdout func(string) bool // nil: empty
		stderr *regexp.Regexp    // nil: empty
	}{
		{args: []string{"version"}, stdout: func(s string) bool { return strings.HasPrefix(s, "up ") }},
		{args: []string{"help"}, stdout: func(s string) bool { return strings.HasPrefix(s, "up is a command line") }},
		{args: []string{"whoami"}, stdout: func(s string) bool { return strings.HasPrefix(s, "xid ") }},
		{args: []string{"whoami", "--format", "json"}, stdout: isJSON},
		{args: []string{"friends"}, stdout: func(s string) bool { return strings.HasPrefix(s, "xid\n") && strings.Count(s, "\n") == 4 },
			stderr: regexp.MustCompile(`^\(3 friends\)\n$`)},
		{args: []string{"friends", "--format", "json"}, stdout: isJSON},
		{args: []string{"list", "workouts", "--date", "2015-06-10"}, stdout: func(s string) bool { return strings.HasPrefix(s, "xid ") }},
		{args: []string{"list", "workouts", "--date", "2015-06-14", "--format", "csv"}, stdout: func(s string) bool { return strings.HasPrefix(s, "xid,date,") && strings.Count(s, "\n") == 1 },
			stderr: regexp.MustCompile(`^\(no workouts\)\n$`)},
		{args: []string{"list", "workouts", "--date", "2015-06-14", "--format", "json"}, stdout: func(s string) bool { return s == "[]\n" },
			stderr: regexp.MustCompile(`^\(no workouts\)\n$`)},
		{args: []string{"list", "cardiac_events", "--format", "jsonl", "--max", "1"}, stdout: isJSON,
			stderr: regexp.MustCompile(`^up: note: cardiac_events are deprecated`)},
		{args: []string{"get", "/users/@me/goals"}, stdout: isJSON},
		{args: []string{"export", dir, "--since", "3d"},
			stderr: regexp.MustCompile(`(?s)export: moves: 2 items in 1 page\n.*Exported 9 resources \(17 items\), 3 tick series \(216 ticks\) and 4 objects into `)},
		{args: []string{"logout"}, stderr: regexp.MustCompile(`^Logged out: UP revoked the app's access, and the token in .* is deleted\.\n$`)},
		{args: []string{"logout"}, stderr: regexp.MustCompile(`^Not logged in \(no token in .*\); nothing to do\.\n$`)},
		{args: []string{"whoami"}, stderr: regexp.MustCompile(`^up: not logged in: run 'up login'\n$`)},
	} {
		stdout, stderr, _ := e.run(tc.args...)
		name := "up " + strings.Join(tc.args, " ")
		if tc.stdout == nil && stdout != "" || tc.stdout != nil && !tc.stdout(stdout) {
			t.Errorf("%s: stdout %q", name, stdout)
		}
		if tc.stderr == nil && stderr != "" || tc.stderr != nil && !tc.stderr.MatchString(stderr) {
			t.Errorf("%s: stderr %q", name, stderr)
		}
	}
	// login's URL and confirmation are commentary too (TestLogin), and
	// demo's walk is what it prints (TestDemo).
}

// TestListPrintsNothingBeforeUPAnswers checks that a list that fails
// before its first page leaves stdout empty: no table header, no bracket.
func TestListPrintsNothingBeforeUPAnswers(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	remove := e.s.Inject(uptest.Fault{Kind: uptest.FaultDropConnection})
	for _, format := range formats {
		e.fails(exitAPI, "cannot reach UP", "list", "workouts", "--format", format)
	}
	remove()
	// A failure on a later page ends the output it began: the JSON array
	// is closed, so what came is still readable.
	a, stdout, stderr := e.app()
	a.httpClient = &http.Client{Transport: &failAfter{n: 1}}
	if code := a.run(t.Context(), []string{"list", "workouts", "--limit", "2", "--format", "json"}); code != exitAPI {
		t.Errorf("exit %d: %s", code, stderr)
	}
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(stdout.String()), &items); err != nil || len(items) != 2 {
		t.Errorf("the first page of a list that failed on its second: %v %q", err, stdout)
	}
}

// failAfter is a transport that answers n requests, then fails.
type failAfter struct {
	mu sync.Mutex
	n  int
}

func (f *failAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	left := f.n
	f.n--
	f.mu.Unlock()
	if left <= 0 {
		return nil, errors.New("connection refused")
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestAccessTokenFromTheEnvironment runs a session against the fake with
// nothing but UP_ACCESS_TOKEN and the URLs: no client credentials, no
// token file.
func TestAccessTokenFromTheEnvironment(t *testing.T) {
	e := newEnv(t)
	tok := e.s.MintToken()
	e.vars = map[string]string{
		"UP_ACCESS_TOKEN": tok.AccessToken,
		"UP_BASE_URL":     e.s.URL,
		"UP_AUTH_URL":     e.s.AuthURL,
		"UP_TOKEN_URL":    e.s.TokenURL,
		"UP_TOKEN_FILE":   e.tokenFile,
	}
	if out := e.ok("whoami"); !strings.Contains(out, e.s.UserXID()) {
		t.Errorf("whoami: %s", out)
	}
	if out := e.ok("list", "sleeps", "--since", "3d", "--format", "jsonl"); len(lines(out)) != 2 {
		t.Errorf("list: %q", out)
	}
	if out := e.ok("get", "/users/@me/friends"); !strings.Contains(out, `"items"`) {
		t.Errorf("get: %s", out)
	}
	dir := filepath.Join(t.TempDir(), "export")
	e.quiet("export", dir, "--since", "2d")
	if m := readManifest(t, dir); m.UserXID != e.s.UserXID() || len(m.Resources) != 12 {
		t.Errorf("export: %+v", m)
	}
	if _, err := os.Stat(filepath.Dir(e.tokenFile)); !os.IsNotExist(err) {
		t.Errorf("a session with UP_ACCESS_TOKEN touched the token file's directory: %v", err)
	}
	e.fails(exitUsage, "logout: UP_ACCESS_TOKEN is set, and the other commands use it rather than the token file: unset it to log out", "logout")

	// It wins over a token file, even one of another user's.
	e.vars["UP_CLIENT_ID"], e.vars["UP_CLIENT_SECRET"] = e.s.ClientID, e.s.ClientSecret
	if err := os.MkdirAll(filepath.Dir(e.tokenFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.tokenFile, []byte(`{"access_token": "not-this-one"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := e.ok("whoami"); !strings.Contains(out, e.s.UserXID()) {
		t.Errorf("whoami with a token file too: %s", out)
	}

	// A token UP refuses cannot be refreshed: the message says which token.
	e.s.ExpireAccessTokens()
	e.fails(exitLogin, "UP refused the access token in UP_ACCESS_TOKEN (401 Unauthorized): it has expired or was revoked; set a new one, or unset it to use the token file", "whoami")
	stderr := e.fails(exitLogin, "export stopped at ", "export", filepath.Join(t.TempDir(), "x"), "--since", "2d")
	if !strings.Contains(stderr, "UP refused the access token in UP_ACCESS_TOKEN") {
		t.Errorf("export with a refused token: %s", stderr)
	}
	if n := e.s.TokenRequests()["refresh_token"]; n != 0 {
		t.Errorf("%d refreshes of a token from the environment", n)
	}
}
