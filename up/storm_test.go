package up_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// longStorm reports whether the slow, thorough variants were asked for
// (UP_TEST_LONG=1).
func longStorm() bool { return os.Getenv("UP_TEST_LONG") != "" }

// authCounter counts, below a Client, the requests sent with one access
// token and the 401 answers.
type authCounter struct {
	base         http.RoundTripper
	stale        string
	sentStale    atomic.Int64
	unauthorized atomic.Int64
}

func (a *authCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "Bearer "+a.stale {
		a.sentStale.Add(1)
	}
	resp, err := a.base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		a.unauthorized.Add(1)
	}
	return resp, err
}

// TestRefreshStorm has 1,000 goroutines call at once with an access token
// the server has expired. Each meets a 401 or the refreshed token, and
// between them they make exactly one token request; every call succeeds,
// and the storage ends up holding the token the Client uses.
func TestRefreshStorm(t *testing.T) {
	callers := 1000
	if longStorm() {
		callers = 5000
	}
	s := uptest.NewServer(t, uptest.WithDays(1))
	tok := s.MintToken()
	st := up.NewFileStorage(filepath.Join(t.TempDir(), "token.json"))
	if err := st.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	base := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	defer base.CloseIdleConnections()
	counter := &authCounter{base: base, stale: tok.AccessToken}
	cfg := fakeConfig(s)
	cfg.Storage = st
	cfg.HTTPClient = &http.Client{Transport: counter}
	c := cfg.Client(tok)
	s.ExpireAccessTokens()

	start := make(chan struct{})
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			<-start
			u, _, err := c.User(t.Context())
			if err == nil && u.XID != s.UserXID() {
				err = fmt.Errorf("user %q, want %q", u.XID, s.UserXID())
			}
			errs <- err
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed < 5 {
				t.Errorf("call failed: %v", err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d calls failed", failed, callers)
	}
	if n := s.TokenRequests()["refresh_token"]; n != 1 {
		t.Errorf("%d refresh requests, want exactly 1", n)
	}
	stale, unauthorized := counter.sentStale.Load(), counter.unauthorized.Load()
	if stale < 2 || unauthorized != stale {
		t.Errorf("%d requests carried the stale token and %d were refused: want several, all refused", stale, unauthorized)
	}
	now, err := c.Token()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Load(t.Context())
	if err != nil || stored.AccessToken != now.AccessToken || stored.RefreshToken != now.RefreshToken {
		t.Errorf("storage holds %v (%v), not the Client's token", stored, err)
	}
	if now.AccessToken == tok.AccessToken {
		t.Error("the Client still holds the expired token")
	}
	t.Logf("%d callers in %v: %d met the expired token, 1 refresh", callers, elapsed.Round(time.Millisecond), stale)
}

// stormChildEnv carries the settings of one caller process of
// TestRefreshStormProcesses, as JSON.
const stormChildEnv = "UP_TEST_STORM_CALLER"

// stormChild is what a caller process is told and what it reports.
type stormChild struct {
	ID           int
	BaseURL      string
	TokenURL     string
	ClientID     string
	ClientSecret string
	Path         string // the shared token file
	Calls        int
	Workers      int
	Pace         time.Duration // call n starts no sooner than n·Pace after the first
}

type stormReport struct {
	OK, Failed int
	Errors     []string
}

// tokenLog is a handler in front of the fake server that records every
// access token the token endpoint issues, in order.
type tokenLog struct {
	next   http.Handler
	mu     sync.Mutex
	issued []string
}

func (l *tokenLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/auth/oauth2/token" {
		l.next.ServeHTTP(w, r)
		return
	}
	l.mu.Lock() // one token request at a time, so that the log is in issue order
	defer l.mu.Unlock()
	rec := httptest.NewRecorder()
	l.next.ServeHTTP(rec, r)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &tok) == nil && tok.AccessToken != "" {
		l.issued = append(l.issued, tok.AccessToken)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (l *tokenLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.issued...)
}

// TestRefreshStormProcesses runs two OS processes (this test binary, run
// again) that share one token file and call one fake server, whose access
// tokens live 100ms and are replaced, refresh token included, at each
// refresh. (Expiring every token faster than a refresh and its save
// complete makes some calls exhaust the two renewals a call is allowed, by
// design; see BENCHMARKS.md. At 50ms a machine running other tests beside
// this one with -race did so now and then.) Each process makes hundreds of
// calls from several goroutines. No call may fail, however the processes' refreshes
// interleave, and at the end the file must hold the token the server issued
// last, which must still refresh.
func TestRefreshStormProcesses(t *testing.T) {
	if spec := os.Getenv(stormChildEnv); spec != "" {
		runStormChild(t, spec)
		return
	}
	// The calls are spread over at least 1.5s, fifteen lifetimes of an
	// access token, so that both processes refresh and adopt many times
	// however fast the machine is.
	calls, lifetime, pace := 300, 100*time.Millisecond, 5*time.Millisecond
	if longStorm() {
		calls = 3000
	}
	s := uptest.NewServer(t, uptest.WithDays(1), uptest.WithAccessTokenLifetime(lifetime))
	log := &tokenLog{next: s}
	front := httptest.NewServer(log)
	defer front.Close()
	path := filepath.Join(t.TempDir(), "token.json")
	first := s.MintToken()
	if err := up.NewFileStorage(path).Save(t.Context(), first); err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	reports := make([]stormReport, 2)
	var wg sync.WaitGroup
	for id := range reports {
		wg.Go(func() {
			spec, _ := json.Marshal(stormChild{
				ID: id, BaseURL: front.URL + strings.TrimPrefix(s.URL, originOf(s.URL)), TokenURL: front.URL + "/auth/oauth2/token",
				ClientID: s.ClientID, ClientSecret: s.ClientSecret, Path: path, Calls: calls, Workers: 4, Pace: pace,
			})
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestRefreshStormProcesses$", "-test.count=1")
			cmd.Env = append(os.Environ(), stormChildEnv+"="+string(spec))
			var out, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("process %d: %v\n%s%s", id, err, out.String(), stderr.String())
				return
			}
			if err := json.Unmarshal(reportLine(out.Bytes()), &reports[id]); err != nil {
				t.Errorf("process %d: report %q: %v", id, out.String(), err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	if t.Failed() {
		return
	}
	for id, r := range reports {
		if r.Failed != 0 || r.OK != calls {
			t.Errorf("process %d: %d calls succeeded, %d failed, want %d and 0: %q", id, r.OK, r.Failed, calls, r.Errors)
		}
	}
	issued := log.all()
	refreshes := s.TokenRequests()["refresh_token"]
	t.Logf("2 processes × %d calls in %v; access tokens living %v; %d refreshes", calls, elapsed.Round(time.Millisecond), lifetime, refreshes)
	if len(issued) < 3 {
		t.Errorf("the server issued %d tokens: the test did not make the processes refresh often", len(issued))
	}
	if len(issued) != refreshes {
		t.Errorf("%d refresh requests but %d tokens issued: some refresh failed", refreshes, len(issued))
	}

	st := up.NewFileStorage(path)
	stored, err := st.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(issued) > 0 && stored.AccessToken != issued[len(issued)-1] {
		t.Errorf("the file holds an access token the server issued as number %d of %d, not the last",
			slices.Index(issued, stored.AccessToken)+1, len(issued))
	}
	cfg := fakeConfig(s)
	cfg.Storage = st
	c, err := cfg.ClientFromStorage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Refresh(t.Context()); err != nil {
		t.Errorf("the stored refresh token no longer works: %v", err)
	}
	if _, _, err := c.User(t.Context()); err != nil {
		t.Errorf("a call with the refreshed token: %v", err)
	}
}

// runStormChild is one caller process of TestRefreshStormProcesses: its
// workers share one Client made from the token file and make Calls calls
// in all, alternating between two endpoints; it prints a stormReport.
func runStormChild(t *testing.T, spec string) {
	var cfgIn stormChild
	if err := json.Unmarshal([]byte(spec), &cfgIn); err != nil {
		t.Fatal(err)
	}
	cfg := &up.Config{
		ClientID: cfgIn.ClientID, ClientSecret: cfgIn.ClientSecret,
		BaseURL: cfgIn.BaseURL, TokenURL: cfgIn.TokenURL,
		Storage: up.NewFileStorage(cfgIn.Path),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := cfg.ClientFromStorage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var report stormReport
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range cfgIn.Workers {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(cfgIn.Calls); n = next.Add(1) {
				time.Sleep(time.Until(start.Add(time.Duration(n) * cfgIn.Pace)))
				var err error
				if n%2 == 0 {
					_, _, err = c.User(ctx)
				} else {
					_, err = c.WorkoutsPage(ctx, up.ListQuery{Limit: 3})
				}
				mu.Lock()
				if err != nil {
					report.Failed++
					if len(report.Errors) < 5 {
						report.Errors = append(report.Errors, err.Error())
					}
				} else {
					report.OK++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := c.PendingSaveError(); err != nil {
		report.Errors = append(report.Errors, "unsaved token: "+err.Error())
		report.Failed++
	}
	b, _ := json.Marshal(report)
	fmt.Printf("\n%s%s\n", stormReportPrefix, b)
}

// originOf returns the scheme and host of an absolute URL.
func originOf(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// stormReportPrefix starts the line on which a caller process reports.
const stormReportPrefix = "storm report: "

// reportLine returns the report a caller process printed, or nil.
func reportLine(out []byte) []byte {
	for line := range bytes.Lines(out) {
		if r, ok := bytes.CutPrefix(line, []byte(stormReportPrefix)); ok {
			return r
		}
	}
	return nil
}

// TestRefreshWithOneConnectionPerHost refreshes through a transport that
// allows one connection to the server, which serves both the API and the
// token endpoint, as jawbone.com did. The refused call's connection must be
// free again before the refresh needs it, or the call waits forever.
func TestRefreshWithOneConnectionPerHost(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithDays(1))
	base := &http.Transport{MaxConnsPerHost: 1}
	defer base.CloseIdleConnections()
	cfg := fakeConfig(s)
	cfg.HTTPClient = &http.Client{Transport: base}
	c := cfg.Client(s.MintToken())
	s.ExpireAccessTokens()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, _, err := c.User(ctx); err != nil {
		t.Fatalf("User after the token expired: %v", err)
	}
	if n := s.TokenRequests()["refresh_token"]; n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
}

// TestManyUsersStorm is a web application's worst minute: 200 UP users
// whose access tokens have all expired, each making 3 requests at once,
// every request with a fresh Client from one Config and one Store. No
// request may fail, none may report ErrLoginRequired, and each must get
// its own user's profile. With a Store that locks per user, each user's
// token is refreshed exactly once and no refresh token is ever sent twice
// (the fake counts, per user, the refreshes and the replays of a rotated
// refresh token); with a Store whose Update takes no lock (the trial web
// application's case, where 171 of 300 such requests were told to log in
// again), refused refreshes recover by adopting the winner's token. Each
// runs with the expiry known to have passed (refreshed before sending) and
// unknown (refreshed after a 401). Every token left in the store must work.
func TestManyUsersStorm(t *testing.T) {
	const users, perUser = 200, 3
	for _, tc := range []struct {
		locking, knownExpiry bool
	}{{true, true}, {true, false}, {false, true}, {false, false}} {
		t.Run(fmt.Sprintf("locking=%v/expiry known=%v", tc.locking, tc.knownExpiry), func(t *testing.T) {
			ctx := t.Context()
			s := uptest.NewServer(t, uptest.WithDays(1))
			var store up.Store = up.NewMemoryStore()
			if !tc.locking {
				store = up.NewNoLockStore(5 * time.Millisecond) // a database's write latency
			}
			// A transport limited to 64 connections, as in TestRefreshStorm:
			// 600 at once starve a 2-CPU machine running -race of the time
			// a winner needs to store its token.
			base := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
			defer base.CloseIdleConnections()
			cfg := fakeConfig(s)
			cfg.Store = store
			cfg.HTTPClient = &http.Client{Transport: base}

			upUsers := append([]*uptest.User{s.DefaultUser()}, s.AddUsers(users-1)...)
			keys := make([]string, users)
			for i, u := range upUsers {
				keys[i] = fmt.Sprintf("user-%03d", i)
				tok := u.MintToken()
				if tc.knownExpiry {
					tok.Expiry = time.Now().Add(-time.Minute)
				} else {
					tok.Expiry = time.Time{}
				}
				err := store.Update(ctx, keys[i], func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil })
				if err != nil {
					t.Fatal(err)
				}
			}
			s.ExpireAllAccessTokens()

			start := make(chan struct{})
			errs := make(chan error, users*perUser)
			var wg sync.WaitGroup
			for i, key := range keys {
				for range perUser {
					wg.Go(func() {
						<-start
						c, err := cfg.ClientFor(ctx, key) // a Client per request
						if err == nil {
							var u *up.User
							if u, _, err = c.User(ctx); err == nil && u.XID != upUsers[i].XID() {
								err = fmt.Errorf("%s got the profile of %s, not of %s", key, u.XID, upUsers[i].XID())
							}
						}
						errs <- err
					})
				}
			}
			began := time.Now()
			close(start)
			wg.Wait()
			elapsed := time.Since(began)
			close(errs)
			failed, loginRequired := 0, 0
			for err := range errs {
				if err == nil {
					continue
				}
				if errors.Is(err, up.ErrLoginRequired) {
					loginRequired++
				}
				if failed < 5 {
					t.Errorf("request failed: %v", err)
				}
				failed++
			}
			refreshes, api := s.TokenRequests()["refresh_token"], 0
			for _, r := range s.Requests() {
				if strings.HasPrefix(r.Path, "/nudge/api/") {
					api++
				}
			}
			t.Logf("%d requests in %v: %d API requests, %d refreshes, %d of them with a refresh token already exchanged",
				users*perUser, elapsed.Round(time.Millisecond), api, refreshes, s.RefreshTokenReplays())
			if failed > 0 {
				t.Fatalf("%d of %d requests failed, %d with ErrLoginRequired", failed, users*perUser, loginRequired)
			}
			if tc.locking {
				if n := s.RefreshTokenReplays(); n != 0 {
					t.Errorf("%d refreshes sent a refresh token already exchanged", n)
				}
				for i, u := range upUsers {
					if n := u.TokenRequests()["refresh_token"]; n != 1 {
						t.Errorf("%s: %d refreshes, want exactly 1", keys[i], n)
					}
				}
			}
			if refreshes < users {
				t.Errorf("%d refreshes for %d users with expired tokens", refreshes, users)
			}
			if tc.knownExpiry && api != users*perUser {
				t.Errorf("%d API requests, want %d: none should carry an expired token", api, users*perUser)
			}

			// Every token left in the store is its user's live one.
			for i, key := range keys {
				tok, err := store.Load(ctx, key)
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				u, _, err := cfg.ClientFromAccessToken(tok.AccessToken).User(ctx)
				if err != nil || u.XID != upUsers[i].XID() {
					t.Errorf("%s's stored token does not work for its user: %v", key, err)
				}
			}
		})
	}
}
