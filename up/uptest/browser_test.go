package uptest_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/upapi/up-go/internal/browsertest"
	"github.com/upapi/up-go/up/uptest"
)

// appServer stands in for the app: its callback page shows the query UP
// sent back, and its other page holds a form that posts to UP's login page
// from another site.
func appServer(t *testing.T, s *uptest.Server) *httptest.Server {
	t.Helper()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/callback":
			_, _ = fmt.Fprintf(w, `<!DOCTYPE html><title>App</title><p id="callback">%s</p>`, html.EscapeString(r.URL.RawQuery))
		case "/forged":
			_, _ = fmt.Fprintf(w, `<!DOCTYPE html><title>Evil</title><form method="post" action="%s">
<input name="email" value="%s"><input name="password" value="%s">
<button id="go" name="decision" value="allow">Win a prize</button></form>`,
				html.EscapeString(s.AuthURL), html.EscapeString(s.DefaultUser().Email()), html.EscapeString(s.DefaultUser().Password()))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(app.Close)
	return app
}

// TestLoginPageInBrowser signs in on the login page in headless Chromium:
// a wrong password, then Allow, whose code exchanges for the user's token;
// Deny; and a form posted from another site.
func TestLoginPageInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := uptest.NewServer(t, uptest.WithLoginPage(), uptest.WithUsers(3), uptest.WithAppName("Step Counter"))
	app := appServer(t, s)
	u := s.Users()[1]
	cfg := s.Config(app.URL+"/callback", "basic_read", "move_read", "sleep_read")

	b.Do("open the login page", chromedp.Navigate(cfg.AuthCodeURL("st4te")), chromedp.WaitVisible(chromedp.CSS("#allow")))
	b.Screenshot("login page")
	if got := b.Text("#app"); got != "Step Counter" {
		t.Errorf("app name %q", got)
	}
	if got := b.Text("#scopes"); !strings.Contains(got, "Read sleeps, sleep trends and sleep-mode band events.") {
		t.Errorf("scopes %q", got)
	}

	b.Do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.CSS("#email"), u.Email()),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password"),
		chromedp.Click(chromedp.CSS("#allow")),
		chromedp.WaitVisible(chromedp.CSS("#error")))
	b.Screenshot("wrong password")
	if got := b.Text("#error"); got != "The email or password is incorrect." {
		t.Errorf("error %q", got)
	}

	b.Do("sign in and allow",
		chromedp.SendKeys(chromedp.CSS("#password"), u.Password()),
		chromedp.Click(chromedp.CSS("#allow")),
		chromedp.WaitVisible(chromedp.CSS("#callback")))
	b.Screenshot("allowed")
	q, err := url.ParseQuery(b.Text("#callback"))
	if err != nil || q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("the app got %q (%v)", b.Text("#callback"), err)
	}
	st, tok, oerr := tokenCall(t, s, exchangeForm(s, q.Get("code")))
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %+v", st, oerr)
	}
	if metaXID, _ := me(t, s, tok.AccessToken); metaXID != u.XID() {
		t.Errorf("the token is %s's, want %s's", metaXID, u.XID())
	}

	b.Do("deny", chromedp.Navigate(cfg.AuthCodeURL("again")), chromedp.WaitVisible(chromedp.CSS("#deny")),
		chromedp.Click(chromedp.CSS("#deny")), chromedp.WaitVisible(chromedp.CSS("#callback")))
	b.Screenshot("denied")
	if q, _ := url.ParseQuery(b.Text("#callback")); q.Get("error") != "access_denied" || q.Get("state") != "again" || q.Has("code") {
		t.Errorf("Deny sent the app %q", b.Text("#callback"))
	}

	b.Do("post a forged form", chromedp.Navigate(app.URL+"/forged"), chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("h1")))
	b.Screenshot("forged form refused")
	if loc := b.Location(); !strings.HasPrefix(loc, s.AuthURL) {
		t.Errorf("the forged form led to %s, want UP's refusal page", loc)
	}
	if got := b.Text("body"); !strings.Contains(got, "We could not authorize this app") {
		t.Errorf("the forged form got %q", got)
	}
}
