package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/cmd/internal/syncbuf"
	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// testNow is the fake's clock in tests, so that its data, and what the
// commands print, are the same on every run.
var testNow = time.Date(2015, time.June, 15, 19, 0, 0, 0, time.UTC)

// env is a fake UP server and the environment of the commands pointed at it.
type env struct {
	t    testing.TB
	s    *uptest.Server
	vars map[string]string
	// tokenFile is where the commands keep the token.
	tokenFile string
}

// newEnv starts a fake server with a fixed clock (and opts) and points the
// commands' environment at it; nobody is logged in yet.
func newEnv(t testing.TB, opts ...uptest.Option) *env {
	t.Helper()
	s := uptest.NewServer(t, append([]uptest.Option{uptest.WithClock(func() time.Time { return testNow })}, opts...)...)
	tokenFile := filepath.Join(t.TempDir(), "config", "token.json")
	return &env{t: t, s: s, tokenFile: tokenFile, vars: map[string]string{
		"UP_CLIENT_ID":     s.ClientID,
		"UP_CLIENT_SECRET": s.ClientSecret,
		"UP_BASE_URL":      s.URL,
		"UP_AUTH_URL":      s.AuthURL,
		"UP_TOKEN_URL":     s.TokenURL,
		"UP_TOKEN_FILE":    tokenFile,
	}}
}

// loggedIn saves a token for the fake's user with scopes (every scope when
// none) to the token file, as login would.
func (e *env) loggedIn(scopes ...string) {
	e.t.Helper()
	tok := e.s.MintToken(scopes...)
	// Saved as up login saves it: under the token file's lock.
	st := up.NewFileStorage(e.tokenFile)
	unlock, err := st.Lock(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = unlock() }()
	if err := st.Save(e.t.Context(), tok); err != nil {
		e.t.Fatal(err)
	}
}

// app returns an app whose output goes to the buffers it returns.
func (e *env) app() (*app, *syncbuf.Buffer, *syncbuf.Buffer) {
	var stdout, stderr syncbuf.Buffer
	a := newApp(strings.NewReader(""), &stdout, &stderr, func(k string) string { return e.vars[k] })
	a.now = func() time.Time { return testNow }
	a.loc = time.UTC
	a.openBrowser = func(context.Context, string) error { return nil }
	return a, &stdout, &stderr
}

// run runs the command line args and returns its output and exit status.
func (e *env) run(args ...string) (string, string, int) {
	e.t.Helper()
	return e.runCtx(e.t.Context(), args...)
}

func (e *env) runCtx(ctx context.Context, args ...string) (string, string, int) {
	e.t.Helper()
	a, stdout, stderr := e.app()
	code := a.run(ctx, args)
	return stdout.String(), stderr.String(), code
}

// ok runs args, fails the test unless they succeed, and returns stdout.
func (e *env) ok(args ...string) string {
	e.t.Helper()
	stdout, stderr, code := e.run(args...)
	if code != exitOK {
		e.t.Fatalf("up %s: exit %d\nstderr: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// quiet runs args, fails the test unless they succeed with nothing on
// stdout, and returns stderr: for commands that print only commentary.
func (e *env) quiet(args ...string) string {
	e.t.Helper()
	stdout, stderr, code := e.run(args...)
	if code != exitOK {
		e.t.Fatalf("up %s: exit %d\nstderr: %s", strings.Join(args, " "), code, stderr)
	}
	if stdout != "" {
		e.t.Errorf("up %s printed on stdout, where only data goes: %q", strings.Join(args, " "), stdout)
	}
	return stderr
}

// fails runs args and checks that they fail with code, nothing on stdout
// and a single line on stderr containing want, which holds no credential.
func (e *env) fails(code int, want string, args ...string) string {
	e.t.Helper()
	stdout, stderr, got := e.run(args...)
	if got != code {
		e.t.Errorf("up %s: exit %d, want %d\nstderr: %s", strings.Join(args, " "), got, code, stderr)
	}
	if stdout != "" {
		e.t.Errorf("up %s failed after printing on stdout: %q", strings.Join(args, " "), stdout)
	}
	checkOneLine(e.t, stderr, want)
	e.noSecrets(stdout + stderr)
	return stderr
}

// checkOneLine checks that stderr is one line, starting "up: ", containing want.
func checkOneLine(t testing.TB, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "up: ") || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line starting with \"up: \": %q", stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr, want)
	}
}

// noSecrets checks that out shows neither the client secret nor any token
// kept in the token file.
func (e *env) noSecrets(out string) {
	e.t.Helper()
	secrets := []string{e.s.ClientSecret, e.vars["UP_ACCESS_TOKEN"]}
	if b, err := os.ReadFile(e.tokenFile); err == nil {
		var tok struct{ AccessToken, RefreshToken string }
		_ = json.Unmarshal(b, &tok)
		secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			e.t.Errorf("output shows a secret: %q", out)
		}
	}
}

// client returns an SDK client with the token in the token file, for
// reference reads.
func (e *env) client() *up.Client {
	e.t.Helper()
	cfg := up.ConfigFor(e.s)
	cfg.Storage = up.NewFileStorage(e.tokenFile)
	c, err := cfg.ClientFromStorage(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// rawGet GETs the API path with the saved token and returns the body.
func (e *env) rawGet(path string) []byte {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodGet, e.s.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.client().Token()
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d %v: %s", path, resp.StatusCode, err, body)
	}
	return body
}

func TestHelp(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		out := e.ok(args...)
		for _, want := range []string{"login", "logout", "whoami", "friends", "list", "get", "export", "demo",
			"UP_CLIENT_ID", "UP_CLIENT_SECRET", "UP_REDIRECT_URL", "UP_BASE_URL", "UP_AUTH_URL", "UP_TOKEN_URL", "UP_TOKEN_FILE",
			"Exit codes", "3  not logged in", "5  interrupted", "Jawbone has shut UP down, so the default\nURLs no longer answer"} {
			if !strings.Contains(out, want) {
				t.Errorf("up %s: help lacks %q", args[0], want)
			}
		}
	}
	for _, c := range commands() {
		for _, args := range [][]string{{c.name, "--help"}, {"help", c.name}} {
			out := e.ok(args...)
			if !strings.HasPrefix(out, "Usage: up "+c.name) {
				t.Errorf("up %s: help starts %q", strings.Join(args, " "), firstLine(out))
			}
		}
	}
	if out := e.ok("list", "--help"); !strings.Contains(out, "--format") || !strings.Contains(out, "UP_TOKEN_FILE") {
		t.Errorf("list help lacks its flags: %s", out)
	}
	if _, stderr, code := e.run(); code != exitUsage || !strings.Contains(stderr, "Usage:") {
		t.Errorf("up without a command: exit %d, stderr %q", code, stderr)
	}
	e.fails(exitUsage, `unknown command "frobnicate"`, "frobnicate")
	e.fails(exitUsage, "whoami: unknown flag --bogus (see 'up whoami --help')", "whoami", "--bogus")
	e.fails(exitUsage, `unexpected argument "extra"`, "whoami", "extra")
	if out := e.ok("version"); !strings.Contains(out, up.Version) {
		t.Errorf("version: %q", out)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestParseFlagsAnywhere(t *testing.T) {
	a, _, _ := newEnv(t).app()
	fs := a.flags("x", "", "")
	n := fs.Int("n", 0, "")
	pos, err := a.parse(fs, []string{"one", "-n", "3", "two", "--", "-n"}, -1)
	if err != nil || *n != 3 || strings.Join(pos, " ") != "one two -n" {
		t.Errorf("parse: %v, n=%d, args %q", err, *n, pos)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	e := newEnv(t)
	e.loggedIn()
	other := filepath.Join(t.TempDir(), "other.json")
	// The flag names a token file that holds nothing: not logged in.
	e.fails(exitLogin, msgNotLoggedIn, "whoami", "--token-file", other)
	e.vars["UP_CLIENT_ID"] = ""
	e.fails(exitUsage, "missing client ID: set UP_CLIENT_ID", "whoami")
	if out := e.ok("whoami", "--client-id", e.s.ClientID); !strings.Contains(out, e.s.UserXID()) {
		t.Errorf("whoami with --client-id: %s", out)
	}
}
