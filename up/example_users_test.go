package up_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// webApp is the part of a web application that connects its users to UP:
// one Config, whose Store keeps every user's token under the application's
// own user ID.
type webApp struct {
	cfg *up.Config
}

// routes serves the connect, callback, steps and disconnect pages.
func (a *webApp) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /up/connect", a.connect)
	mux.HandleFunc("GET /up/callback", a.callback)
	mux.HandleFunc("GET /steps", a.steps)
	mux.HandleFunc("POST /up/disconnect", a.disconnect)
	return mux
}

// userID returns the application's own ID of the signed-in user. The
// application's sign-in is a cookie here, for brevity; a real application
// asks its session.
func userID(r *http.Request) string {
	c, err := r.Cookie("user")
	if err != nil {
		return ""
	}
	return c.Value
}

// connect sends the user to UP's login page, with a fresh state kept in a
// cookie until UP sends the user back.
func (a *webApp) connect(w http.ResponseWriter, r *http.Request) {
	state, err := up.NewState()
	if err != nil {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "up_state", Value: state, Path: "/up/", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, a.cfg.AuthCodeURL(state), http.StatusFound)
}

// callback completes the login and stores the token under the user's ID.
func (a *webApp) callback(w http.ResponseWriter, r *http.Request) {
	state, err := r.Cookie("up_state")
	if err != nil {
		http.Error(w, "the login expired: connect again", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "up_state", Path: "/up/", MaxAge: -1})
	_, err = a.cfg.ExchangeFor(r.Context(), userID(r), r.URL.String(), state.Value)
	switch {
	case errors.Is(err, up.ErrAccessDenied):
		http.Error(w, "you declined to connect UP", http.StatusForbidden)
	case err != nil:
		http.Error(w, "could not connect UP", http.StatusBadGateway)
	default:
		http.Redirect(w, r, "/steps", http.StatusFound)
	}
}

// steps makes a Client for the request from the store and calls UP. A user
// without a token, or whose token UP no longer accepts, logs in again.
func (a *webApp) steps(w http.ResponseWriter, r *http.Request) {
	client, err := a.cfg.ClientFor(r.Context(), userID(r))
	if err == nil {
		var user *up.User
		if user, _, err = client.User(r.Context()); err == nil {
			_, _ = fmt.Fprintf(w, "Hello, %s", user.First)
			return
		}
	}
	if errors.Is(err, up.ErrNoToken) || errors.Is(err, up.ErrLoginRequired) {
		http.Redirect(w, r, "/up/connect", http.StatusFound)
		return
	}
	http.Error(w, "UP is unavailable", http.StatusBadGateway)
}

// disconnect revokes the app's access and deletes the user's token.
func (a *webApp) disconnect(w http.ResponseWriter, r *http.Request) {
	client, err := a.cfg.ClientFor(r.Context(), userID(r))
	if err == nil {
		err = client.Disconnect(r.Context())
	}
	if err != nil && !errors.Is(err, up.ErrNoToken) {
		http.Error(w, "could not disconnect", http.StatusBadGateway)
		return
	}
	_, _ = io.WriteString(w, "disconnected")
}

// browser is a user's browser, signed in to the application as user.
func browser(appURL, user string) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(appURL)
	jar.SetCookies(u, []*http.Cookie{{Name: "user", Value: user, Path: "/"}})
	return &http.Client{Jar: jar}
}

// visit requests url in b and returns the page it ends on.
func visit(b *http.Client, method, url string) string {
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := b.Do(req)
	if err != nil {
		return err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	page, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(page))
}

// Example_servingManyUsers runs a web application that connects two of its
// users to UP (a fake UP, here) with one Config and one Store: a login
// each, requests that each make a Client from the store, a burst of
// requests once every token has expired (one refresh per user, however
// many requests meet the expired token), and a disconnect.
func Example_servingManyUsers() {
	fake := uptest.New() // stands in for jawbone.com
	defer fake.Close()
	store := up.NewMemoryStore() // one process; up.NewFileStore, or a SQL store, for more
	app := &webApp{}
	srv := httptest.NewServer(app.routes())
	defer srv.Close()
	app.cfg = up.ConfigFor(fake)
	app.cfg.RedirectURL = srv.URL + "/up/callback"
	app.cfg.Scopes = up.Scopes{up.ScopeBasicRead}
	app.cfg.Store = store

	browsers := map[string]*http.Client{"alice": browser(srv.URL, "alice"), "bob": browser(srv.URL, "bob")}
	for _, user := range []string{"alice", "bob"} {
		// No token yet: /steps sends the user to UP, UP back to the
		// callback, and the callback on to /steps.
		fmt.Printf("%s: %s\n", user, visit(browsers[user], http.MethodGet, srv.URL+"/steps"))
	}

	fake.ExpireAccessTokens()
	var wg sync.WaitGroup
	pages := make(chan string, 6)
	for _, user := range []string{"alice", "bob", "alice", "bob", "alice", "bob"} {
		wg.Go(func() { pages <- visit(browsers[user], http.MethodGet, srv.URL+"/steps") })
	}
	wg.Wait()
	close(pages)
	ok := 0
	for page := range pages {
		if strings.HasPrefix(page, "Hello") {
			ok++
		}
	}
	fmt.Printf("after the tokens expired: %d of 6 requests served, %d refreshes\n", ok, fake.TokenRequests()["refresh_token"])

	fmt.Println("bob:", visit(browsers["bob"], http.MethodPost, srv.URL+"/up/disconnect"))
	_, err := store.Load(context.Background(), "bob")
	fmt.Println("bob's token deleted:", errors.Is(err, up.ErrNoToken))
	_, err = store.Load(context.Background(), "alice")
	fmt.Println("alice's token kept:", err == nil)
	// Output:
	// alice: Hello, Noah
	// bob: Hello, Noah
	// after the tokens expired: 6 of 6 requests served, 2 refreshes
	// bob: disconnected
	// bob's token deleted: true
	// alice's token kept: true
}
