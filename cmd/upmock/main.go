// Command upmock serves a fake Jawbone UP API (package up/uptest) on a
// local address, for testing apps that talk to UP. It prints the
// application credentials, the endpoints, and for each fake user the login
// email and a token with every scope (in a file when there are many), then
// serves until interrupted. Its authorization endpoint shows a login page,
// as UP's did, where a person signs in as one of the users and allows or
// denies the app; -login-page=false consents at once instead, for scripts.
//
// Usage:
//
//	upmock [flags]
//
// Run upmock -help for the flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/upapi/up-go/up/uptest"
)

func main() {
	os.Exit(serve())
}

// serve runs upmock until a signal and returns its exit status.
func serve() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		_, _ = fmt.Fprintln(os.Stderr, "upmock:", err)
		return 1
	}
	return 0
}

// faultFlags collects repeated -fault flags.
type faultFlags []uptest.Fault

func (f *faultFlags) String() string {
	parts := make([]string, len(*f))
	for i, x := range *f {
		parts[i] = x.String()
	}
	return strings.Join(parts, "; ")
}

func (f *faultFlags) Set(v string) error {
	x, err := uptest.ParseFault(v)
	if err != nil {
		return err
	}
	*f = append(*f, x)
	return nil
}

// stringsFlag collects a repeated string flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ", ") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

const usageText = `upmock serves a fake Jawbone UP API v1.1 for testing apps that use UP.

It speaks the API under /nudge/api/v.1.1 and Jawbone's OAuth 2.0 under
/auth/oauth2/auth and /auth/oauth2/token, as api/up.yaml describes them, for
-users users (one by default), each with a deterministic history of their
own. Every request and answer is checked against the spec: a request that
breaks it gets 400 with the reason.

The authorization endpoint shows a login page like UP's: the app's name, the
scopes it asks for, a sign-in form and Allow and Deny buttons. User n signs
in as user<n>@example.com with the password up-password. Scripts that follow
the login redirect without a person use -login-page=false: every request is
then granted at once, as user 1 (or refused, with -deny).

On start it prints the client ID and secret, the URLs, the secret_hash that
webhook notifications carry, and each user's email and an access token with
every scope (with more than 10 users, the users go to a JSON file, -users-file
or a temporary one removed on exit), with a curl command to try and the
environment that points the up command at it (UP_BASE_URL and UP_ACCESS_TOKEN
are enough). It stops on Ctrl-C (SIGINT) or SIGTERM, after the requests in
progress.

Usage:

  upmock [flags]

Flags:
`

const faultHelp = `
A fault (-fault, repeatable) is comma-separated key=value pairs:

  kind         status, latency, truncated-body, malformed-json,
               drop-connection, html-error or unauthorized; without a kind,
               a fault with a status is a status fault and one with only a
               latency a latency fault
  method       the HTTP method to match (any by default)
  path         the path after /nudge/api/v.1.1 to match, e.g. /users/@me/moves;
               a trailing * matches a prefix; a path starting with /auth, such
               as /auth/oauth2/token, names the token endpoint, which no other
               pattern reaches
  status       the status of status and html-error faults
  retry-after  a Retry-After to send, e.g. 1s
  latency      the delay of a latency fault, e.g. 500ms
  count        how many matching requests it applies to (0: every one)
  probability  the chance it applies to a matching request (seeded)

Examples:

  upmock -fault path=/users/@me/workouts,status=503,count=2,retry-after=1s
  upmock -fault kind=latency,latency=2s,probability=0.3 -fault path=/auth/oauth2/token,kind=drop
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(*uptest.Server)) error {
	fs := flag.NewFlagSet("upmock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on (host:port; port 0 picks a free one)")
	seed := fs.Int64("seed", 1, "seed of the generated user, data, client credentials and fault probabilities")
	days := fs.Int("days", 30, "days of history before today")
	lifetime := fs.Duration("token-lifetime", 365*24*time.Hour, "lifetime of access tokens (expires_in)")
	clientID := fs.String("client-id", "", "the application's client ID (default: derived from -seed)")
	clientSecret := fs.String("client-secret", "", "the application's client secret (default: derived from -seed)")
	deny := fs.Bool("deny", false, "refuse every authorization request, redirecting with error=access_denied (no login page)")
	loginPage := fs.Bool("login-page", true, "show a login page at the authorization endpoint; false grants every request at once, as user 1")
	appName := fs.String("app-name", "uptest app", "the application's `name`, as the login page shows it")
	users := fs.Int("users", 1, "how many users the server has")
	usersFile := fs.String("users-file", "", "write the users, with their emails, passwords and tokens, to this JSON `file` (mode 0600)")
	var prefixes stringsFlag
	fs.Var(&prefixes, "redirect-prefix", "a registered redirect URI `prefix` (repeatable; default: accept any redirect_uri)")
	var faults faultFlags
	fs.Var(&faults, "fault", "make the server misbehave: a fault `spec` as below (repeatable)")
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
		_, _ = fmt.Fprint(fs.Output(), faultHelp)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if (*clientID == "") != (*clientSecret == "") {
		return errors.New("set both -client-id and -client-secret, or neither")
	}
	if *users < 1 {
		return fmt.Errorf("-users %d: the server needs at least one user", *users)
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *deny {
		if explicit["login-page"] && *loginPage {
			return errors.New("-deny refuses every request without a login page: drop -login-page")
		}
		*loginPage = false
	}

	opts := []uptest.Option{uptest.WithSeed(*seed), uptest.WithDays(*days), uptest.WithAccessTokenLifetime(*lifetime),
		uptest.WithUsers(*users), uptest.WithAppName(*appName)}
	if *loginPage {
		opts = append(opts, uptest.WithLoginPage())
	}
	if *clientID != "" {
		opts = append(opts, uptest.WithClient(*clientID, *clientSecret))
	}
	if len(prefixes) > 0 {
		opts = append(opts, uptest.WithRedirectPrefixes(prefixes...))
	}
	if *deny {
		opts = append(opts, uptest.WithConsent(func([]string) bool { return false }))
	}
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	s := uptest.NewUnstarted(opts...)
	s.Start(l)
	defer s.Close()
	for _, f := range faults {
		s.Inject(f)
	}

	tok := s.MintToken()
	list := s.Users()
	accounts := make([]account, len(list))
	for i, u := range list {
		t := tok
		if i > 0 {
			t = u.MintToken()
		}
		accounts[i] = account{Email: u.Email(), Password: u.Password(), XID: u.XID(), Name: u.Name(),
			AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry}
	}
	path := *usersFile
	if path == "" && len(list) > maxListedUsers {
		f, err := os.CreateTemp("", "upmock-users-*.json")
		if err != nil {
			return err
		}
		path = f.Name()
		_ = f.Close()
		defer func() { _ = os.Remove(path) }()
	}
	if path != "" {
		if err := writeAccounts(path, accounts); err != nil {
			return err
		}
	}

	w := &errWriter{w: stdout}
	count := fmt.Sprintf("%d users", len(list))
	if len(list) == 1 {
		count = "1 user"
	}
	w.printf("upmock: a fake Jawbone UP API (seed %d, %d days of history, %s)\n\n", *seed, *days, count)
	w.printf("client_id       %s\n", s.ClientID)
	w.printf("client_secret   %s\n", s.ClientSecret)
	w.printf("api base URL    %s\n", s.URL)
	w.printf("auth URL        %s\n", s.AuthURL)
	w.printf("token URL       %s\n", s.TokenURL)
	w.printf("secret_hash     %s\n", s.SecretHash())
	w.printf("user_xid        %s\n", s.UserXID())
	w.printf("access_token    %s\n", tok.AccessToken)
	w.printf("refresh_token   %s\n", tok.RefreshToken)
	w.printf("token expires   %s (every scope)\n", tok.Expiry.Format(time.RFC3339))
	switch {
	case *deny:
		w.printf("login           refused at once (-deny)\n")
	case *loginPage:
		w.printf("login page      sign in as %s, password %s\n", list[0].Email(), list[0].Password())
	default:
		w.printf("login           granted at once, as %s (-login-page=false)\n", list[0].Email())
	}
	for _, f := range faults {
		w.printf("fault           %s\n", f)
	}
	if len(list) > 1 {
		if path != "" {
			w.printf("\n%d users, with emails, passwords and tokens, in %s\n", len(list), path)
		}
		if len(list) <= maxListedUsers {
			w.printf("\nUsers (password %s):\n", uptest.DefaultPassword)
			for _, a := range accounts {
				w.printf("  %-24s %s  %s\n", a.Email, a.XID, a.AccessToken)
			}
		}
	}
	w.printf("\nTry:\n  curl -H 'Authorization: Bearer %s' %s/users/@me\n", tok.AccessToken, s.URL)
	w.printf("\nOr with up (go install ./cmd/up in a clone of up-go), which needs nothing else to use this token:\n")
	w.printf("  export UP_BASE_URL=%s UP_ACCESS_TOKEN=%s\n  up whoami\n", s.URL, tok.AccessToken)
	w.printf("and to log in with the browser instead (an app of your own needs these variables too):\n")
	w.printf("  export UP_CLIENT_ID=%s UP_CLIENT_SECRET=%s UP_BASE_URL=%s UP_AUTH_URL=%s UP_TOKEN_URL=%s\n  unset UP_ACCESS_TOKEN; up login\n",
		s.ClientID, s.ClientSecret, s.URL, s.AuthURL, s.TokenURL)
	if *loginPage {
		w.printf("Without a browser, run upmock -login-page=false and GET the login URL with curl -L: it signs in as %s.\n",
			list[0].Email())
	}
	w.printf("\nStop with Ctrl-C.\n")
	if w.err != nil {
		return w.err
	}
	if ready != nil {
		ready(s)
	}
	<-ctx.Done()
	s.Close()
	_, _ = fmt.Fprintln(stderr, "upmock: stopped")
	return nil
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// maxListedUsers is how many users upmock prints; more go to a file.
const maxListedUsers = 10

// account is a user as upmock's users file lists them.
type account struct {
	Email        string    `json:"email"`
	Password     string    `json:"password"`
	XID          string    `json:"xid"`
	Name         string    `json:"name"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

// writeAccounts writes the users to path as a JSON array, readable by the
// owner only (it holds tokens), replacing the file at once.
func writeAccounts(path string, accounts []account) error {
	b, err := json.MarshalIndent(accounts, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upmock-users-*")
	if err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("users file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}
