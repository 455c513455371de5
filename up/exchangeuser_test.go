package up

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"
)

// TestExchangeForUser logs a user in whose key is known only from UP's
// answer: the token is stored under the key named from the fetched user,
// and the returned Client refreshes into that key.
func TestExchangeForUser(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := NewMemoryStore()
	cfg := storeConfig(t, s, store)
	ctx := t.Context()

	c, u, err := cfg.ExchangeForUser(ctx, authorize(t, cfg, "s1"), "s1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.XID != s.UserXID() {
		t.Errorf("user %q, want %q", u.XID, s.UserXID())
	}
	stored, err := store.Load(ctx, s.UserXID())
	if err != nil {
		t.Fatalf("nothing stored under the XID: %v", err)
	}
	if tok, _ := c.Token(); tok.AccessToken != stored.AccessToken {
		t.Errorf("the Client holds %s, the store %s", tok.AccessToken, stored.AccessToken)
	}
	s.ExpireAccessTokens()
	if _, _, err := c.User(ctx); err != nil {
		t.Fatal(err)
	}
	if now, _ := store.Load(ctx, s.UserXID()); now.AccessToken == stored.AccessToken {
		t.Error("the refreshed token was not stored under the user's key")
	}

	// A key func names the key; the user it is given is the token's.
	c, _, err = cfg.ExchangeForUser(ctx, authorize(t, cfg, "s2"), "s2", func(u *User) (string, error) { return "up:" + u.XID, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "up:"+s.UserXID()); err != nil {
		t.Errorf("nothing stored under the key the func named: %v", err)
	}
	if got := c.String(); got == "" {
		t.Error("no Client")
	}
}

// TestExchangeForUserStoresNothingOnFailure checks that a key func's error,
// an empty key and a Config without Store leave the store as it was; the
// last is refused before the code is spent.
func TestExchangeForUserStoresNothingOnFailure(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := NewMemoryStore()
	cfg := storeConfig(t, s, store)
	ctx := t.Context()

	refused := errors.New("no such account")
	_, _, err := cfg.ExchangeForUser(ctx, authorize(t, cfg, "s1"), "s1", func(*User) (string, error) { return "", refused })
	if !errors.Is(err, refused) {
		t.Errorf("error %v, want the key func's", err)
	}
	_, _, err = cfg.ExchangeForUser(ctx, authorize(t, cfg, "s2"), "s2", func(*User) (string, error) { return "", nil })
	if !errors.Is(err, ErrEmptyKey) {
		t.Errorf("error %v, want ErrEmptyKey", err)
	}
	if _, err := store.Load(ctx, s.UserXID()); !errors.Is(err, ErrNoToken) {
		t.Errorf("a token was stored: %v", err)
	}

	back := authorize(t, cfg, "s3")
	before := tokenRequests(s)
	if _, _, err := serverConfig(t, s).ExchangeForUser(ctx, back, "s3", nil); err == nil {
		t.Error("ExchangeForUser without a Store succeeded")
	}
	if n := tokenRequests(s) - before; n != 0 {
		t.Errorf("%d token requests: the code was spent", n)
	}
}

// TestForget deletes one user's token, sends nothing to UP, and leaves the
// user's access on UP as it was: a token minted before still works.
func TestForget(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := NewMemoryStore()
	cfg := storeConfig(t, s, store)
	ctx := t.Context()
	alice, bob := s.MintToken(), s.MintToken()
	for key, tok := range map[string]*oauth2.Token{"alice": alice, "bob": bob} {
		if err := store.Update(ctx, key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil }); err != nil {
			t.Fatal(err)
		}
	}
	calls := len(apiRequests(s))

	if err := cfg.Forget(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.ClientFor(ctx, "alice"); !errors.Is(err, ErrNoToken) {
		t.Errorf("ClientFor after Forget: %v, want ErrNoToken", err)
	}
	if _, err := store.Load(ctx, "bob"); err != nil {
		t.Errorf("bob's token after alice was forgotten: %v", err)
	}
	if n := len(apiRequests(s)) - calls; n != 0 || tokenRequests(s) != 0 {
		t.Errorf("Forget sent %d API and %d token requests, want none", n, tokenRequests(s))
	}
	if _, err := getUser(ctx, cfg.Client(alice)); err != nil {
		t.Errorf("alice's access on UP was revoked: %v", err)
	}

	if err := cfg.Forget(ctx, "alice"); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if err := cfg.Forget(ctx, ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Forget of the empty key: %v, want ErrEmptyKey", err)
	}
	if err := serverConfig(t, s).Forget(ctx, "alice"); err == nil {
		t.Error("Forget without a Store succeeded")
	}
	broken := &failingStore{Store: store}
	broken.fail.Store(true)
	failing := storeConfig(t, s, broken)
	var se *StorageError
	if err := failing.Forget(ctx, "bob"); !errors.As(err, &se) || se.Op != "delete" {
		t.Errorf("Forget on a failing store: %v, want a *StorageError of delete", err)
	}
}
