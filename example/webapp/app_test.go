package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

func TestSignInShowsEachUserTheirOwnDashboard(t *testing.T) {
	h := newHarness(t, harnessConfig{users: 2})
	a, b := h.users()[0], h.users()[1]
	ba, bb := h.browser(), h.browser()
	ba.signIn(a)
	bb.signIn(b)

	pa, pb := ba.get("/dashboard"), bb.get("/dashboard")
	for _, c := range []struct {
		u *uptest.User
		p page
	}{{a, pa}, {b, pb}} {
		if c.p.status != http.StatusOK {
			t.Fatalf("%s: dashboard %d", c.u, c.p.status)
		}
		first, _, _ := strings.Cut(c.u.Name(), " ")
		if !strings.Contains(c.p.body, "Signed in as <strong>"+first+"</strong>") {
			t.Errorf("%s: the header does not name the user", c.u)
		}
		for _, res := range []resource{resMoves, resSleeps} {
			chartID := map[resource]string{resMoves: "steps", resSleeps: "sleep"}[res]
			if got, want := chartValues(t, c.p.body, chartID), expectedDaily(t, h, c.u, res); !slices.Equal(got, want) {
				t.Errorf("%s: %s chart %v, want %v", c.u, chartID, got, want)
			}
		}
	}
	if slices.Equal(chartValues(t, pa.body, "steps"), chartValues(t, pb.body, "steps")) {
		t.Error("both users see the same steps")
	}
	// The key is the UP XID, and the same on the next sign-in.
	for _, u := range []*uptest.User{a, b} {
		if h.storedToken(u) == nil {
			t.Errorf("no token stored under %s's XID", u)
		}
	}
	before := h.storedToken(a).AccessToken
	ba.signIn(a)
	if after := h.storedToken(a); after == nil || after.AccessToken == before {
		t.Error("a second sign-in did not replace the token stored under the user's XID")
	}
}

func TestCallbackRefusesAWrongState(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	u := h.users()[0]
	b := h.browser()
	start := b.get("/login")
	back, err := u.Allow(start.location)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := url.Parse(back)
	q := forged.Query()
	q.Set("state", "not-the-state-of-this-browser")
	forged.RawQuery = q.Encode()
	codes := h.fake.TokenRequests()["authorization_code"]

	p := b.get(forged.String())
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Sign-in refused") {
		t.Fatalf("a callback with a wrong state: %d %s\n%s", p.status, p.location, p.body)
	}
	if got := h.fake.TokenRequests()["authorization_code"]; got != codes {
		t.Errorf("the code was spent on a callback with a wrong state (%d token requests, want %d)", got, codes)
	}
	if h.storedToken(u) != nil {
		t.Error("a token was stored")
	}
	// The state works once: the right one, after the refusal, is refused too.
	if p := b.get(back); p.status != http.StatusBadRequest {
		t.Errorf("the state was accepted after the callback that used it: %d", p.status)
	}
	// A callback in a browser that never started a sign-in is refused.
	if p := h.browser().get(back); p.status != http.StatusBadRequest {
		t.Errorf("a callback without a session: %d", p.status)
	}
}

func TestDeniedSignIn(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	b := h.browser()
	start := b.get("/login")
	back, err := h.users()[0].Deny(start.location)
	if err != nil {
		t.Fatal(err)
	}
	if p := b.get(back); p.status != http.StatusForbidden || !strings.Contains(p.body, "You chose not to") {
		t.Errorf("denied: %d\n%s", p.status, p.body)
	}
}

func TestRequestsWithoutASessionAreRefused(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	b := h.browser()
	for _, path := range []string{"/dashboard", "/workouts/abc"} {
		if p := b.get(path); p.status != http.StatusSeeOther || p.location != "/" {
			t.Errorf("GET %s without a session: %d %s", path, p.status, p.location)
		}
	}
	for _, path := range []string{"/workouts", "/disconnect"} {
		if p := b.do(http.MethodPost, path, url.Values{"csrf": {"x"}}); p.status != http.StatusForbidden {
			t.Errorf("POST %s without a session: %d", path, p.status)
		}
	}
	// A forged cookie is no session.
	u, _ := url.Parse(h.url)
	b.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "eyJ1IjoiYWJjIn0.c2lnbmF0dXJl"}})
	if p := b.get("/dashboard"); p.status != http.StatusSeeOther || p.location != "/" {
		t.Errorf("with a forged session cookie: %d %s", p.status, p.location)
	}
}

func TestFormsNeedTheCSRFTokenAndTheAppsOrigin(t *testing.T) {
	h := newHarness(t, harnessConfig{users: 2})
	a, b := h.browser(), h.browser()
	a.signIn(h.users()[0])
	b.signIn(h.users()[1])
	form := url.Values{"kind": {"2"}, "start": {time.Now().Add(-2 * time.Hour).Format(startLayout)}, "minutes": {"30"}}

	for name, csrf := range map[string]string{"no token": "", "another session's token": b.csrf()} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("csrf", csrf)
		if p := a.do(http.MethodPost, "/workouts", f); p.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, p.status)
		}
		if p := a.do(http.MethodPost, "/signout", f); p.status != http.StatusForbidden {
			t.Errorf("sign out with %s: %d", name, p.status)
		}
	}
	if h.storedToken(h.users()[0]) == nil {
		t.Error("a refused sign-out deleted the token")
	}
	// Another site's form, with the right token even, is refused.
	f := url.Values{"csrf": {a.csrf()}}
	if p := a.do(http.MethodPost, "/signout", f, "Origin", "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a POST from another origin: %d", p.status)
	}
	if n := countWorkoutsCreated(h); n != 0 {
		t.Errorf("%d workouts created by refused forms", n)
	}
}

// countWorkoutsCreated counts the workouts the fake was asked to create.
func countWorkoutsCreated(h *harness) int {
	n := 0
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/workouts") {
			n++
		}
	}
	return n
}

func TestLogAWorkout(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	u := h.users()[0]
	b := h.signedIn(u)
	loc, _ := time.LoadLocation("America/Los_Angeles") // the fake's users live there
	now := time.Now().In(loc)
	start := now.Add(-3 * time.Hour).Truncate(time.Minute)
	p := b.post("/workouts", url.Values{"kind": {"2"}, "start": {start.Format(startLayout)}, "minutes": {"45"},
		"intensity": {"4"}, "calories": {"420"}, "title": {"Lunch <run>"}})
	if p.status != http.StatusSeeOther || p.location != "/dashboard?logged=1" {
		t.Fatalf("logging a workout: %d %s\n%s", p.status, p.location, p.body)
	}
	var created *uptest.Request
	for _, r := range h.fake.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/users/@me/workouts") {
			created = &r
		}
	}
	if created == nil {
		t.Fatal("no workout created on UP")
	}
	want := map[string]string{"sub_type": "2", "time_created": strconv.FormatInt(start.Unix(), 10),
		"time_completed": strconv.FormatInt(start.Add(45*time.Minute).Unix(), 10), "intensity": "4",
		"calories": "420", "title": "Lunch <run>"}
	for k, v := range want {
		if got := created.Form.Get(k); got != v {
			t.Errorf("field %s = %q, want %q", k, got, v)
		}
	}
	d := b.get("/dashboard?logged=1")
	if !strings.Contains(d.body, "Workout logged.") || !strings.Contains(d.body, "Lunch &lt;run&gt;") {
		t.Errorf("the dashboard does not show the workout just logged:\n%s", d.body)
	}
}

func TestWorkoutFormErrors(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	b := h.browser()
	b.signIn(h.users()[0])
	loc, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Now().In(loc)
	ok := url.Values{"kind": {"2"}, "start": {now.Add(-2 * time.Hour).Format(startLayout)}, "minutes": {"30"}}
	cases := []struct {
		field, value, want string
	}{
		{"kind", "", "Choose the kind"},
		{"kind", "99", "Choose the kind"},
		{"start", "yesterday", "as a date and a time"},
		{"start", now.Add(time.Hour).Format(startLayout), "cannot start in the future"},
		{"start", now.AddDate(0, 0, -40).Format(startLayout), "last 30 days only"},
		{"minutes", "0", "from 1 to 1440"},
		{"minutes", "1441", "from 1 to 1440"},
		{"minutes", "ten", "whole number of minutes"},
		{"minutes", "600", "cannot end in the future"},
		{"intensity", "9", "Choose an intensity"},
		{"calories", "-5", "from 0 to 10000"},
		{"calories", "1e3", "from 0 to 10000"},
		{"title", strings.Repeat("x", 61), "to 60 characters"},
		{"title", "bad\x00title", "cannot be shown"},
	}
	for _, c := range cases {
		f := url.Values{}
		for k, v := range ok {
			f[k] = v
		}
		f.Set(c.field, c.value)
		p := b.post("/workouts", f)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%s=%q: %d, want 422", c.field, c.value, p.status)
			continue
		}
		if !strings.Contains(p.body, `id="`+c.field+`-error">`) || !strings.Contains(p.body, c.want) {
			t.Errorf("%s=%q: the form does not say %q next to the field", c.field, c.value, c.want)
		}
		// The form shows what was typed, escaped.
		if c.field == "title" && !strings.Contains(p.body, `value="`+strings.Repeat("x", 61)) && c.value != "bad\x00title" {
			t.Errorf("the form lost the title typed")
		}
	}
	if n := countWorkoutsCreated(h); n != 0 {
		t.Errorf("%d workouts created from invalid forms", n)
	}
}

func TestAnotherUsersWorkoutIsRefused(t *testing.T) {
	h := newHarness(t, harnessConfig{users: 2})
	a, other := h.users()[0], h.users()[1]
	b := h.signedIn(a)
	ob := h.signedIn(other)
	theirs := firstWorkoutXID(t, ob.get("/dashboard").body)
	mine := firstWorkoutXID(t, b.get("/dashboard").body)

	if p := b.get("/workouts/" + mine); p.status != http.StatusOK || !strings.Contains(p.body, `id="workout"`) {
		t.Fatalf("own workout: %d", p.status)
	}
	p := b.get("/workouts/" + theirs)
	if p.status != http.StatusNotFound || strings.Contains(p.body, theirs) {
		t.Errorf("another user's workout: %d\n%s", p.status, p.body)
	}
	for _, bad := range []string{"..%2F..%2Fusers", "a%20b", strings.Repeat("x", 65)} {
		if p := b.get("/workouts/" + bad); p.status != http.StatusNotFound {
			t.Errorf("workout %q: %d", bad, p.status)
		}
	}
}

// firstWorkoutXID returns the XID of the first workout a dashboard lists.
func firstWorkoutXID(t testing.TB, body string) string {
	t.Helper()
	xid, ok := workoutXIDIn(body)
	if !ok {
		t.Fatal("the dashboard lists no workout")
	}
	return xid
}

// workoutXIDIn returns the XID of the first workout a dashboard lists.
func workoutXIDIn(body string) (string, bool) {
	_, rest, ok := strings.Cut(body, `<li data-xid="`)
	xid, _, _ := strings.Cut(rest, `"`)
	return xid, ok
}

func TestWebhookRefreshesOnlyWhatChanged(t *testing.T) {
	h := newHarness(t, harnessConfig{users: 2})
	a, other := h.users()[0], h.users()[1]
	b := h.signedIn(a)
	ob := h.signedIn(other)
	b.get("/dashboard")
	ob.get("/dashboard")

	// A cached dashboard asks UP for nothing.
	h.fake.ResetRequests()
	b.get("/dashboard")
	if paths := h.apiPaths(a); len(paths) != 0 {
		t.Fatalf("a cached dashboard asked UP for %v", paths)
	}

	// A sleep added on UP's side is announced, and only sleeps are fetched again.
	sleep := uptest.Add(a, gen.Sleep{Details: gen.SleepDetails{Light: 4 * 3600, Sound: 2 * 3600, Rem: 1800}})
	h.settle()
	h.fake.ResetRequests()
	p := b.get("/dashboard")
	if paths := h.apiPaths(a); !slices.Equal(paths, []string{"GET /users/@me/sleeps"}) {
		t.Errorf("after a sleep notification the dashboard asked UP for %v, want the sleeps only", paths)
	}
	vals := chartValues(t, p.body, "sleep")
	if got, want := vals[len(vals)-1], strconv.Itoa(6*3600+1800); got != want {
		t.Errorf("today's sleep %s, want %s (the sleep %s just added)", got, want, sleep.XID)
	}
	// The other user's cache was not touched.
	h.fake.ResetRequests()
	ob.get("/dashboard")
	if paths := h.apiPaths(other); len(paths) != 0 {
		t.Errorf("another user's notification made the app fetch %v", paths)
	}
}

// notificationForm is a notification as UP posts it: a form with the JSON in
// the field "file".
func notificationForm(t testing.TB, n gen.WebhookNotification) url.Values {
	t.Helper()
	data, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"file": {string(data)}}
}

func TestForgedAndReplayedNotificationsChangeNothing(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	u := h.users()[0]
	b := h.signedIn(u)
	b.get("/dashboard")

	// A genuine notification, delivered by the fake and applied.
	m := uptest.Add(u, gen.Move{Details: gen.MoveDetails{Steps: 1234}})
	h.settle()
	var genuine gen.WebhookNotification
	for _, d := range u.Deliveries() {
		if d.Delivered && d.Notification.Events[0].EventXID != "" && d.Notification.Events[0].EventXID == m.XID {
			genuine = d.Notification
		}
	}
	if genuine.Events == nil {
		t.Fatal("the fake delivered no notification for the new move")
	}
	b.get("/dashboard") // fetches the moves again
	applied := h.app.metrics.applied.Load()

	post := func(form url.Values) int {
		// UP's request: a form, with no Origin.
		p := h.browser().do(http.MethodPost, webhookPath, form, "Origin", "")
		h.settle()
		return p.status
	}
	unchanged := func(what string) {
		t.Helper()
		h.fake.ResetRequests()
		b.get("/dashboard")
		if paths := h.apiPaths(u); len(paths) != 0 {
			t.Errorf("%s made the app fetch %v", what, paths)
		}
		if got := h.app.metrics.applied.Load(); got != applied {
			t.Errorf("%s was applied", what)
		}
	}

	// Forged: another application's secret_hash, or none.
	forged := genuine
	forged.Events = []gen.WebhookEvent{genuine.Events[0]}
	forged.Events[0].SecretHash = up.WebhookSecretHash("another-app", "its-secret")
	forged.Events[0].EventXID = "forged-event"
	if status := post(notificationForm(t, forged)); status != http.StatusForbidden {
		t.Errorf("a forged notification: %d, want 403", status)
	}
	unchanged("a forged notification")

	// Replayed: the genuine notification, sent again.
	if status := post(notificationForm(t, genuine)); status != http.StatusOK {
		t.Errorf("a replayed notification: %d", status)
	}
	unchanged("a replayed notification")

	// Replayed after the app forgot it: too old by its notification_timestamp.
	old := genuine
	old.Events = []gen.WebhookEvent{genuine.Events[0]}
	old.Events[0].EventXID = "an-event-the-app-never-saw"
	var ts gen.WebhookTimestamp
	_ = ts.FromWebhookTimestamp0(strconv.FormatInt(time.Now().Add(-25*time.Hour).Unix(), 10))
	old.NotificationTimestamp = ts
	if status := post(notificationForm(t, old)); status != http.StatusOK {
		t.Errorf("an old notification: %d", status)
	}
	unchanged("a notification older than the replay window")
	if n := h.app.metrics.tooOld.Load(); n != 1 {
		t.Errorf("%d events dropped for their age, want 1", n)
	}
}

func TestExpiredTokensRefreshOncePerUser(t *testing.T) {
	const users, loads = 3, 8
	h := newHarness(t, harnessConfig{users: users})
	browsers := make([]*browser, users)
	for i, u := range h.users() {
		browsers[i] = h.browser()
		browsers[i].signIn(u)
		browsers[i].get("/dashboard")
	}
	h.fake.ExpireAllAccessTokens()
	// Touch every user's data so that the next loads call UP, all at once.
	for _, u := range h.users() {
		uptest.Add(u, gen.Move{Details: gen.MoveDetails{Steps: 100}})
	}
	h.settle()
	var wg sync.WaitGroup
	errs := make(chan string, users*loads)
	for i, b := range browsers {
		for range loads {
			wg.Go(func() {
				// A workout of no one's: not found, but asked of UP.
				if p, err := b.send(http.MethodGet, "/workouts/W"+strconv.Itoa(i), nil); err != nil || p.status != http.StatusNotFound {
					errs <- fmt.Sprintf("user %d: workout page %d %v", i, p.status, err)
				}
				if p, err := b.send(http.MethodGet, "/dashboard", nil); err != nil || p.status != http.StatusOK {
					errs <- fmt.Sprintf("user %d: dashboard %d %v", i, p.status, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for _, u := range h.users() {
		if got := u.TokenRequests()["refresh_token"]; got != 1 {
			t.Errorf("%s: %d refreshes, want 1", u, got)
		}
		if got := u.RefreshTokenReplays(); got != 0 {
			t.Errorf("%s: %d refresh tokens sent again", u, got)
		}
	}
}

func TestRevokedUserIsAskedToConnectAgain(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	u := h.users()[0]
	b := h.signedIn(u)
	xid := firstWorkoutXID(t, b.get("/dashboard").body)
	u.Revoke()
	p := b.get("/workouts/" + xid)
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="connect-again"`) {
		t.Fatalf("a revoked user: %d\n%s", p.status, p.body)
	}
	// Every page says so now, the cached dashboard too.
	if p := b.get("/dashboard"); !strings.Contains(p.body, `id="connect-again"`) {
		t.Errorf("the dashboard after the revocation: %d", p.status)
	}
	// Connecting again stores a new token under the same key.
	b.signIn(u)
	if p := b.get("/dashboard"); p.status != http.StatusOK || !strings.Contains(p.body, `id="steps"`) {
		t.Errorf("the dashboard after connecting again: %d", p.status)
	}
}

func TestSignOutAndDisconnectClearSessionAndToken(t *testing.T) {
	h := newHarness(t, harnessConfig{users: 2})
	a, c := h.users()[0], h.users()[1]
	ba, bc := h.browser(), h.browser()
	ba.signIn(a)
	bc.signIn(c)
	copied := h.browser()
	copyCookies(t, h, ba, copied)

	p := ba.post("/signout", nil)
	if p.status != http.StatusSeeOther || p.location != "/?bye=signed-out" {
		t.Fatalf("sign out: %d %s", p.status, p.location)
	}
	if h.storedToken(a) != nil {
		t.Error("the token is still stored after signing out")
	}
	if p := ba.get("/dashboard"); p.status != http.StatusSeeOther || p.location != "/" {
		t.Errorf("the dashboard after signing out: %d %s", p.status, p.location)
	}
	// A copy of the signed-out session cookie leads nowhere either.
	if p := copied.get("/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("a copied session after sign-out: %d", p.status)
	}
	if h.storedToken(c) == nil {
		t.Error("signing one user out deleted another's token")
	}

	h.fake.ResetRequests()
	p = bc.post("/disconnect", nil)
	if p.status != http.StatusSeeOther || p.location != "/?bye=disconnected" {
		t.Fatalf("disconnect: %d %s", p.status, p.location)
	}
	if h.storedToken(c) != nil {
		t.Error("the token is still stored after disconnecting")
	}
	if paths := h.apiPaths(c); !slices.Contains(paths, "DELETE /users/@me/PartnerAppMembership") {
		t.Errorf("disconnect did not revoke the app's access on UP: %v", paths)
	}
	if p := bc.get("/dashboard"); p.status != http.StatusSeeOther {
		t.Errorf("the dashboard after disconnecting: %d", p.status)
	}
	if p := bc.get("/"); !strings.Contains(p.body, "Sign in with UP") {
		t.Error("the home page does not offer to sign in")
	}
}

// copyCookies gives to the cookies of from, as a thief of the cookie would
// hold them.
func copyCookies(t testing.TB, h *harness, from, to *browser) {
	t.Helper()
	u, _ := url.Parse(h.url)
	to.http.Jar.SetCookies(u, from.http.Jar.Cookies(u))
}

func TestSessionCookie(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s, err := newSessions([]byte(strings.Repeat("k", 32)), time.Hour, true, clock)
	if err != nil {
		t.Fatal(err)
	}
	sess := s.fresh()
	sess.User = "USERXID"
	value, err := s.sign(sess)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.parse(value); err != nil || got.User != "USERXID" || got.CSRF != sess.CSRF {
		t.Fatalf("parse: %+v, %v", got, err)
	}
	payload, sig, _ := strings.Cut(value, ".")
	other, _ := newSessions([]byte(strings.Repeat("o", 32)), time.Hour, true, clock)
	forged, _ := other.sign(sess)
	for name, v := range map[string]string{
		"altered payload": strings.Replace(payload, payload[2:4], "xx", 1) + "." + sig,
		"no signature":    payload,
		"other key":       forged,
		"empty":           "",
		"garbage":         "!!!.???",
	} {
		if _, err := s.parse(v); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	now = now.Add(time.Hour)
	if _, err := s.parse(value); err == nil {
		t.Error("an expired session was accepted")
	}
	if _, err := newSessions([]byte("short"), time.Hour, false, clock); err == nil {
		t.Error("a short key was accepted")
	}

	rec := &recorder{header: http.Header{}}
	if err := s.write(rec, sess); err != nil {
		t.Fatal(err)
	}
	c := rec.header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(c, attr) {
			t.Errorf("the cookie %q lacks %s", c, attr)
		}
	}
}

type recorder struct{ header http.Header }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(int)             {}

func TestCookieIsNotSecureOverPlainHTTP(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	p := h.browser().get("/login")
	c := p.header.Get("Set-Cookie")
	if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || strings.Contains(c, "Secure") {
		t.Errorf("cookie over http://127.0.0.1: %q", c)
	}
	for _, hdr := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if p.header.Get(hdr) == "" {
			t.Errorf("no %s header", hdr)
		}
	}
}

func TestPagesLoadNothingFromElsewhere(t *testing.T) {
	h := newHarness(t, harnessConfig{})
	b := h.browser()
	b.signIn(h.users()[0])
	for _, path := range []string{"/", "/dashboard"} {
		body := b.get(path).body
		for _, bad := range []string{"<script", "http://", "https://", "//cdn", "@import", "url("} {
			// The footer links to the SDK's repository: a link, not a resource.
			body = strings.ReplaceAll(body, `href="https://github.com/upapi/up-go"`, "")
			body = strings.ReplaceAll(body, `xmlns="http://www.w3.org/2000/svg"`, "")
			if strings.Contains(body, bad) {
				t.Errorf("%s holds %q", path, bad)
			}
		}
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	store := openTestStore(t, "")
	good := func() Options {
		return Options{Config: &up.Config{ClientID: "id", ClientSecret: "secret", RedirectURL: "https://app.example/up/callback", Store: store},
			PublicURL: "https://app.example", SessionKey: make([]byte, 32)}
	}
	if _, err := New(good()); err != nil {
		t.Fatalf("good options: %v", err)
	}
	for name, change := range map[string]func(*Options){
		"no store":          func(o *Options) { o.Config.Store = nil },
		"no secret":         func(o *Options) { o.Config.ClientSecret = "" },
		"bad public URL":    func(o *Options) { o.PublicURL = "app.example" },
		"other callback":    func(o *Options) { o.Config.RedirectURL = "https://app.example/oauth" },
		"short session key": func(o *Options) { o.SessionKey = make([]byte, 16) },
	} {
		o := good()
		change(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRunFake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut strings.Builder
	got := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-fake", "-users", "2", "-addr", "127.0.0.1:0"}, &out, &errOut,
			func(appURL string, fake *uptest.Server) { got <- appURL })
	}()
	var appURL string
	select {
	case appURL = <-got:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the app did not start")
	}
	b := (&harness{t: t, url: appURL}).browser()
	if p := b.get("/"); p.status != http.StatusOK {
		t.Errorf("home: %d", p.status)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	banner := out.String()
	for _, want := range []string{"open " + appURL + "/", "user1@example.com", "user2@example.com", "password " + uptest.DefaultPassword, "SQLite"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Contains(errOut.String(), "session key") {
		t.Errorf("-fake warned about the session key:\n%s", errOut.String())
	}
}

func TestFlags(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	var sink strings.Builder
	if _, err := parseFlags(nil, &sink, getenv); err == nil || !strings.Contains(err.Error(), "UP_CLIENT_ID") {
		t.Errorf("no credentials: %v", err)
	}
	env["UP_CLIENT_ID"], env["UP_CLIENT_SECRET"] = "id", "secret"
	env["WEBAPP_POSTGRES_DSN"] = "host=/var/run/postgresql dbname=app"
	s, err := parseFlags([]string{"-addr", ":9000"}, &sink, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if s.clientID != "id" || s.postgresDSN == "" || s.addr != ":9000" {
		t.Errorf("settings %+v", s)
	}
	if _, err := parseFlags([]string{"-fake"}, &sink, getenv); err == nil {
		t.Error("-fake with client credentials was accepted")
	}
	if _, err := parseFlags([]string{"extra"}, &sink, getenv); err == nil {
		t.Error("an argument was accepted")
	}
	if _, err := sessionKey("bm90IGVub3VnaA==", false, nil); err == nil {
		t.Error("a short session key was accepted")
	}
}
