package up_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// The fake of package uptest is a TestServer.
var _ up.TestServer = (*uptest.Server)(nil)

// TestConfigFor checks that ConfigFor names every endpoint and credential
// of the fake, and that a Client made from it calls the API, refreshes and
// logs in there.
func TestConfigFor(t *testing.T) {
	t.Parallel()
	s := uptest.NewServer(t, uptest.WithClient("app-id", "app-secret"))
	cfg := up.ConfigFor(s)
	want := up.Config{ClientID: "app-id", ClientSecret: "app-secret", BaseURL: s.URL, AuthURL: s.AuthURL, TokenURL: s.TokenURL}
	if cfg.ClientID != want.ClientID || cfg.ClientSecret != want.ClientSecret || cfg.BaseURL != want.BaseURL ||
		cfg.AuthURL != want.AuthURL || cfg.TokenURL != want.TokenURL || cfg.RedirectURL != "" || len(cfg.Scopes) != 0 {
		t.Fatalf("ConfigFor = %#v (secret %q), want %#v", cfg, cfg.ClientSecret, want)
	}

	c := cfg.Client(s.MintToken())
	s.ExpireAccessTokens()
	u, _, err := c.User(t.Context())
	if err != nil || u.XID != s.UserXID() {
		t.Fatalf("User after the token expired: %+v, %v", u, err)
	}
	if got := s.TokenRequests()["refresh_token"]; got != 1 {
		t.Errorf("%d refreshes at the fake's token endpoint, want 1", got)
	}
}

// ExampleConfigFor configures a Client for the fake UP API of package
// uptest in one line.
func ExampleConfigFor() {
	s := uptest.New()
	defer s.Close()

	client := up.ConfigFor(s).Client(s.MintToken())
	user, _, err := client.User(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(user.XID == s.UserXID())
	// Output: true
}
