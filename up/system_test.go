package up_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// The Python SDK's system tests ran in order against the live service with
// a real app and user. These are their counterparts against the fake
// server, driven through a real browser-less login.

// login runs the whole authorization-code flow against the fake: the
// authorize URL, UP's redirect, and the exchange.
func login(t *testing.T, cfg *up.Config) *oauth2.Token {
	t.Helper()
	state, err := up.NewState()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(t.Context(), up.Authorize(t, cfg, state), state)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSystemRedirectURL: the login URL names the app, its scopes and its
// redirect, and UP accepts it.
func TestSystemRedirectURL(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	cfg.Scopes = []up.Scope{up.ScopeExtendedRead}
	u, err := url.Parse(cfg.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != s.AuthURL || q.Get("response_type") != "code" || q.Get("client_id") != s.ClientID ||
		q.Get("scope") != "extended_read" || q.Get("redirect_uri") != cfg.RedirectURL || q.Get("state") != "st" {
		t.Errorf("login URL %s", u)
	}
	if tok := login(t, cfg); tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" {
		t.Errorf("token %+v", tok)
	}
}

// TestSystemSetGetAccessToken: a Client made from a token gives it back,
// with its expiry a year ahead.
func TestSystemSetGetAccessToken(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	tok := login(t, cfg)
	if d := time.Until(tok.Expiry); d < 365*24*time.Hour-time.Minute || d > 365*24*time.Hour+time.Minute {
		t.Errorf("token expires in %v, want a year", d)
	}
	c := cfg.ClientFromAccessToken("placeholder")
	c.SetToken(tok)
	got, err := c.Token()
	if err != nil || *got != *tok {
		t.Errorf("Token() = %+v, %v; want %+v", got, err, tok)
	}
}

// TestSystemStorage: with an empty access token, the first call refreshes,
// and the storage then holds exactly the Client's token. (Had the storage
// held a valid token, the Client would have adopted it instead.)
func TestSystemStorage(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	tok := login(t, cfg)
	// An empty storage, so the Client cannot adopt the token from there.
	cfg.Storage = up.NewFileStorage(t.TempDir() + "/token.json")
	tok.AccessToken = ""
	c := cfg.Client(tok)
	if _, _, err := c.User(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := s.TokenRequests()["refresh_token"]; n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
	stored, err := cfg.Storage.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	live, _ := c.Token()
	if stored.AccessToken != live.AccessToken || stored.RefreshToken != live.RefreshToken || !stored.Expiry.Equal(live.Expiry) {
		t.Errorf("storage holds %+v, the client %+v", stored, live)
	}
}

// TestSystemRefreshToken: a manual refresh gives a new access token of the
// same type, a year of life, and (UP rotates them) a new refresh token that
// replaces the old one.
func TestSystemRefreshToken(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	old := login(t, cfg)
	c := cfg.Client(old)
	tok, err := c.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == old.AccessToken || tok.TokenType != old.TokenType || tok.RefreshToken == old.RefreshToken {
		t.Errorf("refreshed %+v from %+v", tok, old)
	}
	if d := tok.Expiry.Sub(old.Expiry); d < 0 || d > time.Minute {
		t.Errorf("new expiry %v after the old one, want about the same year", d)
	}
	// The old credentials stop working.
	stale := cfg.Client(old)
	if _, err := stale.Refresh(t.Context()); !errors.Is(err, up.ErrLoginRequired) {
		t.Errorf("refresh with the old refresh token: %v, want ErrLoginRequired", err)
	}
	if _, _, err := c.User(t.Context()); err != nil {
		t.Errorf("the new token: %v", err)
	}
}

// TestSystemUser: the user and the meta of the response.
func TestSystemUser(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	cfg.Scopes = []up.Scope{up.ScopeBasicRead, up.ScopeExtendedRead}
	c := cfg.Client(login(t, cfg))
	user, resp, err := c.User(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Meta
	if m.UserXID != s.UserXID() || m.Message != "OK" || m.Code != 200 || time.Since(m.Time).Abs() > 11*time.Second {
		t.Errorf("meta %+v", m)
	}
	if user.XID != s.UserXID() || user.First == "" || user.Last == "" || user.Image == "" || user.Weight == 0 || user.Height == 0 {
		t.Errorf("user %+v", user)
	}
}

// TestSystemFriends: the friends list, cached after the first call.
func TestSystemFriends(t *testing.T) {
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	cfg.Scopes = []up.Scope{up.ScopeFriendsRead}
	c := cfg.Client(login(t, cfg))
	ctx := context.Background()
	friends, resp, err := c.Friends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Meta.Code != 200 || friends.Size != len(friends.Items) || friends.Size == 0 {
		t.Errorf("friends %+v, meta %+v", friends, resp.Meta)
	}
	xids := make([]string, 0, len(friends.Items))
	for _, f := range friends.Items {
		xids = append(xids, f.XID)
	}
	s.ResetRequests()
	again, _, err := c.Friends(ctx)
	if err != nil || again != friends || len(s.Requests()) != 0 {
		t.Errorf("second Friends: %v, same list %v, %d requests; want the cached list without a request", err, again == friends, len(s.Requests()))
	}
	reloaded, _, err := c.ReloadFriends(ctx)
	if err != nil || len(s.Requests()) != 1 || !slices.EqualFunc(reloaded.Items, friends.Items, func(a, b up.Friend) bool { return a.XID == b.XID }) {
		t.Errorf("ReloadFriends: %v after %d requests, items %v, want %v", err, len(s.Requests()), reloaded, xids)
	}
	if cached, _, _ := c.Friends(ctx); cached != reloaded {
		t.Error("Friends does not return the reloaded list")
	}
}
