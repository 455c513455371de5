package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

const demoHelp = `
Walk the whole SDK journey against a fake UP server (package up/uptest)
started inside this process: the login URL, the user's consent, the code
exchange (with a token storage that announces each save), the user and
friends, a week of workouts across pages, a workout created, changed and
deleted, an access token that expires and is refreshed without the caller
noticing, and the disconnect.

Each step checks what it claims and prints ✓ or ✗; the exit status is 0 only
if every step did what it says. No account, network or configuration is
needed. The fake's clock is set to June 2015, when UP was live, so the data
is the same on every run. Tokens are shown by their last four characters and
a fingerprint (the start of their SHA-256), never whole.
`

// demoRedirect is the redirect URL of the demo's login; nothing listens
// there, as the consent step reads the redirect without following it.
const demoRedirect = "http://127.0.0.1:8085/callback"

// demoNow is where the fake's clock starts: noon in California.
func demoNow() time.Time { return time.Date(2015, time.June, 15, 19, 0, 0, 0, time.UTC) }

func (a *app) demo(ctx context.Context, args []string) error {
	fs := a.flags("demo", "", demoHelp)
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	d := &demo{out: &lockedWriter{w: a.stdout}}
	return d.run(ctx)
}

// demo is one walk through the SDK, and what its steps hand each other.
type demo struct {
	out    *lockedWriter
	steps  int
	passed int

	s         *uptest.Server
	cfg       *up.Config
	store     *announcingStorage
	client    *up.Client
	state     string
	authURL   string
	location  string
	serverNow time.Time
	oldToken  *oauth2.Token
}

// demoStep is one numbered step: a title, a line of what it does, and the
// check, which prints what it finds and returns what it proved.
type demoStep struct {
	title, does string
	run         func(ctx context.Context) (string, error)
}

func (d *demo) run(ctx context.Context) error {
	began := time.Now()
	logs := &logRecorder{}
	d.s = uptest.New(
		uptest.WithLogger(slog.New(logs)),
		uptest.WithClock(func() time.Time { return demoNow().Add(time.Since(began)) }),
	)
	defer d.s.Close()
	d.store = &announcingStorage{mem: up.NewMemoryStorage(), say: d.show}

	d.out.printf("up demo: the up-go SDK %s against a fake UP server in this process\n", up.Version)
	d.out.printf("  API %s, the fake's clock at %s\n", d.s.URL, demoNow().Format("2006-01-02 15:04 MST"))
	steps := []demoStep{
		{"Build the login URL", "Config.AuthCodeURL with a fresh state from up.NewState: the page the user is sent to", d.loginURL},
		{"Consent", "GET the login URL with an http.Client that does not follow redirects; the fake user consents", d.consent},
		{"Exchange the code", "cfg.Exchange(ctx, location, state) checks the state, trades the code and saves the token", d.exchange},
		{"The user", "cfg.ClientFromStorage, then client.User: GET /users/@me, with the envelope's meta", d.user},
		{"Friends", "client.Friends: GET /users/@me/friends", d.friends},
		{"A week of workouts, page by page", "client.WorkoutsPage over the last 7 days with limit 2, then Page.Next while UP sends links.next", d.workouts},
		{"Create, update and delete a workout", "client.CreateWorkout, UpdateWorkout (partialUpdate: only the fields set change), DeleteWorkout", d.writes},
		{"The access token expires", "s.ExpireAccessTokens() on the fake: every access token issued so far is now refused", d.expire},
		{"The next call refreshes by itself", "client.User again: UP answers 401, the Client refreshes, saves the new token and resends", d.refresh},
		{"Disconnect", "client.Disconnect: DELETE /users/@me/PartnerAppMembership, then the token is forgotten and deleted", d.disconnect},
	}
	for _, st := range steps {
		d.steps++
		d.out.printf("\n%2d. %s\n    %s\n", d.steps, st.title, st.does)
		claim, err := st.run(ctx)
		if err == nil {
			d.passed++
			d.out.printf("    ✓ %s\n", claim)
			continue
		}
		d.out.printf("    ✗ %s\n", oneLine(trimUp(err.Error())))
		if ctx.Err() != nil {
			return failf(exitInterrupted, ctx.Err(), "demo interrupted")
		}
		break
	}
	if n, first := logs.get(); n > 0 {
		d.out.printf("\n✗ the fake server logged %s, the first: %s\n", plural(n, "problem"), first)
		return failf(exitFailure, nil, "demo: the fake server logged %s", plural(n, "problem"))
	}
	took := time.Since(began).Round(time.Millisecond)
	if d.passed < len(steps) {
		d.out.printf("\n✗ %d of %s did what they said (%s)\n", d.passed, plural(len(steps), "step"), took)
		return failf(exitFailure, nil, "demo: step %d failed", d.steps)
	}
	d.out.printf("\n✓ all %d steps did what they said, in %s\n", len(steps), took)
	return nil
}

// show prints a line of a step's findings.
func (d *demo) show(format string, args ...any) {
	d.out.printf("    "+format+"\n", args...)
}

func (d *demo) loginURL(context.Context) (string, error) {
	d.cfg = up.ConfigFor(d.s)
	d.cfg.RedirectURL = demoRedirect
	d.cfg.Scopes = up.Scopes{up.ScopeBasicRead, up.ScopeExtendedRead, up.ScopeFriendsRead, up.ScopeMoveRead, up.ScopeMoveWrite}
	d.cfg.Storage = d.store
	state, err := up.NewState()
	if err != nil {
		return "", err
	}
	d.state = state
	d.authURL = d.cfg.AuthCodeURL(state)
	d.show("%s", d.authURL)
	u, err := url.Parse(d.authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	switch {
	case q.Get("response_type") != "code":
		return "", fmt.Errorf("response_type is %q, not code", q.Get("response_type"))
	case q.Get("client_id") != d.s.ClientID:
		return "", fmt.Errorf("client_id is %q, not the app's", q.Get("client_id"))
	case q.Get("redirect_uri") != demoRedirect:
		return "", fmt.Errorf("redirect_uri is %q", q.Get("redirect_uri"))
	case q.Get("state") != state:
		return "", errors.New("the state is not the one made")
	case len(strings.Fields(q.Get("scope"))) != len(d.cfg.Scopes):
		return "", fmt.Errorf("scope is %q", q.Get("scope"))
	}
	return fmt.Sprintf("the URL asks for a code for client %s, %s, our redirect URL and state", d.s.ClientID, plural(len(d.cfg.Scopes), "scope")), nil
}

func (d *demo) consent(ctx context.Context) (string, error) {
	noFollow := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.authURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	d.location = resp.Header.Get("Location")
	u, err := url.Parse(d.location)
	if err != nil {
		return "", err
	}
	q := u.Query()
	code, state := q.Get("code"), q.Get("state")
	shown := *u
	shown.RawQuery = "code=" + tail(code) + "&state=" + tail(state)
	d.show("%d %s, Location: %s", resp.StatusCode, http.StatusText(resp.StatusCode), shown.String())
	switch {
	case resp.StatusCode != http.StatusFound:
		return "", fmt.Errorf("the login page answered %d, not 302", resp.StatusCode)
	case !strings.HasPrefix(d.location, demoRedirect+"?"):
		return "", fmt.Errorf("the redirect leads to %s, not the redirect URL", shown.String())
	case code == "":
		return "", fmt.Errorf("the redirect carries no code (error %q)", q.Get("error"))
	case state != d.state:
		return "", errors.New("the redirect's state is not ours")
	}
	return fmt.Sprintf("UP sends the browser back to the redirect URL with a code (%s) and our state (%s)", tail(code), tail(state)), nil
}

func (d *demo) exchange(ctx context.Context) (string, error) {
	tok, err := d.cfg.Exchange(ctx, d.location, d.state)
	if err != nil {
		return "", err
	}
	d.show("token: access %s (fingerprint %s), refresh %s, expires in %s",
		tail(tok.AccessToken), fingerprint(tok.AccessToken), tail(tok.RefreshToken), plural(int(time.Until(tok.Expiry).Hours()/24+0.5), "day"))
	stored, err := d.store.Load(ctx)
	if err != nil {
		return "", fmt.Errorf("storage: %w", err)
	}
	bare := *d.cfg
	bare.Storage = nil
	_, again := bare.Exchange(ctx, d.location, d.state)
	var te *up.TokenError
	d.show("the same code once more: %s", trimUp(fmt.Sprint(again)))
	switch {
	case tok.AccessToken == "" || tok.RefreshToken == "":
		return "", errors.New("the token lacks an access or a refresh token")
	case d.store.saveCount() != 1 || stored.AccessToken != tok.AccessToken:
		return "", fmt.Errorf("storage holds %s, not the one token", plural(d.store.saveCount(), "save"))
	case !errors.As(again, &te) || te.Code != "invalid_grant":
		return "", fmt.Errorf("a second exchange of the code was not refused with invalid_grant: %w", again)
	}
	return "a token with a refresh token, saved once to storage; the code works only once", nil
}

func (d *demo) user(ctx context.Context) (string, error) {
	client, err := d.cfg.ClientFromStorage(ctx)
	if err != nil {
		return "", err
	}
	d.client = client
	user, resp, err := client.User(ctx)
	if err != nil {
		return "", err
	}
	m := resp.Meta
	d.serverNow = m.Time
	d.show("%s, xid %s, %.2f m, %.1f kg", userName(user), user.XID, user.Height, user.Weight)
	d.show("meta: code %d, message %s, user_xid %s, time %s", m.Code, m.Message, m.UserXID, m.Time.Format(time.RFC3339))
	switch {
	case user.XID != d.s.UserXID():
		return "", fmt.Errorf("the user is %s, not the fake's %s", user.XID, d.s.UserXID())
	case m.UserXID != user.XID || m.Code != http.StatusOK:
		return "", fmt.Errorf("meta says user %s, code %d", m.UserXID, m.Code)
	}
	return "the profile is the token owner's (meta.user_xid matches), read through the saved token", nil
}

func (d *demo) friends(ctx context.Context) (string, error) {
	list, _, err := d.client.Friends(ctx)
	if err != nil {
		return "", err
	}
	xids := make([]string, len(list.Items))
	for i, f := range list.Items {
		xids[i] = f.XID
	}
	d.show("%s: %s", plural(len(xids), "friend"), strings.Join(xids, ", "))
	if len(xids) == 0 || list.Size != len(xids) {
		return "", fmt.Errorf("%s listed, size %d", plural(len(xids), "friend"), list.Size)
	}
	return fmt.Sprintf("%s, as many as the list's size says", plural(len(xids), "friend")), nil
}

func (d *demo) workouts(ctx context.Context) (string, error) {
	q := up.ListQuery{Range: up.Since(d.serverNow.AddDate(0, 0, -7)), Limit: 2}
	page, err := d.client.WorkoutsPage(ctx, q)
	var seen []string
	pages := 0
	for err == nil {
		pages++
		var items []string
		for _, w := range page.Items {
			seen = append(seen, w.XID)
			items = append(items, fmt.Sprintf("%s %s %s", w.Date.String()[5:], w.Title, fmtDuration(w.Details.Time)))
		}
		if len(page.Items) > q.Limit {
			return "", fmt.Errorf("page %d holds %s, more than the limit %d", pages, plural(len(page.Items), "workout"), q.Limit)
		}
		next := "the last page"
		if page.HasNext() {
			next = "next link →"
		}
		d.show("page %d: %s: %s; %s", pages, plural(len(page.Items), "workout"), strings.Join(items, ", "), next)
		if !page.HasNext() {
			break
		}
		page, err = page.Next(ctx)
	}
	if err != nil {
		return "", err
	}
	q.Limit = 100
	whole, err := d.client.WorkoutsPage(ctx, q)
	if err != nil {
		return "", err
	}
	var once []string
	for _, w := range whole.Items {
		once = append(once, w.XID)
	}
	switch {
	case pages < 2:
		return "", fmt.Errorf("only %d page: no next link was followed", pages)
	case !slices.Equal(seen, once) || whole.HasNext():
		return "", fmt.Errorf("the pages hold %s, one page of 100 holds %d", plural(len(seen), "workout"), len(once))
	}
	return fmt.Sprintf("%s across %s (%s followed), the same as one page of 100",
		plural(len(seen), "workout"), plural(pages, "page"), plural(pages-1, "next link")), nil
}

func (d *demo) writes(ctx context.Context) (string, error) {
	start := d.serverNow.Add(-2 * time.Hour).Truncate(time.Minute)
	created, _, err := d.client.CreateWorkout(ctx, up.WorkoutCreate{
		SubType:       up.WorkoutRun,
		TimeCreated:   up.Ptr(up.EpochOf(start)),
		TimeCompleted: up.Ptr(up.EpochOf(start.Add(40 * time.Minute))),
		Title:         up.Ptr("Demo run"),
		Calories:      up.Ptr(250.0),
	})
	if err != nil {
		return "", err
	}
	cd := created.Details
	d.show("created %s: %q, %.0f kcal, %s", created.XID, created.Title, cd.Calories, fmtDuration(cd.Time))
	updated, _, err := d.client.UpdateWorkout(ctx, created.XID, up.WorkoutUpdate{Title: up.Ptr("Demo evening run"), Calories: up.Ptr(321.0)})
	if err != nil {
		return "", err
	}
	ud := updated.Details
	d.show("updated %s: title %q → %q, calories %.0f → %.0f, time_updated +%ds; duration still %s",
		updated.XID, created.Title, updated.Title, cd.Calories, ud.Calories,
		int64(updated.TimeUpdated)-int64(created.TimeUpdated), fmtDuration(ud.Time))
	fetched, _, err := d.client.Workout(ctx, created.XID)
	if err != nil {
		return "", err
	}
	switch {
	case updated.XID != created.XID || fetched.Title != "Demo evening run" || fetched.Details.Calories != 321:
		return "", errors.New("the update did not change the title and calories")
	case ud.Time != cd.Time:
		return "", errors.New("the update changed the duration, which it did not set")
	case updated.TimeUpdated <= created.TimeUpdated:
		return "", errors.New("time_updated did not move forward")
	}
	if _, err := d.client.DeleteWorkout(ctx, created.XID); err != nil {
		return "", err
	}
	_, _, err = d.client.Workout(ctx, created.XID)
	d.show("deleted %s; client.Workout(%s) → %s", created.XID, created.XID, errName(err))
	if !errors.Is(err, up.ErrNotFound) {
		return "", fmt.Errorf("the deleted workout is still there: %w", err)
	}
	return "created, changed (two fields, the rest kept) and deleted: the deleted workout is gone (up.ErrNotFound)", nil
}

func (d *demo) expire(ctx context.Context) (string, error) {
	old, err := d.client.Token()
	if err != nil {
		return "", err
	}
	d.oldToken = old
	d.s.ExpireAccessTokens()
	status, err := d.rawStatus(ctx, old.AccessToken)
	if err != nil {
		return "", err
	}
	d.show("GET /users/@me with the access token %s → %d %s", tail(old.AccessToken), status, http.StatusText(status))
	if status != http.StatusUnauthorized {
		return "", fmt.Errorf("the server answered %d to the expired token", status)
	}
	return "the server refuses the old access token; the Client does not know yet", nil
}

func (d *demo) refresh(ctx context.Context) (string, error) {
	before := d.s.TokenRequests()["refresh_token"]
	saves := d.store.saveCount()
	user, _, err := d.client.User(ctx)
	if err != nil {
		return "", err
	}
	after := d.s.TokenRequests()["refresh_token"]
	now, err := d.client.Token()
	if err != nil {
		return "", err
	}
	stored, err := d.store.Load(ctx)
	if err != nil {
		return "", err
	}
	d.show("token requests (refresh_token): %d → %d; client.User → %s", before, after, userName(user))
	d.show("access token fingerprint %s → %s; storage holds %s", fingerprint(d.oldToken.AccessToken), fingerprint(now.AccessToken), fingerprint(stored.AccessToken))
	switch {
	case after-before != 1:
		return "", fmt.Errorf("%s, not 1", plural(after-before, "refresh", "refreshes"))
	case now.AccessToken == d.oldToken.AccessToken:
		return "", errors.New("the access token did not change")
	case d.store.saveCount() != saves+1 || stored.AccessToken != now.AccessToken:
		return "", errors.New("storage did not save the new token")
	}
	return "one refresh, the new token saved, and the call succeeded without the caller doing anything", nil
}

func (d *demo) disconnect(ctx context.Context) (string, error) {
	last, err := d.client.Token()
	if err != nil {
		return "", err
	}
	d.s.ResetRequests()
	if err := d.client.Disconnect(ctx); err != nil {
		return "", err
	}
	sent := slices.ContainsFunc(d.s.Requests(), func(r uptest.Request) bool {
		return r.Method == http.MethodDelete && strings.HasSuffix(r.Path, "/users/@me/PartnerAppMembership")
	})
	_, loadErr := d.store.Load(ctx)
	_, _, userErr := d.client.User(ctx)
	status, err := d.rawStatus(ctx, last.AccessToken)
	if err != nil {
		return "", err
	}
	d.show("storage.Load → %s; client.User → %s; the last access token → %d %s",
		errName(loadErr), errName(userErr), status, http.StatusText(status))
	switch {
	case !sent:
		return "", errors.New("no DELETE /users/@me/PartnerAppMembership reached the server")
	case !errors.Is(loadErr, up.ErrNoToken) || !errors.Is(userErr, up.ErrNoToken):
		return "", fmt.Errorf("a token is left: storage %w, client %w", loadErr, userErr)
	case status != http.StatusUnauthorized:
		return "", fmt.Errorf("the server still accepts the last token (%d)", status)
	}
	return "access revoked on the server; no token left in storage or the client (up.ErrNoToken)", nil
}

// rawStatus sends GET /users/@me with access as it is, outside the SDK.
func (d *demo) rawStatus(ctx context.Context, access string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.s.URL+"/users/@me", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// errName names the SDK error a demo step expects, briefly.
func errName(err error) string {
	var ae *up.APIError
	switch {
	case err == nil:
		return "no error"
	case errors.Is(err, up.ErrNoToken):
		return "up.ErrNoToken"
	case errors.Is(err, up.ErrNotFound) && errors.As(err, &ae):
		return fmt.Sprintf("%d %s (up.ErrNotFound)", ae.StatusCode, http.StatusText(ae.StatusCode))
	}
	return oneLine(trimUp(err.Error()))
}

// tail shows a secret by its last four characters.
func tail(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}

// fingerprint tells tokens apart without showing them: the first eight hex
// digits of their SHA-256.
func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// announcingStorage is a MemoryStorage that says whenever it saves or
// deletes a token.
type announcingStorage struct {
	mem   *up.MemoryStorage
	say   func(format string, args ...any)
	mu    sync.Mutex
	saves int
}

func (s *announcingStorage) Load(ctx context.Context) (*oauth2.Token, error) { return s.mem.Load(ctx) }

func (s *announcingStorage) Save(ctx context.Context, tok *oauth2.Token) error {
	if err := s.mem.Save(ctx, tok); err != nil {
		return err
	}
	s.mu.Lock()
	s.saves++
	s.mu.Unlock()
	s.say("storage: saved token %s (fingerprint %s)", tail(tok.AccessToken), fingerprint(tok.AccessToken))
	return nil
}

func (s *announcingStorage) Delete(ctx context.Context) error {
	if err := s.mem.Delete(ctx); err != nil {
		return err
	}
	s.say("storage: deleted the token")
	return nil
}

func (s *announcingStorage) saveCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

// lockedWriter serializes writes, since storage may speak from the
// Client's refresh goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = fmt.Fprintf(l.w, format, args...)
}

// logRecorder is a quiet slog.Handler that keeps count of the fake
// server's warnings and errors (answers that break the spec).
type logRecorder struct {
	mu    sync.Mutex
	n     int
	first string
}

func (l *logRecorder) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		l.first = r.Message
	}
	l.n++
	return nil
}

func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) get() (int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.first
}
