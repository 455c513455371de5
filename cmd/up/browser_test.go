package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/upapi/up-go/internal/browsertest"
	"github.com/upapi/up-go/up/uptest"
)

// loginInChromium runs up login against a fake server that shows its login
// page, with headless Chromium as the user's browser: it opens the URL that
// login opens, signs in as the default user and presses button (#allow or
// #deny). It returns login's output and exit status, and the text of the
// page the browser ends on, login's own answer page.
func loginInChromium(t *testing.T, button string) (*env, string, string, int, string) {
	t.Helper()
	b := browsertest.New(t)
	e := newEnv(t, uptest.WithLoginPage(), uptest.WithAppName("up command line"))
	user := e.s.DefaultUser()
	a, stdout, stderr := e.app()
	browsed := make(chan string, 1)
	a.openBrowser = func(_ context.Context, u string) error {
		// As a real browser, it runs on its own while login waits for UP's answer.
		go func() {
			err := chromedp.Do(b.Ctx,
				chromedp.Navigate(u),
				chromedp.WaitVisible(chromedp.CSS(button)),
				chromedp.SendKeys(chromedp.CSS("#email"), user.Email()),
				chromedp.SendKeys(chromedp.CSS("#password"), user.Password()))
			if err == nil {
				b.Screenshot("login page")
				// The login page has an h1 too: wait for it to be gone before
				// waiting for the answer page's.
				err = chromedp.Do(b.Ctx, chromedp.Click(chromedp.CSS(button)),
					chromedp.WaitNotPresent(chromedp.CSS("#password")),
					chromedp.WaitVisible(chromedp.CSS("h1")))
			}
			if err != nil {
				browsed <- "browser: " + err.Error()
				return
			}
			b.Screenshot("login's answer")
			text, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("body")))
			if err != nil {
				text = "browser: " + err.Error()
			}
			browsed <- text
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(t.Context(), browsertest.Timeout)
	defer cancel()
	code := a.run(ctx, []string{"login", "--timeout", "60s"})
	var page string
	select {
	case page = <-browsed:
	case <-time.After(browsertest.Timeout):
		t.Fatal("the browser did not finish")
	}
	return e, stdout.String(), stderr.String(), code, page
}

func TestLoginInChromium(t *testing.T) {
	e, stdout, stderr, code, page := loginInChromium(t, "#allow")
	if code != exitOK {
		t.Fatalf("login: exit %d\n%s\npage: %s", code, stderr, page)
	}
	want := "Logged in as " + e.s.DefaultUser().Name() + " (xid " + e.s.UserXID() + "); token saved to " + e.tokenFile
	if !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("stdout %q and stderr %q, want only %q on stderr", stdout, stderr, want)
	}
	if !strings.Contains(page, "You are logged in") {
		t.Errorf("the browser ended on %q", page)
	}
	info, err := os.Stat(e.tokenFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v", err)
	}
	if out := e.ok("whoami"); !strings.Contains(out, e.s.UserXID()) {
		t.Errorf("whoami with the saved token: %s", out)
	}
	e.noSecrets(stdout + stderr + page)
}

func TestLoginDeniedInChromium(t *testing.T) {
	e, _, stderr, code, page := loginInChromium(t, "#deny")
	if code != exitFailure {
		t.Errorf("exit %d, want %d\n%s", code, exitFailure, stderr)
	}
	if !strings.Contains(stderr, "login refused: access was denied on the UP login page") {
		t.Errorf("stderr %q", stderr)
	}
	if !strings.Contains(page, "access was denied") {
		t.Errorf("the browser ended on %q", page)
	}
	if _, err := os.Stat(e.tokenFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a token file exists after a denied login: %v", err)
	}
}
