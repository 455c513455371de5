// Command webapp is a reference web app built on up-go: people sign in with
// their UP account, see the last 30 days of their steps and sleep as charts,
// today's goals and their recent workouts, and log a workout; UP's webhooks
// keep each dashboard fresh.
//
// It shows the whole job of a web service on UP done with the SDK: one
// up.Config for every user, each user's token in an SQL store (SQLite, or
// PostgreSQL for several instances) under the user's UP XID, a Client made
// per request that refreshes an expired token once however many requests
// meet it, a webhook receiver that verifies UP's notifications, a per-user
// cache that notifications invalidate resource by resource, a "connect
// again" page for a user whose access UP revoked, and disconnect.
//
// Run it against an embedded fake UP server with seeded users:
//
//	cd example/webapp && go run . -fake
//
// or against UP (or a server that speaks its API) with the application's
// credentials:
//
//	UP_CLIENT_ID=... UP_CLIENT_SECRET=... WEBAPP_SESSION_KEY=$(head -c 32 /dev/urandom | base64) \
//	  go run . -public-url https://dashboard.example -addr :8000
//
// Run webapp -help for every flag and the environment variables that set
// them.
//
// # The app's users
//
// The app has no accounts of its own: a person is who UP says they are.
// After the first sign-in, the app knows a user by their UP XID, the ID UP
// gives an account and never changes, so the same UP account is the same
// user on every sign-in, from any browser; it is the key of the user's token
// in the store and of their cached data, and the signed session cookie names
// it. The app never takes the XID from a request: only from UP's answer to
// /users/@me with the token the sign-in just obtained.
//
// # Sessions
//
// A session is a cookie the app signs with HMAC-SHA256 (WEBAPP_SESSION_KEY),
// HttpOnly and SameSite=Lax (and Secure over HTTPS). It holds the user's XID
// and first name, the OAuth state of a sign-in under way (checked, then
// forgotten, by the callback) and the CSRF token that every form sends back.
// It holds no UP token. Signing out deletes the user's stored token as well
// as the cookie, so a copied cookie leads nowhere; it signs the user out of
// every browser.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/postgres"
	"github.com/upapi/up-go/up/sqlstore/sqlite"
	"github.com/upapi/up-go/up/uptest"
)

func main() {
	os.Exit(serve())
}

// serve runs the app until SIGINT or SIGTERM and returns its exit status.
func serve() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil); err != nil && !errors.Is(err, flag.ErrHelp) {
		_, _ = fmt.Fprintln(os.Stderr, "webapp:", err)
		return 1
	}
	return 0
}

const usageText = `webapp serves a dashboard of steps, sleep and workouts for any number of UP
users: sign in with UP, charts of the last 30 days, today's goals, recent
workouts, a form to log one, kept fresh by UP's webhooks.

With -fake it runs against an embedded fake UP server with -users seeded
users, and prints the URL to open and the users' logins. Otherwise it needs
the application's credentials (UP_CLIENT_ID, UP_CLIENT_SECRET), registered
with the redirect URL <public URL>/up/callback; UP must reach
<public URL>/up/webhook for the webhooks.

Tokens are kept in SQLite (-sqlite) or PostgreSQL (-postgres), sealed with
AES-256-GCM when UP_TOKEN_KEYS is set (see package up/sqlstore).

Usage:

  webapp [flags]

Flags (each also read from the environment variable named in brackets):
`

// settings are the flags, read from the command line and the environment.
type settings struct {
	fake                       bool
	users                      int
	addr                       string
	publicURL                  string
	clientID, clientSecret     string
	redirectURL, webhookURL    string
	baseURL, authURL, tokenURL string
	sqlitePath, postgresDSN    string
	tokenKeys                  string
	sessionKey                 string
	cacheTTL                   time.Duration
}

func parseFlags(args []string, stderr io.Writer, getenv func(string) string) (*settings, error) {
	var s settings
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string { return cmp.Or(getenv(name), def) }
	fs.BoolVar(&s.fake, "fake", false, "run against an embedded fake UP server with seeded users")
	fs.IntVar(&s.users, "users", 3, "with -fake: how many users the fake server has")
	fs.StringVar(&s.addr, "addr", env("WEBAPP_ADDR", "127.0.0.1:8000"), "`address` to listen on, host:port (port 0 picks a free one) [WEBAPP_ADDR]")
	fs.StringVar(&s.publicURL, "public-url", getenv("WEBAPP_PUBLIC_URL"), "the app's root `URL` as browsers reach it (default http://ADDR) [WEBAPP_PUBLIC_URL]")
	fs.StringVar(&s.clientID, "client-id", getenv("UP_CLIENT_ID"), "the UP application's client `ID` [UP_CLIENT_ID]")
	fs.StringVar(&s.clientSecret, "client-secret", getenv("UP_CLIENT_SECRET"), "the UP application's client `secret` [UP_CLIENT_SECRET]")
	fs.StringVar(&s.redirectURL, "redirect-url", getenv("UP_REDIRECT_URL"), "the redirect `URL` registered with UP (default PUBLIC-URL/up/callback) [UP_REDIRECT_URL]")
	fs.StringVar(&s.webhookURL, "webhook-url", getenv("WEBAPP_WEBHOOK_URL"), "where UP posts notifications (default PUBLIC-URL/up/webhook; \"off\" subscribes no one) [WEBAPP_WEBHOOK_URL]")
	fs.StringVar(&s.baseURL, "up-base-url", getenv("UP_BASE_URL"), "the UP API's root `URL` (default "+up.DefaultBaseURL+") [UP_BASE_URL]")
	fs.StringVar(&s.authURL, "up-auth-url", getenv("UP_AUTH_URL"), "UP's authorization `URL` (default "+up.DefaultAuthURL+") [UP_AUTH_URL]")
	fs.StringVar(&s.tokenURL, "up-token-url", getenv("UP_TOKEN_URL"), "UP's token `URL` (default "+up.DefaultTokenURL+") [UP_TOKEN_URL]")
	fs.StringVar(&s.sqlitePath, "sqlite", getenv("WEBAPP_SQLITE"), "keep tokens in this SQLite `file` (default webapp.db; with -fake, a temporary file) [WEBAPP_SQLITE]")
	fs.StringVar(&s.postgresDSN, "postgres", getenv("WEBAPP_POSTGRES_DSN"), "keep tokens in PostgreSQL instead, at this `DSN` (URL or key=value) [WEBAPP_POSTGRES_DSN]")
	fs.StringVar(&s.tokenKeys, "token-keys", "", "seal tokens with these AES-256 `keys`, ID:BASE64,... primary first (default $UP_TOKEN_KEYS)")
	fs.StringVar(&s.sessionKey, "session-key", "", "the `base64` of 32 or more random bytes that sign sessions; the same on every instance (default $WEBAPP_SESSION_KEY, or random: sessions end when the app restarts)")
	fs.DurationVar(&s.cacheTTL, "cache-ttl", 15*time.Minute, "how long a dashboard is shown without a webhook saying it changed")
	fs.Usage = func() {
		_, _ = fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (run webapp -help)", fs.Args())
	}
	// Secrets are read from the environment rather than shown as defaults
	// in -help.
	s.tokenKeys = cmp.Or(s.tokenKeys, getenv("UP_TOKEN_KEYS"))
	s.sessionKey = cmp.Or(s.sessionKey, getenv("WEBAPP_SESSION_KEY"))
	if s.fake {
		if s.users < 1 {
			return nil, fmt.Errorf("-users %d: the fake server needs at least one user", s.users)
		}
		if s.clientID != "" || s.baseURL != "" || s.authURL != "" || s.tokenURL != "" {
			return nil, errors.New("-fake makes its own UP server and credentials: drop the client and UP URL settings")
		}
	} else if s.clientID == "" || s.clientSecret == "" {
		return nil, errors.New("set UP_CLIENT_ID and UP_CLIENT_SECRET (or -client-id and -client-secret), or run with -fake")
	}
	return &s, nil
}

// run serves the app until ctx ends. ready, if set, is called with the
// app's URL and the fake server (nil without -fake) once the app listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(appURL string, fake *uptest.Server)) error {
	s, err := parseFlags(args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	defer func() { _ = l.Close() }()
	public := strings.TrimSuffix(cmp.Or(s.publicURL, "http://"+l.Addr().String()), "/")

	cfg := &up.Config{
		ClientID: s.clientID, ClientSecret: s.clientSecret, Scopes: Scopes,
		RedirectURL: cmp.Or(s.redirectURL, public+callbackPath),
		BaseURL:     s.baseURL, AuthURL: s.authURL, TokenURL: s.tokenURL,
		UserAgent: "up-go-webapp",
	}
	var fake *uptest.Server
	if s.fake {
		fake = uptest.New(uptest.WithUsers(s.users), uptest.WithLoginPage(), uptest.WithAppName("UP dashboard"),
			uptest.WithRedirectPrefixes(cfg.RedirectURL), uptest.WithLogger(logger))
		defer fake.Close()
		cfg.ClientID, cfg.ClientSecret = fake.ClientID, fake.ClientSecret
		cfg.BaseURL, cfg.AuthURL, cfg.TokenURL = fake.URL, fake.AuthURL, fake.TokenURL
	}

	store, where, closeStore, err := openStore(ctx, s)
	if err != nil {
		return err
	}
	defer closeStore()
	cfg.Store = store

	key, err := sessionKey(s.sessionKey, s.fake, logger)
	if err != nil {
		return err
	}
	webhook := s.webhookURL
	switch webhook {
	case "":
		webhook = public + webhookPath
	case "off":
		webhook = ""
	}
	app, err := New(Options{Config: cfg, PublicURL: public, WebhookURL: webhook, SessionKey: key,
		CacheTTL: s.cacheTTL, Logger: logger})
	if err != nil {
		return err
	}

	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	printBanner(stdout, public, fake, where)
	if ready != nil {
		ready(public, fake)
	}
	select {
	case err = <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	return errors.Join(err, app.Wait(shutdown))
}

// openStore opens the token store the settings name and returns it, where it
// is (for the banner) and how to close it.
func openStore(ctx context.Context, s *settings) (up.Store, string, func(), error) {
	var opts sqlstore.Options
	if s.tokenKeys != "" {
		keys, err := sqlstore.ParseKeyring(s.tokenKeys)
		if err != nil {
			return nil, "", nil, err
		}
		opts.Keys = keys
	}
	if s.postgresDSN != "" {
		db, err := postgres.Open(ctx, s.postgresDSN)
		if err != nil {
			return nil, "", nil, fmt.Errorf("PostgreSQL: %w", err)
		}
		opts.Dialect = sqlstore.PostgreSQL
		store, err := sqlstore.New(ctx, db, opts)
		if err != nil {
			_ = db.Close()
			return nil, "", nil, err
		}
		return store, "PostgreSQL", func() { _ = db.Close() }, nil
	}
	path, cleanup := s.sqlitePath, func() {}
	if path == "" && s.fake {
		dir, err := os.MkdirTemp("", "webapp-")
		if err != nil {
			return nil, "", nil, err
		}
		path, cleanup = filepath.Join(dir, "tokens.db"), func() { _ = os.RemoveAll(dir) }
	}
	path = cmp.Or(path, "webapp.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("SQLite: %w", err)
	}
	opts.Dialect = sqlstore.SQLite
	store, err := sqlstore.New(ctx, db, opts)
	if err != nil {
		_ = db.Close()
		cleanup()
		return nil, "", nil, err
	}
	return store, "SQLite at " + path, func() { _ = db.Close(); cleanup() }, nil
}

// sessionKey decodes the session key, or makes a random one when none is
// set (and says so, unless the app runs against the fake, whose users and
// tokens end with the app anyway).
func sessionKey(encoded string, fake bool, logger *slog.Logger) ([]byte, error) {
	if encoded == "" {
		if !fake {
			logger.Warn("no session key set (WEBAPP_SESSION_KEY): using a random one, so sessions end when the app restarts")
		}
		key := make([]byte, minSessionKey)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
		return key, nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil, errors.New("the session key is not base64")
	}
	if len(key) < minSessionKey {
		return nil, fmt.Errorf("the session key has %d bytes; it needs at least %d random bytes", len(key), minSessionKey)
	}
	return key, nil
}

func printBanner(w io.Writer, public string, fake *uptest.Server, where string) {
	p := func(format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }
	p("UP dashboard: open %s/\n", public)
	if fake != nil {
		users := fake.Users()
		p("It runs against a fake UP server at %s with %d users. Sign in on its login page as:\n", strings.TrimSuffix(fake.URL, "/nudge/api/v.1.1"), len(users))
		for i, u := range users {
			if i == 10 {
				p("  ... and %d more, up to user%d@example.com\n", len(users)-10, len(users))
				break
			}
			p("  %-22s password %s   (%s)\n", u.Email(), u.Password(), u.Name())
		}
	}
	p("Tokens are kept in %s. Ctrl-C stops.\n", where)
}
