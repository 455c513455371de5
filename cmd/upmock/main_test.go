package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/cmd/internal/syncbuf"
	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// start runs upmock with args until the test ends and returns its output.
func start(t *testing.T, args ...string) (*uptest.Server, *syncbuf.Buffer, *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncbuf.Buffer
	ready := make(chan *uptest.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &stdout, &stderr, func(s *uptest.Server) { ready <- s })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("upmock did not stop")
		}
	})
	select {
	case s := <-ready:
		return s, &stdout, &stderr
	case err := <-done:
		t.Fatalf("upmock ended: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("upmock did not start")
	}
	return nil, nil, nil
}

var curlLine = regexp.MustCompile(`curl -H 'Authorization: Bearer ([^']+)' (\S+)`)

func TestServesAndPrintsCredentials(t *testing.T) {
	t.Parallel()
	s, stdout, _ := start(t, "-seed", "5", "-days", "3", "-client-id", "my-app", "-client-secret", "my-secret",
		"-fault", "path=/users/@me/moves,status=503,count=1")
	out := stdout.String()
	for _, want := range []string{"client_id       my-app", "client_secret   my-secret", "api base URL    " + s.URL,
		"auth URL        " + s.AuthURL, "token URL       " + s.TokenURL, "secret_hash     " + s.SecretHash(),
		"user_xid        " + s.UserXID(), "fault           kind=status,path=/users/@me/moves,status=503,count=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := curlLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl line in:\n%s", out)
	}
	token, target := m[1], m[2]
	// The environment for the up command, with the same token.
	for _, want := range []string{
		"  export UP_BASE_URL=" + s.URL + " UP_ACCESS_TOKEN=" + token + "\n  up whoami\n",
		// Both lines set everything up needs: either works on its own.
		"  export UP_CLIENT_ID=my-app UP_CLIENT_SECRET=my-secret UP_BASE_URL=" + s.URL + " UP_AUTH_URL=" + s.AuthURL +
			" UP_TOKEN_URL=" + s.TokenURL + "\n  unset UP_ACCESS_TOKEN; up login\n",
		"Or with up (go install ./cmd/up in a clone of up-go)",
		"(seed 5, 3 days of history, 1 user)\n",
		"Without a browser, run upmock -login-page=false and GET the login URL with curl -L: it signs in as user1@example.com.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(target, "http://127.0.0.1:") || !strings.HasSuffix(target, "/nudge/api/v.1.1/users/@me") {
		t.Errorf("curl target %q", target)
	}

	get := func(u string) (int, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	code, body := get(target)
	var env gen.UserEnvelope
	if err := json.Unmarshal(body, &env); err != nil || code != 200 || env.Meta.Message != "OK" || env.Data.XID != s.UserXID() {
		t.Errorf("the printed curl request: %d %s", code, body)
	}
	// The printed token holds every scope, and the fault flag took effect.
	if code, body := get(s.URL + "/users/@me/moves"); code != http.StatusServiceUnavailable {
		t.Errorf("first moves call under the fault: %d %s", code, body)
	}
	if code, body := get(s.URL + "/users/@me/moves"); code != http.StatusOK || !strings.Contains(string(body), `"size":3`) {
		t.Errorf("moves: %d %s", code, body)
	}
}

func TestStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncbuf.Buffer
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, &stdout, &stderr, func(s *uptest.Server) { ready <- s.URL })
	}()
	url := <-ready
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr %q", stderr.String())
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/users/@me", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_ = resp.Body.Close()
		t.Error("still serving after the context ended")
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"-help"}, &out, &out, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help: %v", err)
	}
	for _, want := range []string{"-addr", "-seed", "-days", "-token-lifetime", "-client-id", "-client-secret", "-redirect-prefix", "-deny", "-fault", "retry-after", "probability",
		"-users", "-users-file", "-login-page", "-app-name", "up-password"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, args := range [][]string{
		{"-fault", "kind=explode"},
		{"-client-id", "only-the-id"},
		{"-users", "0"},
		{"-deny", "-login-page"},
		{"-addr", "127.0.0.1:99999"},
		{"stray"},
	} {
		if err := run(t.Context(), args, io.Discard, io.Discard, nil); err == nil {
			t.Errorf("run %q: no error", args)
		}
	}
}

// userAt returns the user_xid of GET /users/@me with token.
func userAt(t *testing.T, s *uptest.Server, token string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/users/@me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var env gen.UserEnvelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/users/@me: %d %v", resp.StatusCode, err)
	}
	return env.Meta.UserXID
}

var userLine = regexp.MustCompile(`(?m)^  (user\d+@example\.com) +(\S+)  (\S+)$`)

func TestUsersAreListed(t *testing.T) {
	t.Parallel()
	s, stdout, _ := start(t, "-users", "3", "-days", "2")
	lines := userLine.FindAllStringSubmatch(stdout.String(), -1)
	if len(lines) != 3 {
		t.Fatalf("%d user lines in:\n%s", len(lines), stdout)
	}
	for i, m := range lines {
		u := s.Users()[i]
		if m[1] != u.Email() || m[2] != u.XID() {
			t.Errorf("line %d: %q, want %s %s", i, m[0], u.Email(), u.XID())
		}
		if got := userAt(t, s, m[3]); got != u.XID() {
			t.Errorf("%s's printed token is %s's", u.Email(), got)
		}
	}
	if !strings.Contains(stdout.String(), "login page      sign in as user1@example.com, password up-password") ||
		!strings.Contains(stdout.String(), " days of history, 3 users)\n") {
		t.Errorf("no login line in:\n%s", stdout)
	}
}

var fileLine = regexp.MustCompile(`(?m)^(\d+) users, with emails, passwords and tokens, in (\S+)$`)

func TestManyUsersGoToAFile(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout syncbuf.Buffer
	ready := make(chan *uptest.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-users", "25", "-days", "1"}, &stdout, io.Discard, func(s *uptest.Server) { ready <- s })
	}()
	s := <-ready
	m := fileLine.FindStringSubmatch(stdout.String())
	if m == nil || m[1] != "25" || userLine.MatchString(stdout.String()) {
		t.Fatalf("want the users in a file, not listed:\n%s", stdout.String())
	}
	accounts := readAccounts(t, m[2])
	if len(accounts) != 25 {
		t.Fatalf("%d users in the file", len(accounts))
	}
	for _, i := range []int{0, 24} {
		a := accounts[i]
		if a.Email != fmt.Sprintf("user%d@example.com", i+1) || a.Password != uptest.DefaultPassword || userAt(t, s, a.AccessToken) != a.XID {
			t.Errorf("user %d: %+v", i+1, a)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m[2]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary users file outlived upmock: %v", err)
	}

	// A file named by -users-file stays.
	path := filepath.Join(t.TempDir(), "users.json")
	start(t, "-users", "2", "-users-file", path)
	if got := readAccounts(t, path); len(got) != 2 || got[1].Email != "user2@example.com" {
		t.Errorf("-users-file holds %+v", got)
	}
}

func readAccounts(t *testing.T, path string) []account {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %o, want 600", info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []account
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoginModes(t *testing.T) {
	t.Parallel()
	// authorize returns the status and headers of the login URL's answer.
	authorize := func(s *uptest.Server) struct {
		StatusCode int
		Header     http.Header
	} {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {s.ClientID}, "redirect_uri": {"http://127.0.0.1:1/cb"}, "state": {"x"}}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.AuthURL+"?"+q.Encode(), nil)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return struct {
			StatusCode int
			Header     http.Header
		}{resp.StatusCode, resp.Header}
	}
	s, _, _ := start(t)
	if resp := authorize(s); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("by default: %d %q, want the login page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s, stdout, _ := start(t, "-login-page=false")
	if resp := authorize(s); resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "code=") {
		t.Errorf("-login-page=false: %d %q, want a redirect with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
	if !strings.Contains(stdout.String(), "granted at once, as user1@example.com") || strings.Contains(stdout.String(), "Without a browser") {
		t.Errorf("output:\n%s", stdout)
	}
	s, _, _ = start(t, "-deny")
	if resp := authorize(s); resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "error=access_denied") {
		t.Errorf("-deny: %d %q, want access_denied", resp.StatusCode, resp.Header.Get("Location"))
	}
}
