package up

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/uptest"
)

// refreshForm is the form of a refresh as the fake records it, secrets
// redacted.
var refreshForm = url.Values{
	"grant_type":    {"refresh_token"},
	"refresh_token": {"REDACTED"},
	"client_id":     {testClientID},
	"client_secret": {"REDACTED"},
}

func TestRefreshOn401ThenRetrySucceeds(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(old)

	u, err := getUser(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if u.Data.XID != s.UserXID() || u.Data.First == "" {
		t.Errorf("user = %+v", u)
	}
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 2 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 2 and 1", a, tk)
	}
	tok, err := cl.Token()
	if err != nil || tok.AccessToken == old.AccessToken || tok.RefreshToken == "" || tok.RefreshToken == old.RefreshToken {
		t.Errorf("Token() = %+v, %v; want the refreshed token with the new refresh token", tok, err)
	}
	if auth := sent.authorizations(); len(auth) != 2 || auth[0] != "Bearer "+old.AccessToken || auth[1] != "Bearer "+tok.AccessToken {
		t.Errorf("Authorization headers = %q, want the old token, then the refreshed one", auth)
	}
	// The fake takes only its own client secret and the refresh token it
	// issued with old, and that token only once.
	reqs := tokenEndpointRequests(s)
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].AuthScheme != "" || reqs[0].Form.Encode() != refreshForm.Encode() {
		t.Errorf("refresh requests = %+v, want one POST of %v", reqs, refreshForm)
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
	// The new refresh token is the one the server issued.
	if _, err := serverConfig(t, s).Client(&oauth2.Token{RefreshToken: tok.RefreshToken}).Refresh(t.Context()); err != nil {
		t.Errorf("refreshing with the new refresh token: %v", err)
	}
}

func TestTwoRefreshesThenUnauthorized(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	s.Inject(uptest.Fault{Path: "/users/@me", Kind: uptest.FaultUnauthorized})
	cl := cfg.Client(s.MintToken())

	_, err := getUser(t.Context(), cl)
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want *APIError matching ErrUnauthorized", err)
	}
	if ae.Meta == nil || ae.Meta.Message != "NOT_AUTHORIZED" || ae.Meta.Code != 401 {
		t.Errorf("meta = %+v", ae.Meta)
	}
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 3 || tk != 2 {
		t.Errorf("%d API and %d token requests, want 3 and 2", a, tk)
	}
	if n := st.saves.Load(); n != 2 {
		t.Errorf("%d saves, want one per refresh (2)", n)
	}
}

func TestRefreshKeepsRefreshTokenWhenAnswerHasNone(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// The token endpoint answers as the fake's does, without refresh_token.
	noRefresh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Errorf("token endpoint answer: %v", err)
		}
		delete(answer, "refresh_token")
		writeJSON(w, rec.Code, answer)
	}))
	t.Cleanup(noRefresh.Close)
	cfg := serverConfig(t, s)
	cfg.TokenURL = noRefresh.URL + tokenPath
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(old)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	tok, _ := cl.Token()
	if tok.AccessToken == old.AccessToken || tok.RefreshToken != old.RefreshToken {
		t.Errorf("token = %+v; want a new access token and the old refresh token %s", tok, old.RefreshToken)
	}
}

func TestManualRefresh(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	old := s.MintToken()
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
	if n := tokenRequests(s); n != 1 {
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
	t.Parallel()
	t.Run("invalid_grant", func(t *testing.T) {
		s := newServer(t)
		cl := serverConfig(t, s).Client(&oauth2.Token{AccessToken: "a-x", RefreshToken: "unknown-refresh-1234"})
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
		s := newServer(t)
		s.Inject(uptest.Fault{Path: tokenPath, Kind: uptest.FaultHTMLError, Status: http.StatusServiceUnavailable})
		_, err := serverConfig(t, s).Client(s.MintToken()).Refresh(t.Context())
		var te *TokenError
		if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable || te.Code != "" || errors.Is(err, ErrLoginRequired) {
			t.Fatalf("error = %v, want *TokenError 503 without an OAuth code", err)
		}
	})
	t.Run("no refresh token", func(t *testing.T) {
		s := newServer(t)
		_, err := serverConfig(t, s).ClientFromAccessToken("bare-access").Refresh(t.Context())
		if !errors.Is(err, ErrLoginRequired) {
			t.Fatalf("error = %v, want ErrLoginRequired", err)
		}
		if n := tokenRequests(s); n != 0 {
			t.Errorf("%d token requests without a refresh token", n)
		}
	})
	t.Run("no token", func(t *testing.T) {
		s := newServer(t)
		if _, err := serverConfig(t, s).Client(nil).Refresh(t.Context()); !errors.Is(err, ErrNoToken) {
			t.Fatalf("error = %v, want ErrNoToken", err)
		}
	})
}

func TestAutomaticRefreshFailureIsTokenError(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
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
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 1 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 1 and 1 (no retry after a failed refresh)", a, tk)
	}
	if n := st.saves.Load(); n != 0 {
		t.Errorf("%d saves after a failed refresh", n)
	}
}

func TestNoRefreshTokenReturnsUnauthorized(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, err := getUser(t.Context(), serverConfig(t, s).ClientFromAccessToken("not-valid-access"))
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("error = %v, want ErrUnauthorized", err)
	}
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 1 || tk != 0 {
		t.Errorf("%d API and %d token requests, want 1 and 0", a, tk)
	}
}

func TestPreflightRefreshWhenAccessTokenEmpty(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	minted := s.MintToken()
	cl := cfg.Client(&oauth2.Token{RefreshToken: minted.RefreshToken})
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if a, tk := len(apiRequests(s)), tokenRequests(s); a != 1 || tk != 1 {
		t.Errorf("%d API and %d token requests, want 1 and 1 (refresh before sending)", a, tk)
	}
	if auth := sent.authorizations(); len(auth) == 0 || auth[0] == "Bearer " {
		t.Errorf("Authorization headers = %q; sent an empty bearer token", auth)
	}
	live, _ := cl.Token()
	if got := st.stored(t); *got != *live {
		t.Errorf("stored %+v, want the live token %+v", got, live)
	}
}

func TestConcurrentCallsShareOneRefresh(t *testing.T) {
	t.Parallel()
	for _, withStorage := range []bool{false, true} {
		t.Run(fmt.Sprintf("storage=%v", withStorage), func(t *testing.T) {
			s := newServer(t)
			st := newCountingStorage()
			cfg := serverConfig(t, s)
			if withStorage {
				cfg.Storage = st
			}
			// Keep the retries on the first wave's connections.
			cfg.HTTPClient.Transport.(*http.Transport).MaxIdleConnsPerHost = 1000
			old := s.MintToken()
			s.ExpireAccessTokens()
			cl := cfg.Client(old)

			const n = 1000
			getUserConcurrently(t, cl, n)
			if tk := tokenRequests(s); tk != 1 {
				t.Errorf("%d token requests for %d concurrent calls, want 1", tk, n)
			}
			if withStorage {
				if l, n := st.loads.Load(), st.saves.Load(); l != 1 || n != 1 {
					t.Errorf("storage loaded %d and saved %d times, want once each", l, n)
				}
			}
			a := len(apiRequests(s))
			if a < n+1 || a > 2*n {
				t.Errorf("%d API requests, want between %d and %d", a, n+1, 2*n)
			}
			t.Logf("%d calls met the expired token", a-n)
		})
	}
}

func TestSetTokenDuringRefreshWins(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tokenURL, arrived, release := heldTokenEndpoint(t, s)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.TokenURL = tokenURL
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(old)

	done := make(chan error, 1)
	go func() { _, err := getUser(t.Context(), cl); done <- err }()
	<-arrived
	chosen := s.MintToken()
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
	if auth := sent.authorizations(); len(auth) < 2 || auth[1] != "Bearer "+chosen.AccessToken {
		t.Errorf("Authorization headers = %q; want the resend to carry the token set meanwhile", auth)
	}
}

func TestRefreshAdoptsNewerStoredToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	sent := recordOutgoing(cfg)
	old := s.MintToken()
	s.ExpireAccessTokens()
	newer := s.MintToken() // saved by another process that refreshed first
	if err := st.inner.Save(t.Context(), newer); err != nil {
		t.Fatal(err)
	}
	cl := cfg.Client(old)

	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if tk := tokenRequests(s); tk != 0 {
		t.Errorf("%d token requests, want none: the stored token should be adopted", tk)
	}
	if n := st.saves.Load(); n != 0 {
		t.Errorf("%d saves, want none when adopting", n)
	}
	if tok, _ := cl.Token(); tok.AccessToken != newer.AccessToken {
		t.Errorf("Token() = %s, want the adopted %s", tok.AccessToken, newer.AccessToken)
	}
	if auth := sent.authorizations(); len(auth) < 2 || auth[1] != "Bearer "+newer.AccessToken {
		t.Errorf("Authorization headers = %q; want the resend to carry the adopted token", auth)
	}
}

func TestRefreshUsesRotatedRefreshTokenFromStorage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	old := s.MintToken()
	// Another process refreshed, which retired old's refresh token.
	rotated, err := serverConfig(t, s).Client(old).Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	s.ExpireAccessTokens()
	s.ResetRequests()
	rotated.Expiry = time.Now().Add(-time.Hour)
	if err := st.inner.Save(t.Context(), rotated); err != nil {
		t.Fatal(err)
	}
	cl := cfg.Client(old)

	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	// Of the two refresh tokens the Client could send, the fake takes only
	// the rotated one.
	if reqs := tokenEndpointRequests(s); len(reqs) != 1 || reqs[0].Form.Encode() != refreshForm.Encode() {
		t.Fatalf("refresh requests = %+v, want one refresh with the stored refresh token", reqs)
	}
	if n := st.saves.Load(); n != 1 {
		t.Errorf("%d saves, want 1", n)
	}
}

func TestTwoClientsSharingStorageRefreshOnce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	old := s.MintToken()
	s.ExpireAccessTokens()
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
	if tk := tokenRequests(s); tk != 1 {
		t.Errorf("%d token requests for two Clients sharing a locked storage, want 1", tk)
	}
	ta, _ := a.Token()
	tb, _ := b.Token()
	if ta.AccessToken != tb.AccessToken {
		t.Errorf("Clients hold %s and %s, want the same token", ta.AccessToken, tb.AccessToken)
	}
}

func TestRequestBodies(t *testing.T) {
	t.Parallel()
	const form = "title=hello&sub_type=1"
	t.Run("replayable body is resent", func(t *testing.T) {
		s := newServer(t)
		old := s.MintToken()
		s.ExpireAccessTokens()
		cl := serverConfig(t, s).Client(old)
		req, err := cl.newRequest(t.Context(), call{
			method: http.MethodPost, path: "/users/@me/mood", body: []byte(form), contentType: "application/x-www-form-urlencoded",
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cl.exchange(req, new(Response), nil); err != nil {
			t.Fatal(err)
		}
		want := url.Values{"title": {"hello"}, "sub_type": {"1"}}.Encode()
		reqs := apiRequests(s)
		if len(reqs) != 2 || reqs[0].Form.Encode() != want || reqs[1].Form.Encode() != want {
			t.Errorf("requests = %+v, want the same body twice", reqs)
		}
	})
	t.Run("non-replayable body is not resent", func(t *testing.T) {
		s := newServer(t)
		old := s.MintToken()
		s.ExpireAccessTokens()
		cl := serverConfig(t, s).Client(old)
		body := io.NopCloser(bytes.NewBufferString(form))
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, cl.BaseURL()+"/users/@me/mood", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := cl.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer closeResponse(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d, want the 401 as it is", resp.StatusCode)
		}
		if a, tk := len(apiRequests(s)), tokenRequests(s); a != 1 || tk != 0 {
			t.Errorf("%d API and %d token requests, want 1 and 0", a, tk)
		}
		if meta := decodeMeta(mustRead(t, resp.Body)); meta == nil || meta.Message != "NOT_AUTHORIZED" {
			t.Errorf("401 body was not handed over intact: %+v", meta)
		}
	})
}

func TestSaveFailureDuringAutomaticRefresh(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	diskFull := errors.New("disk full")
	st.failSaves(diskFull)
	reported := make(chan error, 1)
	cfg := serverConfig(t, s)
	cfg.Storage = st
	cfg.OnSaveError = func(ctx context.Context, err error) { reported <- err }
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(old)
	noSaveRetry(cl) // the save fails until told otherwise: one attempt

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
	if n := st.saves.Load(); n != 2 || cl.PendingSaveError() == nil {
		t.Errorf("%d saves, pending %v; want a second failed attempt", n, cl.PendingSaveError())
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
	if n := st.saves.Load(); n != 3 {
		t.Errorf("%d saves, want 3", n)
	}
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if n := st.saves.Load(); n != 3 {
		t.Errorf("%d saves after the token was saved, want no more", n)
	}
	if tk := tokenRequests(s); tk != 1 {
		t.Errorf("%d token requests, want 1", tk)
	}
}

func TestManualRefreshSaveFailure(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	st.failSaves(errors.New("read-only file system"))
	called := false
	cfg := serverConfig(t, s)
	cfg.Storage = st
	cfg.OnSaveError = func(context.Context, error) { called = true }
	minted := s.MintToken()
	cl := cfg.Client(minted)
	noSaveRetry(cl) // the save fails until told otherwise: one attempt

	tok, err := cl.Refresh(t.Context())
	var se *StorageError
	if !errors.As(err, &se) || se.Op != "save" {
		t.Fatalf("error = %v, want *StorageError", err)
	}
	if tok == nil || tok.AccessToken == minted.AccessToken {
		t.Fatalf("token = %v, want the refreshed token with the error", tok)
	}
	// The fake takes no access token but the one the refresh issued.
	if _, err := getUser(t.Context(), serverConfig(t, s).ClientFromAccessToken(tok.AccessToken)); err != nil {
		t.Fatalf("the returned token is not the refreshed one: %v", err)
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
	t.Parallel()
	s := newServer(t)
	tokenURL, _, release := heldTokenEndpoint(t, s)
	defer close(release)
	cfg := serverConfig(t, s)
	cfg.TokenURL = tokenURL
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(old)

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
	t.Parallel()
	s := newServer(t)
	good := s.MintToken()
	t.Run("uses the source", func(t *testing.T) {
		cl := serverConfig(t, s).ClientFromTokenSource(oauth2.StaticTokenSource(good))
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
		before := tokenRequests(s)
		cl := serverConfig(t, s).ClientFromTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "stale-access-55", RefreshToken: "r"}))
		if _, err := getUser(t.Context(), cl); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("error = %v, want ErrUnauthorized", err)
		}
		if tk := tokenRequests(s); tk != before {
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
		cl := serverConfig(t, s).ClientFromTokenSource(src)
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

// getUserConcurrently makes n getUser calls on cl at once and fails the
// test if any fails.
func getUserConcurrently(t *testing.T, cl *Client, n int) {
	t.Helper()
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
}

// expiredCopy returns tok with its expiry passed, as a token looks once
// its lifetime is over.
func expiredCopy(tok *oauth2.Token) *oauth2.Token {
	c := *tok
	c.Expiry = time.Now().Add(-time.Minute)
	return &c
}

// TestRefreshBeforeSendWhenExpired has 1,000 callers on one Client whose
// token's expiry has passed: they share one refresh before sending, so
// the server sees exactly one token request and one API request each,
// and no request with the expired token.
func TestRefreshBeforeSendWhenExpired(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	st := newCountingStorage()
	cfg := serverConfig(t, s)
	cfg.Storage = st
	cfg.HTTPClient.Transport.(*http.Transport).MaxIdleConnsPerHost = 1000
	old := s.MintToken()
	s.ExpireAccessTokens()
	cl := cfg.Client(expiredCopy(old))

	const n = 1000
	getUserConcurrently(t, cl, n)
	if tk, a := tokenRequests(s), len(apiRequests(s)); tk != 1 || a != n {
		t.Errorf("%d token and %d API requests for %d callers, want 1 and %d", tk, a, n, n)
	}
	if saves := st.saves.Load(); saves != 1 {
		t.Errorf("%d saves, want 1", saves)
	}
}

// TestRefreshOn401WhenExpiryIsWrong keeps refreshing on 401 for a token
// whose expiry says it is good but which the server has expired.
func TestRefreshOn401WhenExpiryIsWrong(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	old := s.MintToken() // expiry a year away
	s.ExpireAccessTokens()
	cl := serverConfig(t, s).Client(old)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	if tk, a := tokenRequests(s), len(apiRequests(s)); tk != 1 || a != 2 {
		t.Errorf("%d token and %d API requests, want 1 and 2 (a 401, then the resend)", tk, a)
	}
}

// storeConfig returns the Config of s with store as its Store.
func storeConfig(t *testing.T, s *uptest.Server, store Store) *Config {
	cfg := serverConfig(t, s)
	cfg.Store = store
	return cfg
}

func TestExchangeForAndClientFor(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := NewMemoryStore()
	cfg := storeConfig(t, s, store)
	ctx := t.Context()
	alice, err := cfg.ExchangeFor(ctx, "alice", authorize(t, cfg, "sa"), "sa")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := cfg.ExchangeFor(ctx, "bob", authorize(t, cfg, "sb"), "sb")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]*oauth2.Token{"alice": alice, "bob": bob} {
		cl, err := cfg.ClientFor(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if tok, _ := cl.Token(); tok.AccessToken != want.AccessToken {
			t.Errorf("%s's Client holds %s, want %s", key, tok.AccessToken, want.AccessToken)
		}
		if _, err := getUser(ctx, cl); err != nil {
			t.Error(err)
		}
	}
	if _, err := cfg.ClientFor(ctx, "carol"); !errors.Is(err, ErrNoToken) {
		t.Errorf("ClientFor of a user who never logged in: %v, want ErrNoToken", err)
	}

	// A refresh of alice's token stores the new one under alice, and
	// only there.
	s.ExpireAccessTokens()
	cl, _ := cfg.ClientFor(ctx, "alice")
	if _, err := getUser(ctx, cl); err != nil {
		t.Fatal(err)
	}
	now, _ := cl.Token()
	if got, _ := store.Load(ctx, "alice"); got.AccessToken != now.AccessToken || now.AccessToken == alice.AccessToken {
		t.Errorf("alice's stored token is %s, want the refreshed %s", got.AccessToken, now.AccessToken)
	}
	if got, _ := store.Load(ctx, "bob"); got.AccessToken != bob.AccessToken {
		t.Errorf("bob's stored token changed to %s", got.AccessToken)
	}

	// Disconnect deletes alice's token and nobody else's.
	if err := cl.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load(ctx, "alice"); !errors.Is(err, ErrNoToken) {
		t.Errorf("alice's token after Disconnect: %v", err)
	}
	if _, err := store.Load(ctx, "bob"); err != nil {
		t.Errorf("bob's token after alice's Disconnect: %v", err)
	}
}

// TestExchangeForRefusesBeforeSpendingTheCode refuses an empty key and a
// Config without Store before the authorization code is exchanged, since
// a code exchanged for a token that cannot be kept is lost.
func TestExchangeForRefusesBeforeSpendingTheCode(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := storeConfig(t, s, NewMemoryStore())
	back := authorize(t, cfg, "st")
	if _, err := cfg.ExchangeFor(t.Context(), "", back, "st"); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("ExchangeFor with an empty key: %v, want ErrEmptyKey", err)
	}
	if _, err := cfg.ClientFor(t.Context(), ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("ClientFor with an empty key: %v, want ErrEmptyKey", err)
	}
	noStore := serverConfig(t, s)
	if _, err := noStore.ExchangeFor(t.Context(), "alice", back, "st"); err == nil {
		t.Error("ExchangeFor without a Store succeeded")
	}
	if _, err := noStore.ClientFor(t.Context(), "alice"); err == nil {
		t.Error("ClientFor without a Store succeeded")
	}
	if n := tokenRequests(s); n != 0 {
		t.Errorf("%d token requests: the code was spent", n)
	}
	// The code is still good.
	if _, err := cfg.ExchangeFor(t.Context(), "alice", back, "st"); err != nil {
		t.Errorf("the code no longer works: %v", err)
	}
}

// heldTokenAnswer puts a gate behind s's token endpoint: each request is
// answered by s at once (a refresh is spent), announced on arrived, and
// its answer held until release is closed.
func heldTokenAnswer(t *testing.T, s *uptest.Server) (tokenURL string, arrived <-chan struct{}, release chan<- struct{}) {
	t.Helper()
	in, open := make(chan struct{}, 8), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		in <- struct{}{}
		<-open
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + tokenPath, in, open
}

// TestDisconnectRacingRefreshLeavesNoToken disconnects a user while a
// refresh of the user's token is under way in another Client: whichever
// ends first, no token is left stored, and the refresh does not bring
// back the token Disconnect deleted.
func TestDisconnectRacingRefreshLeavesNoToken(t *testing.T) {
	t.Parallel()
	t.Run("refresh answered before the delete", func(t *testing.T) {
		s := newServer(t)
		store := NewMemoryStore()
		cfg := storeConfig(t, s, store)
		tokenURL, arrived, release := heldTokenAnswer(t, s)
		cfg.TokenURL = tokenURL
		put(t, store, "alice", s.MintToken())
		refresher, err := cfg.ClientFor(t.Context(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		refreshed := make(chan error, 1)
		go func() { _, err := refresher.Refresh(t.Context()); refreshed <- err }()
		<-arrived // UP has rotated the token; its answer is on the way

		// Another request disconnects the user, with a token of its own.
		disconnecter, err := cfg.ClientFor(t.Context(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		disconnecter.SetToken(s.MintToken())
		disconnected := make(chan error, 1)
		go func() { disconnected <- disconnecter.Disconnect(t.Context()) }()
		waitFor(t, func() bool { return len(apiRequests(s)) == 1 }) // the DELETE reached UP
		time.Sleep(50 * time.Millisecond)                           // and its delete waits for the lock
		close(release)
		if err := <-refreshed; err != nil {
			t.Errorf("Refresh: %v", err)
		}
		if err := <-disconnected; err != nil {
			t.Errorf("Disconnect: %v", err)
		}
		if tok, err := store.Load(t.Context(), "alice"); !errors.Is(err, ErrNoToken) {
			t.Errorf("after Disconnect the store holds %v (%v)", tok, err)
		}
	})
	t.Run("delete before the refresh reads", func(t *testing.T) {
		s := newServer(t)
		store := NewMemoryStore()
		cfg := storeConfig(t, s, store)
		put(t, store, "alice", expiredCopy(s.MintToken()))
		late, err := cfg.ClientFor(t.Context(), "alice") // holds the token, about to refresh it
		if err != nil {
			t.Fatal(err)
		}
		disconnecter, _ := cfg.ClientFor(t.Context(), "alice")
		disconnecter.SetToken(s.MintToken())
		if err := disconnecter.Disconnect(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := getUser(t.Context(), late); !errors.Is(err, ErrNoToken) {
			t.Errorf("a call after the user disconnected elsewhere: %v, want ErrNoToken", err)
		}
		if n := tokenRequests(s); n != 0 {
			t.Errorf("%d token requests: a refresh of a deleted token", n)
		}
		if tok, err := store.Load(t.Context(), "alice"); !errors.Is(err, ErrNoToken) {
			t.Errorf("the refresh brought back %v (%v)", tok, err)
		}
	})
	t.Run("same Client", func(t *testing.T) {
		s := newServer(t)
		store := NewMemoryStore()
		cfg := storeConfig(t, s, store)
		tokenURL, arrived, release := heldTokenEndpoint(t, s)
		cfg.TokenURL = tokenURL
		put(t, store, "alice", s.MintToken())
		cl, _ := cfg.ClientFor(t.Context(), "alice")
		refreshed := make(chan error, 1)
		go func() { _, err := cl.Refresh(t.Context()); refreshed <- err }()
		<-arrived // the refresh waits at the token endpoint, holding the lock
		disconnected := make(chan error, 1)
		go func() { disconnected <- cl.Disconnect(t.Context()) }()
		waitFor(t, func() bool { return len(apiRequests(s)) == 1 })
		close(release)
		if err := <-refreshed; err == nil {
			t.Error("the refresh succeeded after UP revoked the token") // refused or superseded, either way not stored
		}
		if err := <-disconnected; err != nil {
			t.Errorf("Disconnect: %v", err)
		}
		if tok, err := store.Load(t.Context(), "alice"); !errors.Is(err, ErrNoToken) {
			t.Errorf("after Disconnect the store holds %v (%v)", tok, err)
		}
		if _, err := cl.Token(); !errors.Is(err, ErrNoToken) {
			t.Errorf("the Client holds a token after Disconnect: %v", err)
		}
	})
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
	}
}

// TestRefusedRefreshAdoptsTokenStoredMeanwhile has two Clients of one
// user refresh at once through a store without a lock, whose writes land
// 40ms late: UP takes one refresh and refuses the other (the refresh token
// was spent), and the refused Client waits for the winner's token and uses
// it, instead of reporting ErrLoginRequired.
func TestRefusedRefreshAdoptsTokenStoredMeanwhile(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := newNoLockStore(40 * time.Millisecond)
	cfg := storeConfig(t, s, store)
	both := make(chan struct{})
	var arrived atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 2 {
			close(both)
		}
		<-both // both refreshes are in before UP answers either
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	cfg.TokenURL = front.URL + tokenPath
	put(t, store, "alice", expiredCopy(s.MintToken()))
	s.ExpireAccessTokens()

	clients := make([]*Client, 2)
	for i := range clients {
		cl, err := cfg.ClientFor(t.Context(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = cl
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			if _, err := getUser(t.Context(), cl); err != nil {
				t.Errorf("call: %v", err)
			}
		})
	}
	wg.Wait()
	if n := tokenRequests(s); n != 2 {
		t.Errorf("%d token requests, want 2 (one refused)", n)
	}
	stored, err := store.Load(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for i, cl := range clients {
		if tok, _ := cl.Token(); tok.AccessToken != stored.AccessToken {
			t.Errorf("Client %d holds %s, want the stored %s", i, tok.AccessToken, stored.AccessToken)
		}
	}
}

// TestRefusedRefreshOfTheStoredToken reports ErrLoginRequired when the
// token refused is the one still stored, after re-reading the store for
// adoptWindow.
func TestRefusedRefreshOfTheStoredToken(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := &countingStore{Store: NewMemoryStore()}
	cfg := storeConfig(t, s, store)
	put(t, store, "alice", expiredCopy(s.MintToken()))
	s.RevokeAll()
	cl, err := cfg.ClientFor(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = getUser(t.Context(), cl)
	if !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("error = %v, want ErrLoginRequired", err)
	}
	if d := time.Since(start); d < adoptWindow {
		t.Errorf("gave up after %v, before adoptWindow (%v)", d, adoptWindow)
	}
	if n := store.loads.Load(); n < 3 {
		t.Errorf("the store was re-read %d times, want several", n)
	}
	if n := tokenRequests(s); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	if _, err := store.Load(t.Context(), "alice"); err != nil {
		t.Errorf("the refused token is gone: %v", err)
	}
}

// countingStore counts a Store's loads.
type countingStore struct {
	Store
	loads atomic.Int64
}

func (s *countingStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, key)
}

// TestPendingSaveInStore retries a failed save of a refreshed token under
// the user's key, and gives way when the stored token changed meanwhile.
func TestPendingSaveInStore(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	store := &failingStore{Store: NewMemoryStore()}
	cfg := storeConfig(t, s, store)
	put(t, store, "alice", expiredCopy(s.MintToken()))
	cl, _ := cfg.ClientFor(t.Context(), "alice")
	noSaveRetry(cl) // the save fails until told otherwise: one attempt
	store.fail.Store(true)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatalf("the call failed although only the save did: %v", err)
	}
	var se *StorageError
	if err := cl.PendingSaveError(); !errors.As(err, &se) {
		t.Fatalf("PendingSaveError = %v, want a *StorageError", err)
	}
	store.fail.Store(false)
	if _, err := getUser(t.Context(), cl); err != nil {
		t.Fatal(err)
	}
	now, _ := cl.Token()
	if got, _ := store.Load(t.Context(), "alice"); cl.PendingSaveError() != nil || got.AccessToken != now.AccessToken {
		t.Errorf("after the retry: pending %v, stored %s; want the Client's %s", cl.PendingSaveError(), got.AccessToken, now.AccessToken)
	}

	// A save still pending when the user logs in anew gives way.
	s.ExpireAccessTokens()
	store.fail.Store(true)
	cl2, _ := cfg.ClientFor(t.Context(), "alice")
	noSaveRetry(cl2) // the save fails until told otherwise: one attempt
	if _, err := getUser(t.Context(), cl2); err != nil || cl2.PendingSaveError() == nil {
		t.Fatalf("call: %v, pending %v; want a pending save", err, cl2.PendingSaveError())
	}
	store.fail.Store(false)
	relogin := s.MintToken()
	put(t, store, "alice", relogin)
	if _, err := getUser(t.Context(), cl2); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Load(t.Context(), "alice"); got.AccessToken != relogin.AccessToken || cl2.PendingSaveError() != nil {
		t.Errorf("the pending save replaced the new login's token (stored %s, pending %v)", got.AccessToken, cl2.PendingSaveError())
	}
}

// failingStore fails every write while fail is set.
type failingStore struct {
	Store
	fail atomic.Bool
}

func (s *failingStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	return s.Store.Update(ctx, key, func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		next, err := fn(ctx, stored)
		if err == nil && s.fail.Load() {
			return nil, errors.New("disk full")
		}
		return next, err
	})
}

// TestHugeExpiresInIsNotBornExpired has the token endpoint answer
// expires_in 31536000000 (a thousand years), which overflowed into an
// expiry in 1857: two Clients sharing a storage then took the token for
// expired and refreshed each other's token on every call. Clamped, the
// token lasts ten years, and calls need no refresh.
func TestHugeExpiresInIsNotBornExpired(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, r)
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Errorf("token endpoint answer: %v", err)
		}
		answer["expires_in"] = 31536000000
		writeJSON(w, rec.Code, answer)
	}))
	t.Cleanup(huge.Close)
	cfg := serverConfig(t, s)
	cfg.TokenURL = huge.URL + tokenPath
	cfg.Storage = NewMemoryStorage()
	first, err := cfg.Client(s.MintToken()).Refresh(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if expired(first) || first.Expiry.Before(time.Now().Add(9*365*24*time.Hour)) {
		t.Fatalf("expiry %v: want about ten years from now", first.Expiry)
	}
	a, errA := cfg.ClientFromStorage(t.Context())
	b, errB := cfg.ClientFromStorage(t.Context())
	if err := errors.Join(errA, errB); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		for _, cl := range []*Client{a, b} {
			if _, err := getUser(t.Context(), cl); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := tokenRequests(s); n != 1 {
		t.Errorf("%d token requests for 10 calls after the first refresh, want just that one", n)
	}
}

func TestAdoptWait(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ roundTrip, slowestRead, want time.Duration }{
		{0, 0, adoptWindow},
		{50 * time.Millisecond, 5 * time.Millisecond, adoptWindow},
		{adoptWindow / adoptRoundTrips, adoptWindow / adoptReads, adoptWindow},
		{2 * time.Second, 0, adoptRoundTrips * 2 * time.Second},
		{0, 300 * time.Millisecond, adoptReads * 300 * time.Millisecond},
		{2 * time.Second, time.Second, adoptReads * time.Second},
		{time.Minute, 0, maxAdoptWindow},
		{0, time.Minute, maxAdoptWindow},
	} {
		if got := adoptWait(tt.roundTrip, tt.slowestRead); got != tt.want {
			t.Errorf("adoptWait(%v, %v) = %v, want %v", tt.roundTrip, tt.slowestRead, got, tt.want)
		}
	}
}
