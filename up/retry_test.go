package up

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/up/uptest"
)

// retryClient returns a Client of a fake server with policy p whose waits
// are recorded instead of slept.
func retryClient(t *testing.T, p RetryPolicy) (*uptest.Server, *Client, *[]time.Duration) {
	t.Helper()
	s := uptest.NewServer(t)
	cfg := ConfigFor(s)
	cfg.Retry = &p
	c := cfg.Client(s.MintToken())
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.hc.Transport.(*retryTransport).sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return s, c, waits
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	s, c, waits := retryClient(t, RetryPolicy{MaxAttempts: 4})
	s.Inject(uptest.Fault{Path: "/users/@me/moves", Kind: uptest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second, Count: 2})
	if _, err := c.MovesPage(t.Context(), ListQuery{}); err != nil {
		t.Fatal(err)
	}
	if len(*waits) != 2 || (*waits)[0] != 7*time.Second || (*waits)[1] != 7*time.Second {
		t.Errorf("waited %v, want 7s twice", *waits)
	}
}

func TestRetryBacksOffWithJitter(t *testing.T) {
	t.Parallel()
	s, c, waits := retryClient(t, RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond})
	s.Inject(uptest.Fault{Path: "/users/@me/sleeps", Kind: uptest.FaultStatus, Status: http.StatusBadGateway, Count: 3})
	if _, err := c.SleepsPage(t.Context(), ListQuery{}); err != nil {
		t.Fatal(err)
	}
	ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if len(*waits) != 3 {
		t.Fatalf("waited %v, want 3 waits", *waits)
	}
	for i, w := range *waits {
		if w < 0 || w > ceilings[i] {
			t.Errorf("wait %d is %v, want at most %v", i, w, ceilings[i])
		}
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Parallel()
	t.Run("after MaxAttempts", func(t *testing.T) {
		s, c, waits := retryClient(t, RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond})
		s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable})
		_, err := c.MealsPage(t.Context(), ListQuery{})
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || len(*waits) != 1 {
			t.Errorf("error %v after %d waits, want the 503 after 1", err, len(*waits))
		}
	})
	t.Run("Retry-After beyond MaxDelay", func(t *testing.T) {
		s, c, waits := retryClient(t, RetryPolicy{MaxDelay: time.Second})
		s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
		_, err := c.MealsPage(t.Context(), ListQuery{})
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != time.Minute || !errors.Is(err, ErrRateLimited) || len(*waits) != 0 {
			t.Errorf("error %v after %d waits, want a *RateLimitError saying 1m, without waiting", err, len(*waits))
		}
	})
	t.Run("wait beyond the deadline", func(t *testing.T) {
		s, c, waits := retryClient(t, RetryPolicy{})
		s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: 10 * time.Second})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		_, err := c.MealsPage(ctx, ListQuery{})
		if !errors.Is(err, ErrRateLimited) || len(*waits) != 0 {
			t.Errorf("error %v after %d waits, want the 429 at once", err, len(*waits))
		}
	})
	t.Run("context canceled while waiting", func(t *testing.T) {
		s := uptest.NewServer(t)
		cfg := ConfigFor(s)
		cfg.Retry = &RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}
		c := cfg.Client(s.MintToken())
		s.Inject(uptest.Fault{Path: "/users/@me/meals", Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable, RetryAfter: 30 * time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.MealsPage(ctx, ListQuery{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want the context's cancellation", err)
		}
	})
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		"0":                             0,
		"Tue, 24 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"Tue, 24 Nov 2026 11:00:00 GMT": 0,
	} {
		got, ok := retryAfter(http.Header{"Retry-After": {v}}, now)
		if !ok || got != want {
			t.Errorf("Retry-After %q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon"} {
		if _, ok := retryAfter(http.Header{"Retry-After": {v}}, now); ok {
			t.Errorf("Retry-After %q accepted", v)
		}
	}
}

// TestRetryAfterHostileValues feeds retryAfter what a hostile or broken
// server might send: every accepted value is a wait in [0, MaxRetryAfter],
// however many digits or however distant a date it names.
func TestRetryAfterHostileValues(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"9223372037", MaxRetryAfter, true}, // ×1e9 ns overflows int64
		{"9223372036854775807", MaxRetryAfter, true},
		{"9223372036854775808", MaxRetryAfter, true}, // beyond int64
		{"99999999999999999999999999999999999999999999", MaxRetryAfter, true},
		{"86400", MaxRetryAfter, true},
		{"86401", MaxRetryAfter, true},
		{"86399", 86399 * time.Second, true},
		{"000000000000000000000000000000005", 5 * time.Second, true},
		{" 7\t", 7 * time.Second, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", MaxRetryAfter, true},
		{"Thu, 01 Jan 1970 00:00:00 GMT", 0, true},
		{"Mon, 01 Jan 0001 00:00:00 GMT", 0, true},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 0, true},
		{"Tue Nov 24 12:00:10 2026", 10 * time.Second, true},
		{"-1", 0, false},
		{"-9223372037", 0, false},
		{"+5", 0, false},
		{"1e9", 0, false},
		{"3.5", 0, false},
		{"0x10", 0, false},
		{"５", 0, false}, // a fullwidth digit
		{"5 s", 0, false},
		{"NaN", 0, false},
		{"Infinity", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(http.Header{"Retry-After": {tt.value}}, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Retry-After %q = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
		}
		if got < 0 || got > MaxRetryAfter {
			t.Errorf("Retry-After %q = %v, outside [0, %v]", tt.value, got, MaxRetryAfter)
		}
	}
}

// TestRateLimitErrorClampsRetryAfter checks the wait a 429 reports, which
// the caller may sleep for.
func TestRateLimitErrorClampsRetryAfter(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"9223372037", "99999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		cfg := &Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			resp := textResponse(r, http.StatusTooManyRequests, `{"meta":{"code":429}}`)
			resp.Header.Set("Retry-After", v)
			return resp, nil
		})}}
		_, _, err := cfg.ClientFromAccessToken("tok").User(t.Context())
		var rl *RateLimitError
		if !errors.As(err, &rl) || rl.RetryAfter != MaxRetryAfter {
			t.Errorf("Retry-After %q: %v, want a *RateLimitError saying %v", v, err, MaxRetryAfter)
		}
	}
}

// TestBackoffCeilingNeverOverflows checks the jitter's ceiling for policies
// whose doubling would overflow a time.Duration: it stays in (0, MaxDelay].
func TestBackoffCeilingNeverOverflows(t *testing.T) {
	t.Parallel()
	for _, p := range []RetryPolicy{
		{BaseDelay: time.Hour, MaxDelay: math.MaxInt64},
		{BaseDelay: math.MaxInt64, MaxDelay: math.MaxInt64},
		{BaseDelay: math.MaxInt64 / 3, MaxDelay: math.MaxInt64 - 1},
		{BaseDelay: time.Nanosecond, MaxDelay: math.MaxInt64},
		{BaseDelay: time.Minute, MaxDelay: time.Second},
		{},
	} {
		for _, attempt := range []int{1, 2, 30, 31, 64, 65, 1000, math.MaxInt} {
			c := backoffCeiling(p.base(), p.max(), attempt)
			if c <= 0 || c > p.max() {
				t.Errorf("%+v attempt %d: ceiling %v", p, attempt, c)
			}
		}
	}
}
