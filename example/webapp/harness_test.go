package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/postgres"
	"github.com/upapi/up-go/up/sqlstore/sqlite"
	"github.com/upapi/up-go/up/uptest"
	"github.com/upapi/up-go/up/wire"
)

// harness runs the app against a fake UP server, with its tokens in a real
// SQL store, on loopback.
type harness struct {
	t     testing.TB
	fake  *uptest.Server
	app   *App
	store *sqlstore.Store
	url   string
}

type harnessConfig struct {
	users    int
	postgres string // a DSN: keep tokens in PostgreSQL, in a table of the test's own
	fake     []uptest.Option
	options  func(*Options)
}

// newHarness starts the fake, the store and the app. The fake shows its
// login page, as UP did, and knows the app's redirect URL.
func newHarness(t testing.TB, hc harnessConfig) *harness {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + l.Addr().String()
	opts := append([]uptest.Option{uptest.WithUsers(max(hc.users, 1)), uptest.WithLoginPage(),
		uptest.WithAppName("UP dashboard"), uptest.WithRedirectPrefixes(appURL + callbackPath)}, hc.fake...)
	fake := uptest.NewServer(t, opts...)

	h := &harness{t: t, fake: fake, url: appURL}
	h.store = openTestStore(t, hc.postgres)
	cfg := up.ConfigFor(fake)
	cfg.Scopes, cfg.RedirectURL, cfg.Store = Scopes, appURL+callbackPath, h.store
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	o := Options{Config: cfg, PublicURL: appURL, WebhookURL: appURL + webhookPath, SessionKey: key,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if hc.options != nil {
		hc.options(&o)
	}
	h.app, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h.app)
	_ = srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.app.Wait(ctx); err != nil {
			t.Errorf("waiting for webhooks: %v", err)
		}
	})
	return h
}

// openTestStore opens a SQL store: SQLite in the test's directory, or, with
// a DSN, PostgreSQL in a table of the test's own, dropped at the end.
func openTestStore(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	var (
		db   *sql.DB
		err  error
		opts sqlstore.Options
	)
	if dsn != "" {
		db, err = postgres.Open(ctx, dsn)
		opts = sqlstore.Options{Dialect: sqlstore.PostgreSQL, Table: fmt.Sprintf("webapp_test_%d", time.Now().UnixNano())}
		if err == nil {
			t.Cleanup(func() { _ = db.Close() }) // after the tables are dropped
			t.Cleanup(func() {
				for _, table := range []string{opts.Table, opts.Table + "_schema"} {
					if _, err := db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table); err != nil {
						t.Errorf("dropping %s: %v", table, err)
					}
				}
			})
		}
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "tokens.db"))
		opts = sqlstore.Options{Dialect: sqlstore.SQLite}
	}
	if err != nil {
		t.Fatal(err)
	}
	if dsn == "" {
		t.Cleanup(func() { _ = db.Close() })
	}
	store, err := sqlstore.New(ctx, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// testWriter sends the app's log to the test's.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// users returns the fake's users.
func (h *harness) users() []*uptest.User { return h.fake.Users() }

// storedToken returns the token the store holds for u, or nil.
func (h *harness) storedToken(u *uptest.User) *oauth2.Token {
	h.t.Helper()
	tok, err := h.store.Load(context.Background(), u.XID())
	if err != nil {
		if !strings.Contains(err.Error(), "no token") {
			h.t.Fatalf("loading %s's token: %v", u, err)
		}
		return nil
	}
	return tok
}

// settle waits until every notification the fake queued is delivered and
// handled by the app.
func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitNotifications(ctx); err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Wait(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// apiPaths returns the API paths the fake was asked for since the last
// ResetRequests, with the user's XID read as @me, in order.
func (h *harness) apiPaths(u *uptest.User) []string {
	var paths []string
	for _, r := range h.fake.Requests() {
		p, ok := strings.CutPrefix(r.Path, "/nudge/api/v.1.1")
		if !ok {
			continue
		}
		paths = append(paths, r.Method+" "+strings.Replace(p, "/users/"+u.XID()+"/", "/users/@me/", 1))
	}
	return paths
}

// browser is a person's browser without a script engine: an HTTP client
// with a cookie jar that does not follow redirects, so tests see each one.
type browser struct {
	t    testing.TB
	h    *harness
	http *http.Client
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: h.t, h: h, http: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer the browser got.
type page struct {
	status   int
	location string
	header   http.Header
	body     string
}

// do sends a request, a form if form is not nil, as from the app's own
// pages, with the header fields of header (name, value, ...; an empty value
// removes the field), and reads the answer.
func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	p, err := b.send(method, path, form, header...)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	return p
}

// send is do without failing the test, for goroutines.
func (b *browser) send(method, path string, form url.Values, header ...string) (page, error) {
	target := path
	if !strings.HasPrefix(path, "http") {
		target = b.h.url + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, body)
	if err != nil {
		return page{}, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.h.url)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return page{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return page{}, err
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(data)}, nil
}

func (b *browser) get(path string) page { return b.do(http.MethodGet, path, nil) }

// post sends a form with the session's CSRF token, as the app's own pages
// do.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", b.csrf())
	}
	return b.do(http.MethodPost, path, form)
}

// csrf reads the CSRF token from the dashboard's forms.
func (b *browser) csrf() string {
	b.t.Helper()
	p := b.get("/dashboard")
	_, rest, ok := strings.Cut(p.body, `name="csrf" value="`)
	if !ok {
		b.t.Fatalf("no CSRF token on the dashboard (%d %s)", p.status, p.location)
	}
	token, _, _ := strings.Cut(rest, `"`)
	return token
}

// signedIn returns a new browser signed in as u.
func (h *harness) signedIn(u *uptest.User) *browser {
	h.t.Helper()
	b := h.browser()
	b.signIn(u)
	return b
}

// signIn signs in as u: the app sends the browser to UP, u allows the app,
// and UP sends the browser back to the app's callback.
func (b *browser) signIn(u *uptest.User) page {
	b.t.Helper()
	start := b.get("/login")
	if start.status != http.StatusFound {
		b.t.Fatalf("/login: %d", start.status)
	}
	back, err := u.Allow(start.location)
	if err != nil {
		b.t.Fatalf("%s allowing the app: %v", u, err)
	}
	p := b.get(back)
	if p.status != http.StatusSeeOther || p.location != "/dashboard" {
		b.t.Fatalf("callback: %d %s\n%s", p.status, p.location, p.body)
	}
	return p
}

// values returns the data-value of each bar of the chart id on a page, in
// day order.
func chartValues(t testing.TB, body, id string) []string {
	t.Helper()
	_, fig, ok := strings.Cut(body, `<figure class="card chart" id="`+id+`">`)
	if !ok {
		t.Fatalf("no chart %s on the page", id)
	}
	fig, _, _ = strings.Cut(fig, "</figure>")
	var vals []string
	for _, part := range strings.Split(fig, `data-value="`)[1:] {
		v, _, _ := strings.Cut(part, `"`)
		vals = append(vals, v)
	}
	return vals
}

// expectedDaily computes, with a Client of the user's own, the figures the
// dashboard should draw: steps or seconds asleep for each of the last 30
// days, in the user's time zone.
func expectedDaily(t testing.TB, h *harness, u *uptest.User, res resource) []string {
	t.Helper()
	ctx := context.Background()
	c := up.ConfigFor(h.fake).Client(u.MintToken())
	p, err := fetchProfile(ctx, c, time.Now(), profile{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := fetchers[res](ctx, c, time.Now(), p.(profile))
	if err != nil {
		t.Fatal(err)
	}
	values := v.(daily)
	loc := p.(profile).location()
	start := chartStart(time.Now(), loc)
	var out []string
	for i := range chartDays {
		out = append(out, fmt.Sprint(values[wire.DateOf(start.AddDate(0, 0, i))]))
	}
	return out
}
