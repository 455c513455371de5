package up_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// The fault matrix: every way uptest can make the server misbehave, met by
// a read (WorkoutsPage), a write (CreateWorkout) and an iterator between
// two pages (Workouts). Each must give its documented error and leave
// nothing behind: no goroutine, no lost or damaged token, no write
// processed twice.

// matrixOp is one operation of the matrix. run performs it, injecting the
// fault with inject at the moment the fault is meant to strike, and
// returns the operation's error.
type matrixOp struct {
	name   string
	method string
	run    func(ctx context.Context, t *testing.T, c *up.Client, title string, inject func()) error
}

// matrixPageSize is the iterator's page size; the fault strikes the second page.
const matrixPageSize = 2

var matrixOps = []matrixOp{
	{
		name: "read", method: http.MethodGet,
		run: func(ctx context.Context, _ *testing.T, c *up.Client, _ string, inject func()) error {
			inject()
			_, err := c.WorkoutsPage(ctx, up.ListQuery{Limit: matrixPageSize})
			return err
		},
	},
	{
		name: "write", method: http.MethodPost,
		run: func(ctx context.Context, _ *testing.T, c *up.Client, title string, inject func()) error {
			inject()
			start := time.Now().Add(-time.Hour).Truncate(time.Second)
			_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{
				SubType:       2,
				TimeCreated:   up.Ptr(up.EpochOf(start)),
				TimeCompleted: up.Ptr(up.EpochOf(start.Add(30 * time.Minute))),
				Title:         up.Ptr(title),
			})
			return err
		},
	},
	{
		name: "iterator", method: http.MethodGet,
		run: func(ctx context.Context, t *testing.T, c *up.Client, _ string, inject func()) error {
			var items int
			var got error
			for _, err := range c.Workouts(ctx, up.ListQuery{Limit: matrixPageSize}) {
				if got != nil {
					t.Errorf("the iterator yielded again after its error %v", got)
					break
				}
				if err != nil {
					got = err
					continue
				}
				items++
				if items == 1 {
					inject() // the first page is in; the fault meets the second
				}
			}
			if got != nil && items != matrixPageSize {
				t.Errorf("the iterator yielded %d items before its error, want the first page's %d", items, matrixPageSize)
			}
			if got == nil {
				return errors.New("the iterator ended without an error")
			}
			return got
		},
	},
}

// matrixCase is one fault of the matrix.
type matrixCase struct {
	name   string
	faults []uptest.Fault // Method and Path are filled in for the operation
	// tokenFault, if set, is injected on the token endpoint with the others.
	tokenFault *uptest.Fault
	// accessOnly gives the Client an access token without a refresh token.
	accessOnly bool
	// timeout bounds the operation; zero means 30s.
	timeout time.Duration
	// sends is how many times the operation's request reaches the server;
	// -1 means at least once (net/http may resend a GET on a dropped
	// connection).
	sends int
	// refreshes is how many refresh requests the operation makes.
	refreshes int
	// writeSends and writeRefreshes, when writeSends is not 0, replace
	// sends and refreshes for a POST, which is resent once at most.
	writeSends, writeRefreshes int
	// processed reports whether the server carried out a write before the
	// fault spoiled its answer.
	processed bool
	check     func(t *testing.T, err error)
}

var matrixCases = []matrixCase{
	{
		name:   "401 forced",
		faults: []uptest.Fault{{Kind: uptest.FaultUnauthorized}},
		sends:  3, refreshes: 2, // the first try and one per renewal, then the 401
		writeSends: 2, writeRefreshes: 1, // a write: the first try and one resend
		check: wantAPIError(http.StatusUnauthorized, up.ErrUnauthorized, true),
	},
	{
		name:       "401 refresh refused",
		faults:     []uptest.Fault{{Kind: uptest.FaultUnauthorized, Count: 1}},
		tokenFault: &uptest.Fault{Path: "/auth/oauth2/token", Kind: uptest.FaultUnauthorized, Count: 1},
		sends:      1, refreshes: 1,
		check: func(t *testing.T, err error) {
			var te *up.TokenError
			if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized || te.Code != "invalid_client" {
				t.Errorf("err = %v, want a *TokenError 401 invalid_client", err)
			}
		},
	},
	{
		name:       "401 without refresh token",
		faults:     []uptest.Fault{{Kind: uptest.FaultUnauthorized, Count: 1}},
		accessOnly: true,
		sends:      1,
		check:      wantAPIError(http.StatusUnauthorized, up.ErrUnauthorized, true),
	},
	{
		name:   "429 with Retry-After",
		faults: []uptest.Fault{{Kind: uptest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: 3 * time.Second, Count: 1}},
		sends:  1,
		check: func(t *testing.T, err error) {
			var rl *up.RateLimitError
			if !errors.As(err, &rl) || rl.StatusCode != http.StatusTooManyRequests || rl.RetryAfter != 3*time.Second || !errors.Is(err, up.ErrRateLimited) {
				t.Errorf("err = %v, want a *RateLimitError 429 asking for 3s", err)
			}
		},
	},
	{
		name:   "500",
		faults: []uptest.Fault{{Kind: uptest.FaultStatus, Status: http.StatusInternalServerError, Count: 1}},
		sends:  1,
		check:  wantAPIError(http.StatusInternalServerError, nil, true),
	},
	{
		name:   "503",
		faults: []uptest.Fault{{Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Count: 1}},
		sends:  1,
		check:  wantAPIError(http.StatusServiceUnavailable, nil, true),
	},
	{
		name:    "latency past the deadline",
		faults:  []uptest.Fault{{Kind: uptest.FaultLatency, Latency: 10 * time.Second, Count: 1}},
		timeout: 300 * time.Millisecond,
		sends:   1,
		check: func(t *testing.T, err error) {
			var ue *url.Error
			if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ue) {
				t.Errorf("err = %v, want a *url.Error matching context.DeadlineExceeded", err)
			}
		},
	},
	{
		name:      "truncated body",
		faults:    []uptest.Fault{{Kind: uptest.FaultTruncatedBody, Count: 1}},
		sends:     1,
		processed: true,
		check:     wantDecodeError(io.ErrUnexpectedEOF),
	},
	{
		name:      "malformed JSON",
		faults:    []uptest.Fault{{Kind: uptest.FaultMalformedJSON, Count: 1}},
		sends:     1,
		processed: true,
		check:     wantDecodeError(nil),
	},
	{
		name:   "dropped connection",
		faults: []uptest.Fault{{Kind: uptest.FaultDropConnection}},
		sends:  -1,
		check: func(t *testing.T, err error) {
			var ue *url.Error
			if !errors.As(err, &ue) || !errors.Is(err, io.EOF) {
				t.Errorf("err = %v, want a *url.Error matching io.EOF", err)
			}
		},
	},
	{
		name:   "HTML error page",
		faults: []uptest.Fault{{Kind: uptest.FaultHTMLError, Status: http.StatusBadGateway, Count: 1}},
		sends:  1,
		check: func(t *testing.T, err error) {
			var ae *up.APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadGateway || ae.Meta != nil || !bytes.Contains(ae.Body, []byte("<html>")) {
				t.Errorf("err = %v, want an *APIError 502 without meta, quoting the page", err)
			}
		},
	},
}

// wantAPIError checks for an *APIError (not a *RateLimitError) with status
// and, if set, matching sentinel; withMeta asks for the envelope's meta.
func wantAPIError(status int, sentinel error, withMeta bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ae *up.APIError
		var rl *up.RateLimitError
		switch {
		case !errors.As(err, &ae) || errors.As(err, &rl):
			t.Errorf("err = %v (%T), want an *APIError", err, err)
		case ae.StatusCode != status:
			t.Errorf("status %d, want %d", ae.StatusCode, status)
		case sentinel != nil && !errors.Is(err, sentinel):
			t.Errorf("err = %v does not match %v", err, sentinel)
		case withMeta && (ae.Meta == nil || ae.Meta.Code != status):
			t.Errorf("meta = %+v, want the envelope's, with code %d", ae.Meta, status)
		}
	}
}

// wantDecodeError checks for a *DecodeError, wrapping cause if set.
func wantDecodeError(cause error) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var de *up.DecodeError
		if !errors.As(err, &de) || (cause != nil && !errors.Is(err, cause)) {
			t.Errorf("err = %v (%T), want a *DecodeError wrapping %v", err, err, cause)
		}
	}
}

func TestFaultMatrix(t *testing.T) {
	for _, tc := range matrixCases {
		for _, op := range matrixOps {
			t.Run(tc.name+"/"+op.name, func(t *testing.T) { runMatrixCase(t, tc, op) })
		}
	}
}

func runMatrixCase(t *testing.T, tc matrixCase, op matrixOp) {
	s := uptest.NewServer(t, uptest.WithDays(14))
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	st := up.NewFileStorage(filepath.Join(t.TempDir(), "token.json"))
	cfg := fakeConfig(s)
	cfg.HTTPClient = &http.Client{Transport: base}
	cfg.Storage = st
	tok := s.MintToken()
	if tc.accessOnly {
		tok = &oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer"}
	}
	if err := st.Save(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	c := cfg.Client(tok)
	if _, _, err := c.User(t.Context()); err != nil { // warm up: connections, lazy state
		t.Fatal(err)
	}
	goroutines := settledGoroutines(base, 0)
	s.ResetRequests()
	refreshesBefore := s.TokenRequests()["refresh_token"]

	var removers []func()
	inject := func() {
		for _, f := range tc.faults {
			f.Method, f.Path = op.method, "/users/@me/workouts"
			removers = append(removers, s.Inject(f))
		}
		if tc.tokenFault != nil {
			removers = append(removers, s.Inject(*tc.tokenFault))
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), cmp.Or(tc.timeout, 30*time.Second))
	title := "matrix " + tc.name
	err := op.run(ctx, t, c, title, inject)
	cancel()
	for _, remove := range removers {
		remove()
	}
	if err == nil {
		t.Fatal("no error")
	}
	tc.check(t, err)
	if leak := strings.Contains(err.Error(), tok.AccessToken) || (tok.RefreshToken != "" && strings.Contains(err.Error(), tok.RefreshToken)); leak {
		t.Errorf("the error quotes a token: %v", err)
	}

	// Nothing left running once the idle connections are closed.
	if n := settledGoroutines(base, goroutines); n > goroutines {
		var dump bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
		t.Errorf("%d goroutines before, %d after:\n%s", goroutines, n, dump.String())
	}

	// The operation's request reached the server as often as it should.
	sends := 0
	for _, r := range s.Requests() {
		if r.Method == op.method && strings.HasSuffix(r.Path, "/workouts") {
			sends++
		}
	}
	if op.name == "iterator" {
		sends-- // the first page
	}
	wantSends, wantRefreshes := tc.sends, tc.refreshes
	if op.method == http.MethodPost && tc.writeSends != 0 {
		wantSends, wantRefreshes = tc.writeSends, tc.writeRefreshes
	}
	if (wantSends >= 0 && sends != wantSends) || (wantSends < 0 && sends < 1) || (op.method == http.MethodPost && wantSends < 0 && sends != 1) {
		t.Errorf("the request reached the server %d times, want %d", sends, max(wantSends, 1))
	}
	if got := s.TokenRequests()["refresh_token"] - refreshesBefore; got != wantRefreshes {
		t.Errorf("%d refresh requests, want %d", got, wantRefreshes)
	}
	if op.method == http.MethodPost {
		checkCreated(t, s, c, title, tc.processed)
	}
	checkTokenIntact(t, s, cfg, c, st, tc.accessOnly)
}

// settledGoroutines closes the idle connections and waits, a few seconds
// at most, for the number of goroutines to come down to want; it returns
// the number it saw last.
func settledGoroutines(base *http.Transport, want int) int {
	n := 0
	for deadline := time.Now().Add(5 * time.Second); ; {
		base.CloseIdleConnections()
		runtime.Gosched()
		n = runtime.NumGoroutine()
		if (want > 0 && n <= want) || time.Now().After(deadline) {
			return n
		}
		if want == 0 {
			// Establishing the baseline: wait for the count to stop falling.
			time.Sleep(20 * time.Millisecond)
			if runtime.NumGoroutine() == n {
				return n
			}
			continue
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkCreated counts the workouts titled title: one if the server carried
// out the write before the fault, none otherwise, and never two.
func checkCreated(t *testing.T, s *uptest.Server, c *up.Client, title string, processed bool) {
	t.Helper()
	n := 0
	for w, err := range c.Workouts(t.Context(), up.ListQuery{Limit: 100}) {
		if err != nil {
			t.Fatalf("listing the workouts after the fault: %v", err)
		}
		if w.Title != "" && w.Title == title {
			n++
		}
	}
	want := 0
	if processed {
		want = 1
	}
	if n != want {
		t.Errorf("%d workouts titled %q exist, want %d", n, title, want)
	}
}

// checkTokenIntact checks that the Client's token still works without a
// refresh, and that storage holds it (or, for an access-only Client, still
// holds the token it was given).
func checkTokenIntact(t *testing.T, s *uptest.Server, cfg *up.Config, c *up.Client, st up.TokenStorage, accessOnly bool) {
	t.Helper()
	ctx := t.Context()
	refreshes := s.TokenRequests()["refresh_token"]
	now, err := c.Token()
	if err != nil {
		t.Fatalf("the Client lost its token: %v", err)
	}
	if _, _, err := c.User(ctx); err != nil {
		t.Errorf("the Client's token no longer works: %v", err)
	}
	stored, err := st.Load(ctx)
	if err != nil {
		t.Fatalf("storage lost the token: %v", err)
	}
	if stored.AccessToken != now.AccessToken || stored.RefreshToken != now.RefreshToken {
		t.Error("storage holds another token than the Client's")
	}
	if !accessOnly {
		fresh, err := cfg.ClientFromStorage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := fresh.User(ctx); err != nil {
			t.Errorf("the stored token does not work: %v", err)
		}
	}
	if got := s.TokenRequests()["refresh_token"]; got != refreshes {
		t.Errorf("using the tokens after the fault needed %d refreshes", got-refreshes)
	}
}
