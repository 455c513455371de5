package up

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestRefreshOn401ThenRetrySucceeds(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	f.revoke(old.AccessToken)
	cl := cfg.Client(old)

	u, err := getUser(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if u.Data.First != "James" {
		t.Errorf("user = %+v", u)
	}
	if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 2 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 2 and 1", a, tk)
	}
	reqs := f.requests()
	if reqs[0].Auth != "Bearer "+old.AccessToken || reqs[1].Auth != "Bearer ACCESS-2-a1b2c3d4e5" {
		t.Errorf("Authorization headers = %q, %q", reqs[0].Auth, reqs[1].Auth)
	}
	form := f.forms()[0]
	if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != old.RefreshToken ||
		form.Get("client_id") != testClientID || form.Get("client_secret") != testClientSecret || len(form) != 4 {
		t.Errorf("refresh form = %v", form)
	}
	tok, err := cl.Token()
	if err != nil || tok.AccessToken != "ACCESS-2-a1b2c3d4e5" || tok.RefreshToken != "REFRESH-2-f6e5d4c3b2" {
		t.Errorf("Token() = %+v, %v; want the refreshed token with the new refresh token", tok, err)
	}
	if n := st.saves.Load(); n != 1 {
		t.Errorf("%d saves, want 1", n)
	}
	if got := st.stored(t); got.AccessToken != tok.AccessToken {
		t.Errorf("stored %s, want %s", got.AccessToken, tok.AccessToken)
	}
	if err := cl.PendingSaveError(); err != nil {
		t.Errorf("PendingSaveError = %v", err)
	}
}

func TestTwoRefreshesThenUnauthorized(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	f.apiHandler = func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusUnauthorized, "NOT_AUTHORIZED", nil)
	}
	cl := cfg.Client(f.mint())

	_, err := getUser(t.Context(), cl)
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want *APIError matching ErrUnauthorized", err)
	}
	if ae.Meta == nil || ae.Meta.Message != "NOT_AUTHORIZED" || ae.Meta.Code != 401 {
		t.Errorf("meta = %+v", ae.Meta)
	}
	if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 3 || tk != 2 {
		t.Errorf("%d API and %d token requests, want 3 and 2", a, tk)
	}
	if n := st.saves.Load(); n != 2 {
		t.Errorf("%d saves, want one per refresh (2)", n)
	}
}

func TestRefreshKeepsRefreshTokenWhenAnswerHasNone(t *testing.T) {
	f := newFakeUP(t)
	f.omitRefreshToken = true
	old := f.mint()
	f.revoke(old.AccessToken)
	cl := f.config().Client(old)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	tok, _ := cl.Token()
	if tok.AccessToken == old.AccessToken || tok.RefreshToken != old.RefreshToken {
		t.Errorf("token = %+v; want a new access token and the old refresh token %s", tok, old.RefreshToken)
	}
}

func TestManualRefresh(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	cl := cfg.Client(old)

	tok, err := cl.Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == old.AccessToken || tok.TokenType != "Bearer" || tok.ExpiresIn != 31536000 {
		t.Errorf("Refresh = %+v", tok)
	}
	if cur, _ := cl.Token(); cur.AccessToken != tok.AccessToken {
		t.Errorf("Token() = %s after Refresh returned %s", cur.AccessToken, tok.AccessToken)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if n := st.saves.Load(); n != 1 {
		t.Errorf("%d saves, want 1", n)
	}
	tok.AccessToken = "changed by caller"
	if cur, _ := cl.Token(); cur.AccessToken == "changed by caller" {
		t.Error("Refresh returned the Client's own token, not a copy")
	}
}

func TestManualRefreshErrors(t *testing.T) {
	t.Run("invalid_grant", func(t *testing.T) {
		f := newFakeUP(t)
		cl := f.config().Client(&oauth2.Token{AccessToken: "a-x", RefreshToken: "unknown-refresh-1234"})
		_, err := cl.Refresh(t.Context())
		var te *TokenError
		if !errors.As(err, &te) || te.StatusCode != http.StatusBadRequest || te.Code != "invalid_grant" || !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("error = %v, want *TokenError 400 invalid_grant matching ErrLoginRequired", err)
		}
		if tok, _ := cl.Token(); tok.AccessToken != "a-x" {
			t.Errorf("token changed to %+v after a failed refresh", tok)
		}
	})
	t.Run("5xx", func(t *testing.T) {
		f := newFakeUP(t)
		f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		}
		_, err := f.config().Client(f.mint()).Refresh(t.Context())
		var te *TokenError
		if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable || te.Code != "" || errors.Is(err, ErrLoginRequired) {
			t.Fatalf("error = %v, want *TokenError 503 without an OAuth code", err)
		}
	})
	t.Run("no refresh token", func(t *testing.T) {
		f := newFakeUP(t)
		_, err := f.config().ClientFromAccessToken("bare-access").Refresh(t.Context())
		if !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("error = %v, want ErrLoginRequired", err)
		}
		if n := f.tokenCalls.Load(); n != 0 {
			t.Errorf("%d token requests without a refresh token", n)
		}
	})
	t.Run("no token", func(t *testing.T) {
		f := newFakeUP(t)
		if _, err := f.config().Client(nil).Refresh(t.Context()); !errors.Is(err, ErrNoToken) {
			t.Fatalf("error = %v, want ErrNoToken", err)
		}
	})
}

func TestAutomaticRefreshFailureIsTokenError(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	cl := cfg.Client(&oauth2.Token{AccessToken: "revoked-access-77", RefreshToken: "revoked-refresh-77"})
	_, err := getUser(t.Context(), cl)
	if !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("error = %v, want ErrLoginRequired", err)
	}
	var te *TokenError
	if !errors.As(err, &te) || te.Code != "invalid_grant" {
		t.Errorf("error = %v, want *TokenError invalid_grant", err)
	}
	if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 1 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 1 and 1 (no retry after a failed refresh)", a, tk)
	}
	if n := st.saves.Load(); n != 0 {
		t.Errorf("%d saves after a failed refresh", n)
	}
}

func TestNoRefreshTokenReturnsUnauthorized(t *testing.T) {
	f := newFakeUP(t)
	_, err := getUser(t.Context(), f.config().ClientFromAccessToken("not-valid-access"))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 1 || tk != 0 {
		t.Errorf("%d API and %d token requests, want 1 and 0", a, tk)
	}
}

func TestPreflightRefreshWhenAccessTokenEmpty(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	minted := f.mint()
	cl := cfg.Client(&oauth2.Token{RefreshToken: minted.RefreshToken})
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 1 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 1 and 1 (refresh before sending)", a, tk)
	}
	if f.requests()[0].Auth == "Bearer " {
		t.Error("sent an empty bearer token")
	}
	live, _ := cl.Token()
	if got := st.stored(t); *got != *live {
		t.Errorf("stored %+v, want the live token %+v", got, live)
	}
}

func TestConcurrentCallsShareOneRefresh(t *testing.T) {
	for _, withStorage := range []bool{false, true} {
		t.Run(fmt.Sprintf("storage=%v", withStorage), func(t *testing.T) {
			f := newFakeUP(t)
			st := newCountingStorage()
			cfg := f.config()
			if withStorage {
				cfg.Storage = st
			}
			tr := f.srv.Client().Transport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 1000 // keep the retries on the first wave's connections
			cfg.HTTPClient = &http.Client{Transport: tr}
			old := f.mint()
			f.revoke(old.AccessToken)
			cl := cfg.Client(old)

			const n = 1000
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					if _, err := getUser(t.Context(), cl); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if tk := f.tokenCalls.Load(); tk != 1 {
				t.Errorf("%d token requests for %d concurrent calls, want 1", tk, n)
			}
			if withStorage {
				if l, s := st.loads.Load(), st.saves.Load(); l != 1 || s != 1 {
					t.Errorf("storage loaded %d and saved %d times, want once each", l, s)
				}
			}
			a := f.apiCalls.Load()
			if a < n+1 || a > 2*n {
				t.Errorf("%d API requests, want between %d and %d", a, n+1, 2*n)
			}
			t.Logf("%d calls met the expired token", a-n)
		})
	}
}

func TestSetTokenDuringRefreshWins(t *testing.T) {
	f := newFakeUP(t)
	release := make(chan struct{})
	f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		<-release
		tok := f.mint()
		writeJSON(w, 200, map[string]any{"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken, "expires_in": 60})
	}
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	f.revoke(old.AccessToken)
	cl := cfg.Client(old)

	done := make(chan error, 1)
	go func() { _, err := getUser(t.Context(), cl); done <- err }()
	for f.tokenCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	chosen := f.mint()
	cl.SetToken(chosen)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tok, _ := cl.Token(); tok.AccessToken != chosen.AccessToken {
		t.Errorf("Token() = %s; a refresh that finished later replaced the token set meanwhile (%s)", tok.AccessToken, chosen.AccessToken)
	}
	if n := st.saves.Load(); n != 0 {
		t.Errorf("%d saves of a superseded refresh", n)
	}
	if got := f.requests()[1].Auth; got != "Bearer "+chosen.AccessToken {
		t.Errorf("resent with %q, want the token set meanwhile", got)
	}
}

func TestRefreshAdoptsNewerStoredToken(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	f.revoke(old.AccessToken)
	newer := f.mint() // saved by another process that refreshed first
	if err := st.inner.Save(t.Context(), newer); err != nil {
		t.Fatal(err)
	}
	cl := cfg.Client(old)

	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if tk := f.tokenCalls.Load(); tk != 0 {
		t.Errorf("%d token requests, want none: the stored token should be adopted", tk)
	}
	if s := st.saves.Load(); s != 0 {
		t.Errorf("%d saves, want none when adopting", s)
	}
	if tok, _ := cl.Token(); tok.AccessToken != newer.AccessToken {
		t.Errorf("Token() = %s, want the adopted %s", tok.AccessToken, newer.AccessToken)
	}
	if got := f.requests()[1].Auth; got != "Bearer "+newer.AccessToken {
		t.Errorf("resent with %q", got)
	}
}

func TestRefreshUsesRotatedRefreshTokenFromStorage(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	f.revoke(old.AccessToken)
	rotated := f.mint()
	f.revoke(rotated.AccessToken)
	f.mu.Lock()
	delete(f.refreshTokens, old.RefreshToken) // the other process's refresh retired it
	f.mu.Unlock()
	rotated.Expiry = time.Now().Add(-time.Hour)
	if err := st.inner.Save(t.Context(), rotated); err != nil {
		t.Fatal(err)
	}
	cl := cfg.Client(old)

	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	forms := f.forms()
	if len(forms) != 1 || forms[0].Get("refresh_token") != rotated.RefreshToken {
		t.Fatalf("refresh forms = %v, want one refresh with the stored refresh token %s", forms, rotated.RefreshToken)
	}
	if s := st.saves.Load(); s != 1 {
		t.Errorf("%d saves, want 1", s)
	}
}

func TestTwoClientsSharingStorageRefreshOnce(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	cfg := f.config()
	cfg.Storage = st
	old := f.mint()
	f.revoke(old.AccessToken)
	a, b := cfg.Client(old), cfg.Client(old)
	var wg sync.WaitGroup
	for _, cl := range []*Client{a, b} {
		wg.Go(func() {
			if _, err := getUser(t.Context(), cl); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if tk := f.tokenCalls.Load(); tk != 1 {
		t.Errorf("%d token requests for two Clients sharing a locked storage, want 1", tk)
	}
	ta, _ := a.Token()
	tb, _ := b.Token()
	if ta.AccessToken != tb.AccessToken {
		t.Errorf("Clients hold %s and %s, want the same token", ta.AccessToken, tb.AccessToken)
	}
}

func TestRequestBodies(t *testing.T) {
	t.Run("replayable body is resent", func(t *testing.T) {
		f := newFakeUP(t)
		old := f.mint()
		f.revoke(old.AccessToken)
		cl := f.config().Client(old)
		req, err := cl.newRequest(t.Context(), http.MethodPost, "/users/@me/echo", nil, strings.NewReader("note=hello"))
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.do(req, nil); err != nil {
			t.Fatal(err)
		}
		reqs := f.requests()
		if len(reqs) != 2 || reqs[0].Body != "note=hello" || reqs[1].Body != "note=hello" {
			t.Errorf("requests = %+v, want the same body twice", reqs)
		}
	})
	t.Run("non-replayable body is not resent", func(t *testing.T) {
		f := newFakeUP(t)
		old := f.mint()
		f.revoke(old.AccessToken)
		cl := f.config().Client(old)
		body := io.NopCloser(bytes.NewBufferString("note=once"))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, cl.BaseURL()+"/users/@me/echo", body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := cl.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer closeResponse(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d, want the 401 as it is", resp.StatusCode)
		}
		if a, tk := f.apiCalls.Load(), f.tokenCalls.Load(); a != 1 || tk != 0 {
			t.Errorf("%d API and %d token requests, want 1 and 0", a, tk)
		}
		if meta := decodeMeta(mustRead(t, resp.Body)); meta == nil || meta.Message != "NOT_AUTHORIZED" {
			t.Errorf("401 body was not handed over intact: %+v", meta)
		}
	})
}

func TestSaveFailureDuringAutomaticRefresh(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	diskFull := errors.New("disk full")
	st.failSaves(diskFull)
	reported := make(chan error, 1)
	cfg := f.config()
	cfg.Storage = st
	cfg.OnSaveError = func(ctx context.Context, err error) { reported <- err }
	old := f.mint()
	f.revoke(old.AccessToken)
	cl := cfg.Client(old)

	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatalf("call failed although only the save did: %v", err)
	}
	select {
	case err := <-reported:
		var se *StorageError
		if !errors.As(err, &se) || !errors.Is(err, diskFull) {
			t.Errorf("OnSaveError got %v, want *StorageError wrapping the cause", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnSaveError was not called")
	}
	if !errors.Is(cl.PendingSaveError(), diskFull) {
		t.Errorf("PendingSaveError = %v", cl.PendingSaveError())
	}
	fresh, _ := cl.Token()

	// The next request retries the save, which fails again and is still pending.
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if s := st.saves.Load(); s != 2 || cl.PendingSaveError() == nil {
		t.Errorf("%d saves, pending %v; want a second failed attempt", s, cl.PendingSaveError())
	}
	st.failSaves(nil)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if err := cl.PendingSaveError(); err != nil {
		t.Errorf("PendingSaveError = %v after a successful retry", err)
	}
	if got := st.stored(t); got.AccessToken != fresh.AccessToken {
		t.Errorf("stored %s, want %s", got.AccessToken, fresh.AccessToken)
	}
	if s := st.saves.Load(); s != 3 {
		t.Errorf("%d saves, want 3", s)
	}
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if s := st.saves.Load(); s != 3 {
		t.Errorf("%d saves after the token was saved, want no more", s)
	}
	if tk := f.tokenCalls.Load(); tk != 1 {
		t.Errorf("%d token requests, want 1", tk)
	}
}

func TestManualRefreshSaveFailure(t *testing.T) {
	f := newFakeUP(t)
	st := newCountingStorage()
	st.failSaves(errors.New("read-only file system"))
	called := false
	cfg := f.config()
	cfg.Storage = st
	cfg.OnSaveError = func(context.Context, error) { called = true }
	cl := cfg.Client(f.mint())

	tok, err := cl.Refresh(t.Context())
	var se *StorageError
	if !errors.As(err, &se) || se.Op != "save" {
		t.Fatalf("error = %v, want *StorageError", err)
	}
	if tok == nil || tok.AccessToken != "ACCESS-2-a1b2c3d4e5" {
		t.Fatalf("token = %v, want the refreshed token with the error", tok)
	}
	if cur, _ := cl.Token(); cur.AccessToken != tok.AccessToken {
		t.Errorf("Client uses %s, want the refreshed token", cur.AccessToken)
	}
	if cl.PendingSaveError() == nil {
		t.Error("PendingSaveError = nil")
	}
	if called {
		t.Error("OnSaveError called for a manual refresh, whose caller gets the error")
	}
}

func TestWaiterHonorsItsContext(t *testing.T) {
	f := newFakeUP(t)
	release := make(chan struct{})
	f.tokenHandler = func(w http.ResponseWriter, r *http.Request) {
		<-release
		writeJSON(w, 200, map[string]any{"access_token": "late-access-0001", "expires_in": 60})
	}
	defer close(release)
	old := f.mint()
	f.revoke(old.AccessToken)
	cl := f.config().Client(old)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := getUser(ctx, cl)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %v for a refresh after the context ended", d)
	}
}

func TestTokenSourceClient(t *testing.T) {
	f := newFakeUP(t)
	good := f.mint()
	t.Run("uses the source", func(t *testing.T) {
		cl := f.config().ClientFromTokenSource(oauth2.StaticTokenSource(good))
		if _, err := getUser(t.Context(), cl); err != nil {
			t.Fatal(err)
		}
		if tok, err := cl.Token(); err != nil || tok.AccessToken != good.AccessToken {
			t.Errorf("Token() = %v, %v", tok, err)
		}
		if _, err := cl.Refresh(t.Context()); err == nil {
			t.Error("Refresh on a TokenSource Client succeeded")
		}
	})
	t.Run("unchanged source returns 401", func(t *testing.T) {
		before := f.tokenCalls.Load()
		cl := f.config().ClientFromTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "stale-access-55", RefreshToken: "r"}))
		if _, err := getUser(t.Context(), cl); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("error = %v, want ErrUnauthorized", err)
		}
		if tk := f.tokenCalls.Load(); tk != before {
			t.Errorf("a TokenSource Client called the token endpoint")
		}
	})
	t.Run("source that renews is asked again", func(t *testing.T) {
		var calls int
		src := tokenSourceFunc(func() (*oauth2.Token, error) {
			calls++
			if calls == 1 {
				return &oauth2.Token{AccessToken: "stale-access-56"}, nil
			}
			return good, nil
		})
		cl := f.config().ClientFromTokenSource(src)
		if _, err := getUser(t.Context(), cl); err != nil {
			t.Fatal(err)
		}
		if calls != 2 {
			t.Errorf("source asked %d times, want 2", calls)
		}
	})
}

// tokenSourceFunc adapts a function to oauth2.TokenSource.
type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }

// mustRead reads all of r.
func mustRead(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
