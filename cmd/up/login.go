package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
)

const loginHelp = `
Log in to UP in the browser and save the token in the token file (mode 0600).

login listens on 127.0.0.1 for UP's answer: on the port of the redirect URL
when UP_REDIRECT_URL is http://127.0.0.1:PORT/... or http://localhost:PORT/...,
otherwise on a free port, and the redirect URL is then
http://127.0.0.1:PORT/callback (it must be registered for the application).
It prints the login URL and opens it in a browser when one is available. The
first answer that carries this login's state decides: its code is exchanged
for a token (or its error reported), and any later answer gets an error page.
An answer with a wrong or missing state, which could be forged by any page
the browser visits, gets an error page and is otherwise ignored: login goes
on waiting for the real one. login gives up after --timeout, or on Ctrl-C.

Scopes: by default every read scope (basic_read, extended_read, ... and the
deprecated cardiac_read), which is what whoami, friends, list, get and export
need; the CLI writes nothing. --scopes all asks for the write scopes too.
basic_read is always asked for, to show who logged in.
`

// loginPage is the page the browser shows after UP sends the user back.
const loginPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>up: %s</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>%s</h1><p>%s</p></body></html>
`

func (a *app) login(ctx context.Context, args []string) error {
	fs := a.flags("login", "[--scope s ...|--scopes a,b] [--timeout d] [--no-browser]", loginHelp)
	c := connFlags(fs)
	var scopeList stringsFlag
	fs.Var(&scopeList, "scope", "a `scope` to ask for (repeatable; or read, all)")
	scopes := fs.String("scopes", "", "comma-separated `scopes` to ask for; read (default: every read scope) or all")
	timeout := durationVar(fs, "timeout", 5*time.Minute, "how long to wait for the login to complete: `seconds` (300) or a Go duration (5m)")
	noBrowser := fs.Bool("no-browser", false, "print the login URL without opening a browser")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	a.resolve(fs, c)
	if *scopes != "" {
		scopeList = append(scopeList, strings.Split(*scopes, ",")...)
	}
	asked, err := parseScopes(scopeList)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageErrorf("login: --timeout must be positive")
	}
	cfg, st, err := a.config(c)
	if err != nil {
		return err
	}
	cfg.Scopes = asked

	addr, redirect, path := loopbackRedirect(c.redirectURL)
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return failf(exitFailure, err, "cannot listen on %s for the login answer: %v", addr, err)
	}
	if redirect == "" {
		redirect = fmt.Sprintf("http://%s/callback", l.Addr())
		if c.redirectURL != "" {
			a.printf(a.stderr, "note: UP_REDIRECT_URL %s is not http://127.0.0.1:PORT/... or http://localhost:PORT/...; using %s, which must be registered for the app\n", c.redirectURL, redirect)
		}
	}
	cfg.RedirectURL = redirect

	state, err := up.NewState()
	if err != nil {
		_ = l.Close()
		return err
	}
	authURL := cfg.AuthCodeURL(state)
	if err := a.checkLoginPage(ctx, authURL, redirect); err != nil {
		_ = l.Close()
		return err
	}

	loginCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	results := make(chan loginResult, 1)
	callback := &callbackHandler{path: path, cfg: cfg, state: state, results: results}
	srv := &http.Server{
		Handler:           callback,
		ReadHeaderTimeout: 10 * time.Second,
		// Each request's context is the login's, which ends on timeout or
		// Ctrl-C (and with the request, should the browser go away).
		BaseContext: func(net.Listener) context.Context { return loginCtx },
	}
	served := make(chan struct{})
	go func() {
		_ = srv.Serve(l) // ErrServerClosed after Shutdown
		close(served)
	}()
	defer func() {
		shutCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shutCtx)
		<-served
	}()

	a.printf(a.stderr, "Log in to UP at this URL (waiting %s for the answer at %s):\n\n  %s\n\n", *timeout, redirect, authURL)
	if !*noBrowser && a.openBrowser != nil {
		if err := a.openBrowser(ctx, authURL); err != nil {
			a.printf(a.stderr, "(no browser opened: %v; open the URL yourself)\n", err)
		}
	}

	var res loginResult
	select {
	case res = <-results:
	case <-loginCtx.Done():
		if ctx.Err() != nil {
			return failf(exitInterrupted, ctx.Err(), "login interrupted")
		}
		ignored := ""
		if n := callback.forged.Load(); n > 0 {
			ignored = fmt.Sprintf(" (%d with a wrong state ignored)", n)
		}
		return failf(exitFailure, loginCtx.Err(), "login timed out after %s: no answer came back to %s%s", *timeout, redirect, ignored)
	}
	if res.err != nil {
		return loginError(res.err, st.Path())
	}

	client := cfg.Client(res.tok)
	user, _, err := client.User(ctx)
	if err != nil {
		msg, _ := describe(ctx, err)
		a.printf(a.stderr, "Logged in; token saved to %s.\n", st.Path())
		a.printf(a.stderr, "up: could not read the profile: %s\n", msg)
		return nil
	}
	a.printf(a.stderr, "Logged in as %s (xid %s); token saved to %s.\n", userName(user), user.XID, st.Path())
	return nil
}

// loginResult is what the callback handler got.
type loginResult struct {
	tok *oauth2.Token
	err error
}

// callbackHandler receives UP's redirect: the first request to path that
// carries the login's state is exchanged for a token; later ones get an
// error page and are ignored, and so do those with a wrong state, which
// anyone can send to a loopback port.
type callbackHandler struct {
	path    string
	cfg     *up.Config
	state   string
	claimed atomic.Bool
	forged  atomic.Int64 // answers ignored for their state
	results chan<- loginResult
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != h.path {
		http.NotFound(w, r)
		return
	}
	// Exchange checks the state too; checking it here, before the claim,
	// keeps a forged answer from ending the login.
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(h.state)) != 1 {
		h.forged.Add(1)
		writeLoginPage(w, http.StatusBadRequest, "Not this login",
			"This answer does not carry the state of the login under way (it is stale or forged) and was ignored; the login is still waiting for UP's answer.")
		return
	}
	if !h.claimed.CompareAndSwap(false, true) {
		writeLoginPage(w, http.StatusConflict, "Already answered",
			"This login has already received its answer; this request was ignored. You can close this window.")
		return
	}
	ctx := r.Context()
	back := "http://" + r.Host + r.URL.RequestURI()
	tok, err := h.cfg.Exchange(ctx, back, h.state)
	if err != nil && tok == nil {
		msg, _ := describe(ctx, loginError(err, ""))
		writeLoginPage(w, http.StatusBadRequest, "Login failed", msg+". Return to the terminal.")
	} else {
		writeLoginPage(w, http.StatusOK, "Logged in to UP", "You are logged in. You can close this window and return to the terminal.")
	}
	h.results <- loginResult{tok: tok, err: err}
}

// writeLoginPage writes the page the browser shows, its text escaped.
func writeLoginPage(w http.ResponseWriter, status int, title, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	t, p := html.EscapeString(title), html.EscapeString(text)
	_, _ = fmt.Fprintf(w, loginPage, t, t, p)
}

// loginError explains why a login failed. path, when set, is the token file.
func loginError(err error, path string) error {
	var (
		ae *up.AuthorizationError
		te *up.TokenError
		se *up.StorageError
	)
	switch {
	case errors.Is(err, up.ErrAccessDenied):
		return failf(exitFailure, err, "login refused: access was denied on the UP login page")
	case errors.As(err, &ae):
		msg := "login failed: the UP login page answered " + ae.Code
		if ae.Description != "" {
			msg += " (" + ae.Description + ")"
		}
		return failf(exitFailure, err, "%s", msg)
	case errors.Is(err, up.ErrStateMismatch):
		return failf(exitFailure, err, "login failed: the answer's state does not match this login (a stale or forged answer); run 'up login' again")
	case errors.Is(err, up.ErrMissingCode):
		return failf(exitFailure, err, "login failed: the answer carried no authorization code")
	case errors.As(err, &te) && te.Code == "invalid_grant":
		return failf(exitAPI, err, "login failed: UP refused the authorization code (%s); if the redirect URL differs from the registered one, set UP_REDIRECT_URL to it", te.Description)
	case errors.As(err, &se):
		where := ""
		if path != "" {
			where = " to " + path
		}
		return failf(exitFailure, err, "logged in, but the token could not be saved%s: %s", where, trimUp(se.Error()))
	}
	return err
}

// loopbackRedirect decides where login listens and the redirect URL: the
// configured one when it is loopback http with a port, else a free port
// (redirect is then "" until the port is known).
func loopbackRedirect(configured string) (addr, redirect, path string) {
	if u, err := url.Parse(configured); err == nil && u.Scheme == "http" && u.Port() != "" &&
		(u.Hostname() == "127.0.0.1" || strings.EqualFold(u.Hostname(), "localhost")) {
		path = u.Path
		if path == "" {
			path = "/"
		}
		return net.JoinHostPort("127.0.0.1", u.Port()), configured, path
	}
	return "127.0.0.1:0", "", "/callback"
}

// checkLoginPage asks for the login page once, without following its
// redirect, so that a refusal (an unknown client ID or an unregistered
// redirect URL, which UP answers with a 4xx page and never a redirect) is
// reported at once rather than only in the browser.
func (a *app) checkLoginPage(ctx context.Context, authURL, redirect string) error {
	hc := &http.Client{}
	if a.httpClient != nil {
		*hc = *a.httpClient
	}
	if hc.Timeout == 0 {
		hc.Timeout = 30 * time.Second
	}
	hc.Jar = nil
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return failf(exitInterrupted, ctx.Err(), "login interrupted")
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if isJawbone(authURL) {
			return failf(exitAPI, err, "cannot reach the UP login page: %v; %s", err, msgJawboneGone)
		}
		return failf(exitAPI, err, "cannot reach the UP login page: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<10))
	text := pageText(body)
	if text == "" {
		text = http.StatusText(resp.StatusCode)
	}
	return failf(exitAPI, nil, "the UP login page refused the request (%d): %s; check UP_CLIENT_ID, and that the redirect URL %s is registered for the app (set UP_REDIRECT_URL to a registered http://127.0.0.1:PORT/... URL)",
		resp.StatusCode, text, redirect)
}

var (
	htmlTag     = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>|<[^>]*>`)
	htmlTitleE  = regexp.MustCompile(`(?is)<title>.*?</title>`)
	htmlHeading = regexp.MustCompile(`(?i)</h[1-6]>`)
)

// pageText returns the words of an HTML page, without its title, cut short.
func pageText(body []byte) string {
	s := htmlTitleE.ReplaceAllString(string(body), " ")
	s = htmlHeading.ReplaceAllString(s, ": ")
	s = html.UnescapeString(htmlTag.ReplaceAllString(s, " "))
	s = strings.TrimRight(strings.Trim(oneLine(s), ": "), ".")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// parseScopes reads the --scope and --scopes values: scope names, "read"
// (every read scope) or "all". basic_read is always included.
func parseScopes(given []string) ([]up.Scope, error) {
	var out []up.Scope
	add := func(s up.Scope) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(up.ScopeBasicRead)
	if len(given) == 0 {
		given = []string{"read"}
	}
	for _, g := range given {
		g = strings.TrimSpace(g)
		switch g {
		case "":
			continue
		case "read", "all":
			for _, s := range up.AllScopes() {
				if g == "all" || strings.HasSuffix(string(s), "_read") {
					add(s)
				}
			}
			continue
		}
		if !slices.Contains(up.AllScopes(), up.Scope(g)) {
			return nil, usageErrorf("login: unknown scope %q (want read, all or any of: %s)", g, up.AllScopes())
		}
		add(up.Scope(g))
	}
	all := up.AllScopes()
	slices.SortFunc(out, func(a, b up.Scope) int { return slices.Index(all, a) - slices.Index(all, b) })
	return out, nil
}

// systemBrowser opens url with the system's opener, when there is one. It
// does not wait for the browser.
func (a *app) systemBrowser(ctx context.Context, u string) error {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name, args = "open", []string{u}
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", u}
	default:
		if a.getenv("DISPLAY") == "" && a.getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display")
		}
		name, args = "xdg-open", []string{u}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s not found", name)
	}
	cmd := exec.CommandContext(context.WithoutCancel(ctx), path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
