package up

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/uptest"
)

// noSaveRetry makes cl's refreshes try a failed save once, for tests of
// what follows a save that fails for good.
func noSaveRetry(cl *Client) { cl.creds.saveRetry = time.Nanosecond }

// flakyStore fails the next fails writes, then writes.
type flakyStore struct {
	Store
	fails  atomic.Int64
	writes atomic.Int64 // attempts
}

func (s *flakyStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	return s.Store.Update(ctx, key, func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		next, err := fn(ctx, stored)
		if err != nil {
			return next, err
		}
		s.writes.Add(1)
		if s.fails.Add(-1) >= 0 {
			return nil, errors.New("database is locked")
		}
		return next, nil
	})
}

// flakyClient returns a fake, a flakyStore that fails the next fails
// writes, holding alice's expired token, a Config on both, and a Client
// for alice.
func flakyClient(t *testing.T, fails int64) (*uptest.Server, *flakyStore, *Config, *Client) {
	t.Helper()
	s := newServer(t)
	store := &flakyStore{Store: NewMemoryStore()}
	cfg := storeConfig(t, s, store)
	put(t, store.Store, "alice", expiredCopy(s.MintToken()))
	store.fails.Store(fails)
	cl, err := cfg.ClientFor(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	return s, store, cfg, cl
}

// TestRefreshRetriesAFailedSave: a refreshed token whose save fails is
// saved again within the refresh, so that the next request's Client (a
// fresh one, in a web application) reads it from the store; a Client that
// kept it pending would take it away with it, leaving a spent refresh
// token stored and the user to log in again.
func TestRefreshRetriesAFailedSave(t *testing.T) {
	t.Parallel()
	s, store, cfg, cl := flakyClient(t, 3)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatalf("call: %v", err)
	}
	if err := cl.PendingSaveError(); err != nil {
		t.Errorf("PendingSaveError = %v, want the save retried within the refresh", err)
	}
	if n := store.writes.Load(); n != 4 {
		t.Errorf("%d write attempts, want 3 failed and 1 that stored", n)
	}
	now, _ := cl.Token()
	next, err := cfg.ClientFor(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getUser(t.Context(), next); err != nil {
		t.Fatalf("the next request's Client: %v", err)
	}
	if tok, _ := next.Token(); tok.AccessToken != now.AccessToken {
		t.Errorf("the next Client uses %s, want the stored %s", tok.AccessToken, now.AccessToken)
	}
	if n := tokenRequests(s); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

// TestFailedSaveRetryIsBounded: a store that keeps failing costs the
// refresh saveRetry at most, after which the token is used and its save
// is pending; a retry that finds another token stored meanwhile (a new
// login) stops and lets it stand.
func TestFailedSaveRetryIsBounded(t *testing.T) {
	t.Parallel()
	s, store, cfg, cl := flakyClient(t, 1<<30)
	const window = 300 * time.Millisecond
	cl.creds.saveRetry = window
	start := time.Now()
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatalf("call failed although only the save did: %v", err)
	}
	if d := time.Since(start); d > window+5*time.Second {
		t.Errorf("the refresh took %v, beyond its save retry window %v", d, window)
	}
	if n := store.writes.Load(); n < 3 {
		t.Errorf("%d write attempts within %v, want several", n, window)
	}
	if cl.PendingSaveError() == nil {
		t.Error("PendingSaveError = nil, want the save pending")
	}

	// The stored token changes while a refresh retries its save: the
	// retry stops without writing over it.
	put(t, store.Store, "alice", expiredCopy(s.MintToken()))
	cl2, err := cfg.ClientFor(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	cl2.creds.saveRetry = time.Minute
	login := s.MintToken()
	done := make(chan error, 1)
	go func() { _, err := getUser(t.Context(), cl2); done <- err }()
	before := store.writes.Load()
	waitFor(t, func() bool { return store.writes.Load() >= before+2 }) // a retry failed
	if err := store.Store.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return login, nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the save retry went on after the stored token changed")
	}
	if got, _ := store.Load(t.Context(), "alice"); got.AccessToken != login.AccessToken {
		t.Errorf("stored %s, want the login's %s", got.AccessToken, login.AccessToken)
	}
	if err := cl2.PendingSaveError(); err != nil {
		t.Errorf("PendingSaveError = %v, want none: the login's token stands", err)
	}
}
