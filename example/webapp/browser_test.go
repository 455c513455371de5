package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/internal/browsertest"
	"github.com/upapi/up-go/internal/realpart"
	"github.com/upapi/up-go/up/uptest"
)

// The browser tests drive headless Chromium (Debian's chromium package)
// with chromedp. Without Chromium they skip, saying so, unless
// UP_REQUIRE_CHROMIUM=1 (as CI sets it) makes that a failure. Screenshots go
// to $UP_TEST_ARTIFACTS/<test> (or the test's temporary directory); with
// WEBAPP_SCREENSHOTS=1 the ones the README shows are also written to
// screenshots/.
const (
	screenshotsEnv = "WEBAPP_SCREENSHOTS"
	browserTimeout = 3 * time.Minute
)

// chromium starts headless Chromium for t, with a profile of its own, and
// returns the context of its first tab; the browser stops when t ends.
func chromium(t *testing.T) context.Context {
	t.Helper()
	path, err := browsertest.Find(os.Getenv)
	if err != nil {
		realpart.Absent(t, realpart.Chromium, fmt.Sprintf("%v: install Chromium (Debian: apt-get install -y chromium), or set %s to its path", err, browsertest.PathEnv))
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // CI runs the tests as root
		chromedp.DisableGPU,
		// Nothing but the app and the fake: no updates, sync or other traffic.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1200, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	first, cancelFirst := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelFirst(); cancelAlloc(); cancel() })
	if err := chromedp.Do(first); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	return first
}

// person is someone at a browser: a browser context of their own (cookies
// and storage apart from every other person's, as in a separate profile).
type person struct {
	t     *testing.T
	name  string
	ctx   context.Context
	shots string // the artifacts directory
	n     int
}

func newPerson(t *testing.T, browser context.Context, name string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("a browser context for %s: %v", name, err)
	}
	return &person{t: t, name: name, ctx: ctx, shots: browsertest.Artifacts(t)}
}

// do runs steps, and on failure takes a screenshot and fails the test.
func (p *person) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.screenshot("failed-" + what)
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// text returns the visible text of the first element sel matches.
func (p *person) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.screenshot("failed-text")
		p.t.Fatalf("%s: the text of %s: %v", p.name, sel, err)
	}
	return s
}

// eval evaluates a JavaScript expression in the page, from the test's side
// (the app's pages run no script).
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, expr, err)
	}
	return v
}

func (p *person) location() string { return eval[string](p, "location.href") }

// bars returns the data-value of each bar of a chart, day by day.
func (p *person) bars(chartID string) []string {
	return eval[[]string](p, fmt.Sprintf(`[...document.querySelectorAll('#%s rect.bar')].map(r => r.dataset.value)`, chartID))
}

// screenshot saves the page as NN-<name>.png in the artifacts directory and,
// for the README's images (readme != ""), as screenshots/<readme>.png when
// WEBAPP_SCREENSHOTS=1.
func (p *person) screenshot(name string, readme ...string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	p.n++
	path := filepath.Join(p.shots, fmt.Sprintf("%02d-%s-%s.png", p.n, p.name, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
	if len(readme) > 0 && os.Getenv(screenshotsEnv) == "1" {
		if err := os.WriteFile(filepath.Join("screenshots", readme[0]+".png"), png, 0o644); err != nil {
			p.t.Errorf("screenshot %s: %v", name, err)
		}
	}
}

// signIn signs in through the app and the fake's login page as u, and
// ends on the dashboard.
func (p *person) signIn(h *harness, u *uptest.User, shoot bool) {
	p.t.Helper()
	p.do("open the app", chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	if shoot {
		p.screenshot("home")
	}
	p.do("go to UP", chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#allow")))
	p.do("sign in on UP's page",
		chromedp.SendKeys(chromedp.CSS("#email"), u.Email()),
		chromedp.SendKeys(chromedp.CSS("#password"), u.Password()))
	if shoot {
		p.screenshot("up-login", "up-login")
	}
	p.do("allow the app", chromedp.Click(chromedp.CSS("#allow")), chromedp.WaitVisible(chromedp.CSS("#steps")))
	if got := p.location(); got != h.url+"/dashboard" {
		p.t.Fatalf("%s signed in and landed on %s", p.name, got)
	}
}

func (p *person) load(url, waitFor string) {
	p.t.Helper()
	p.do("load "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func TestBrowserJourney(t *testing.T) {
	browser := chromium(t)
	h := newHarness(t, harnessConfig{users: 3})
	ua, ub := h.users()[1], h.users()[2]
	alice, bob := newPerson(t, browser, "alice"), newPerson(t, browser, "bob")

	// Two people sign in, each in a browser context of their own, and each
	// sees their own charts.
	alice.signIn(h, ua, true)
	bob.signIn(h, ub, false)
	for _, c := range []struct {
		p *person
		u *uptest.User
	}{{alice, ua}, {bob, ub}} {
		first, _, _ := strings.Cut(c.u.Name(), " ")
		if got := c.p.text("#signed-in-as"); got != "Signed in as "+first {
			t.Errorf("%s: header %q", c.p.name, got)
		}
		if got, want := c.p.bars("steps"), expectedDaily(t, h, c.u, resMoves); !slices.Equal(got, want) {
			t.Errorf("%s: steps %v, want %v", c.p.name, got, want)
		}
		if got, want := c.p.bars("sleep"), expectedDaily(t, h, c.u, resSleeps); !slices.Equal(got, want) {
			t.Errorf("%s: sleep %v, want %v", c.p.name, got, want)
		}
	}
	if slices.Equal(alice.bars("steps"), bob.bars("steps")) || slices.Equal(alice.bars("sleep"), bob.bars("sleep")) {
		t.Error("both people see the same charts")
	}
	alice.screenshot("dashboard", "dashboard")

	// Alice logs a workout: first with a mistake, shown in the form, then
	// right, and sees it on her dashboard.
	loc, _ := time.LoadLocation("America/Los_Angeles") // the fake's users live there
	start := time.Now().In(loc).Add(-2 * time.Hour).Format(startLayout)
	alice.do("fill in the workout form with a mistake",
		chromedp.SetValue(chromedp.CSS("#kind"), "2"),
		chromedp.SetValue(chromedp.CSS("#start"), start),
		chromedp.SetValue(chromedp.CSS("#minutes"), "0"),
		chromedp.SetValue(chromedp.CSS("#intensity"), "3"),
		chromedp.SetValue(chromedp.CSS("#title"), "Evening run"),
		chromedp.Click(chromedp.CSS("#log")),
		chromedp.WaitVisible(chromedp.CSS("#minutes-error")))
	if got := alice.text("#minutes-error"); !strings.Contains(got, "from 1 to 1440") {
		t.Errorf("the form's error: %q", got)
	}
	if got := eval[string](alice, `document.querySelector('#title').value`); got != "Evening run" {
		t.Errorf("the form lost the title: %q", got)
	}
	alice.screenshot("form-error", "form-error")
	alice.do("correct the duration",
		chromedp.SetValue(chromedp.CSS("#minutes"), "40"),
		chromedp.Click(chromedp.CSS("#log")),
		chromedp.WaitVisible(chromedp.CSS("#notice")))
	if got := alice.text("#workouts li"); !strings.HasPrefix(got, "Evening run") {
		t.Errorf("the newest workout on the dashboard: %q", got)
	}
	if got := alice.text("#notice"); got != "Workout logged." {
		t.Errorf("notice %q", got)
	}

	// A sleep of Bob's is added on UP's side; UP's notification reaches the
	// app, and Bob's next load shows it.
	before := bob.bars("sleep")
	uptest.Add(ub, gen.Sleep{Details: gen.SleepDetails{Light: 4 * 3600, Sound: 3 * 3600}})
	h.settle()
	bob.load(h.url+"/dashboard", "#sleep")
	after := bob.bars("sleep")
	if want := fmt.Sprint(7 * 3600); after[len(after)-1] != want || !slices.Equal(after[:len(after)-1], before[:len(before)-1]) {
		t.Errorf("Bob's sleep after the notification %v, want today %s and the rest as before %v", after, want, before)
	}

	// Access tokens expire mid-session; the pages keep working, and each
	// person's token is refreshed once.
	h.fake.ExpireAllAccessTokens()
	aliceWorkout := eval[string](alice, `document.querySelector('#workouts li').dataset.xid`)
	bobWorkout := eval[string](bob, `document.querySelector('#workouts li').dataset.xid`)
	for range 2 {
		alice.load(h.url+"/workouts/"+aliceWorkout, "#workout")
		bob.load(h.url+"/workouts/"+bobWorkout, "#workout")
		alice.load(h.url+"/dashboard", "#steps")
		bob.load(h.url+"/dashboard", "#steps")
	}
	for _, u := range []*uptest.User{ua, ub} {
		if got := u.TokenRequests()["refresh_token"]; got != 1 {
			t.Errorf("%s: %d refreshes after the tokens expired, want 1", u, got)
		}
	}

	// Bob asks for Alice's workout by its XID: refused.
	bob.load(h.url+"/workouts/"+aliceWorkout, "#message")
	if got := bob.text("#message"); got != "Not found" {
		t.Errorf("Bob asking for Alice's workout: %q", got)
	}
	if body := eval[string](bob, "document.body.innerText"); strings.Contains(body, "Evening run") {
		t.Error("Bob sees Alice's workout")
	}

	// Alice signs out: her session and her stored token are gone.
	alice.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if got := alice.text("#notice"); got != "You are signed out." {
		t.Errorf("after signing out: %q", got)
	}
	if h.storedToken(ua) != nil {
		t.Error("Alice's token is still stored after she signed out")
	}
	alice.load(h.url+"/dashboard", "#signin")
	if got := alice.location(); got != h.url+"/" {
		t.Errorf("Alice's dashboard after signing out went to %s", got)
	}

	// Bob disconnects: UP revokes the app's access, the token is gone.
	bob.load(h.url+"/dashboard", "#disconnect")
	bob.do("disconnect", chromedp.Click(chromedp.CSS("#disconnect")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if got := bob.text("#notice"); !strings.Contains(got, "no longer has access") {
		t.Errorf("after disconnecting: %q", got)
	}
	if h.storedToken(ub) != nil {
		t.Error("Bob's token is still stored after he disconnected")
	}
	bob.load(h.url+"/dashboard", "#signin")
}

func TestBrowserRevokedAndWrongState(t *testing.T) {
	browser := chromium(t)
	h := newHarness(t, harnessConfig{users: 2})
	u := h.users()[0]
	carol := newPerson(t, browser, "carol")
	carol.signIn(h, u, false)

	// UP revokes the app's access (Carol disconnected it in UP's own app):
	// the next page that asks UP offers to connect again.
	xid := eval[string](carol, `document.querySelector('#workouts li').dataset.xid`)
	u.Revoke()
	carol.load(h.url+"/workouts/"+xid, "#connect-again")
	carol.screenshot("connect-again", "connect-again")
	carol.load(h.url+"/dashboard", "#connect-again")
	// Connecting again leads to the dashboard, under the same key.
	carol.do("connect again", chromedp.Click(chromedp.CSS("#reconnect")), chromedp.WaitVisible(chromedp.CSS("#allow")))
	carol.do("sign in on UP's page",
		chromedp.SendKeys(chromedp.CSS("#email"), u.Email()),
		chromedp.SendKeys(chromedp.CSS("#password"), u.Password()),
		chromedp.Click(chromedp.CSS("#allow")),
		chromedp.WaitVisible(chromedp.CSS("#steps")))
	if h.storedToken(u) == nil {
		t.Error("no token stored under Carol's XID after she connected again")
	}

	// A callback whose state is not the one this browser was given is
	// refused, and the code is not spent.
	dave := newPerson(t, browser, "dave")
	dave.load(h.url+"/", "#signin")
	dave.do("go to UP", chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#allow")))
	auth := dave.location()
	back, err := h.users()[1].Allow(auth)
	if err != nil {
		t.Fatal(err)
	}
	codes := h.fake.TokenRequests()["authorization_code"]
	forged := regexp.MustCompile(`state=[^&]*`).ReplaceAllString(back, "state=forged")
	dave.load(forged, "#message")
	if got := dave.text("#message"); got != "Sign-in refused" {
		t.Errorf("a callback with a wrong state: %q", got)
	}
	if h.fake.TokenRequests()["authorization_code"] != codes {
		t.Error("the code of a refused callback was exchanged")
	}
	if h.storedToken(h.users()[1]) != nil {
		t.Error("a token was stored for a refused callback")
	}
	dave.screenshot("wrong-state")
}

// TestBrowserMissing checks the skip and failure of a machine without
// Chromium.
func TestBrowserMissing(t *testing.T) {
	if os.Getenv("WEBAPP_TEST_NO_CHROMIUM") != "1" {
		t.Skip("run by TestChromiumAbsence in a child process")
	}
	t.Setenv("PATH", t.TempDir())
	chromium(t)
	t.Error("chromium returned without Chromium")
}

func TestChromiumAbsence(t *testing.T) {
	for _, required := range []bool{false, true} {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run", "^TestBrowserMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "WEBAPP_TEST_NO_CHROMIUM=1", browsertest.PathEnv+"=", "UP_REQUIRE_REAL_PARTS=", "UP_REAL_PARTS_SKIPPED_LOG=")
		if required {
			cmd.Env = append(cmd.Env, "UP_REQUIRE_CHROMIUM=1")
		} else {
			cmd.Env = append(cmd.Env, "UP_REQUIRE_CHROMIUM=")
		}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case required && (!errors.As(err, &exit) || !strings.Contains(string(out), "chromium is required")):
			t.Errorf("required and missing: %v\n%s", err, out)
		case !required && (err != nil || !strings.Contains(string(out), "SKIPPED: needs chromium, which is not available")):
			t.Errorf("missing: %v\n%s", err, out)
		}
	}
}
