package up

import (
	"context"
	"testing"

	"golang.org/x/oauth2"
)

// TestRefusedRefreshWaitsOutsideTheLock: a refresh refused with
// invalid_grant waits for a token another holder stores (adoptWait), and
// must not hold the user's lock while it waits. Under a store that locks,
// no other holder can store anything while the lock is held, so the wait
// could never succeed under it: it would only make every other request of
// the user wait in turn, a second each, and with a store whose lock is
// the whole database's (SQLite's), every refresh and login of every user.
// Here the user logs in again (another tab) while a request with the
// revoked token waits: the login must not wait for the request, and the
// request must adopt the new token rather than report ErrLoginRequired.
func TestRefusedRefreshWaitsOutsideTheLock(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := NewMemoryStore()
	cfg := storeConfig(t, s, store)
	put(t, store, "alice", expiredCopy(s.MintToken()))
	s.RevokeAll()
	cl, err := cfg.ClientFor(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := getUser(t.Context(), cl)
		done <- err
	}()
	waitFor(t, func() bool { return tokenRequests(s) == 1 }) // the refresh that UP refuses

	login := s.MintToken() // the token a new login gives
	err = store.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return login, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("the refused request ended (%v) before the login could store its token: it held the lock while it waited", err)
	default:
	}
	if err := <-done; err != nil {
		t.Fatalf("the refused request did not adopt the token the login stored: %v", err)
	}
	if tok, err := cl.Token(); err != nil || tok.AccessToken != login.AccessToken {
		t.Errorf("the Client holds %v (%v), want the login's token", tok, err)
	}
	if n := tokenRequests(s); n != 1 {
		t.Errorf("%d token requests, want the one refused", n)
	}
}
