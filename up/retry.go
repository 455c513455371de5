package up

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy makes a Client retry reads that failed for a passing reason:
// GET and DELETE requests answered 429 Too Many Requests, 502 Bad Gateway,
// 503 Service Unavailable or 504 Gateway Timeout. Writes (POST) are never
// retried, since UP may have processed them.
//
// The wait before each retry is the server's Retry-After when it sends one,
// and otherwise a random delay up to BaseDelay·2ⁿ (full jitter), capped at
// MaxDelay. A retry that would wait past MaxDelay or past the context's
// deadline is not made; the last answer is returned instead (a 429 as a
// *RateLimitError saying how long to wait).
type RetryPolicy struct {
	// MaxAttempts is how many times a request is sent in all, the first
	// time included; zero means 3.
	MaxAttempts int
	// BaseDelay is the backoff unit; zero means 500ms.
	BaseDelay time.Duration
	// MaxDelay caps every wait; zero means 30s.
	MaxDelay time.Duration
}

func (p RetryPolicy) attempts() int       { return cmpOr(p.MaxAttempts, 3) }
func (p RetryPolicy) base() time.Duration { return cmpOr(p.BaseDelay, 500*time.Millisecond) }
func (p RetryPolicy) max() time.Duration  { return cmpOr(p.MaxDelay, 30*time.Second) }

// cmpOr returns v, or def when v is not positive.
func cmpOr[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// retryTransport applies a RetryPolicy in front of the authenticating
// transport, so each attempt is authenticated (and refreshed) afresh.
type retryTransport struct {
	next   http.RoundTripper
	policy RetryPolicy
	sleep  func(ctx context.Context, d time.Duration) error // for tests; nil means sleepCtx
}

// RoundTrip sends req, retrying as the policy allows.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodDelete {
		return t.next.RoundTrip(req)
	}
	sleep := t.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil || !retryableStatus(resp.StatusCode) || attempt >= t.policy.attempts() || !replayable(req) {
			return resp, err
		}
		wait, ok := t.wait(req.Context(), resp, attempt)
		if !ok {
			return resp, nil
		}
		drainClose(resp)
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// wait returns how long to wait before retrying after resp, and false when
// the retry should not be made: the server asks for more than MaxDelay, or
// the context ends first.
func (t *retryTransport) wait(ctx context.Context, resp *http.Response, attempt int) (time.Duration, bool) {
	d, fromServer := retryAfter(resp.Header, time.Now())
	if !fromServer {
		ceiling := min(t.policy.max(), t.policy.base()<<min(attempt-1, 30))
		d = rand.N(ceiling + 1)
	}
	if d > t.policy.max() {
		return 0, false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return 0, false
	}
	return d, true
}

// retryableStatus reports the statuses that say "try again later".
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// rewind returns req with a fresh copy of its body for another attempt.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseIdleConnections passes the call on to the transport it wraps.
func (t *retryTransport) CloseIdleConnections() {
	if c, ok := t.next.(idleCloser); ok {
		c.CloseIdleConnections()
	}
}
