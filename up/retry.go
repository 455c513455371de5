package up

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// RetryPolicy makes a Client retry reads that failed for a passing reason:
// GET and DELETE requests answered 429 Too Many Requests, 502 Bad Gateway,
// 503 Service Unavailable or 504 Gateway Timeout. Writes (POST) are never
// retried, since UP may have processed them.
//
// The wait before each retry is the server's Retry-After when it sends one
// (read without overflow and capped at MaxRetryAfter, whatever it says),
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

func (p RetryPolicy) attempts() int       { return positiveOr(p.MaxAttempts, 3) }
func (p RetryPolicy) base() time.Duration { return positiveOr(p.BaseDelay, 500*time.Millisecond) }
func (p RetryPolicy) max() time.Duration  { return positiveOr(p.MaxDelay, 30*time.Second) }

// positiveOr returns v, or def when v is zero or negative: unlike cmp.Or,
// which keeps any value but zero, it gives a negative setting (a size, a
// count, a delay) its default too.
func positiveOr[T int | int64 | time.Duration](v, def T) T {
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
		d = rand.N(backoffCeiling(t.policy.base(), t.policy.max(), attempt) + 1)
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

// MaxRetryAfter caps the wait a server may ask for with Retry-After: a
// longer one, however it is written, counts as MaxRetryAfter, and one in the
// past as zero. RateLimitError.RetryAfter is never more.
const MaxRetryAfter = 24 * time.Hour

// retryAfter reads a Retry-After header, in seconds (digits only, as RFC 9110
// writes delay-seconds) or as an HTTP date, clamped to [0, MaxRetryAfter]:
// the digits are read without overflow however many there are, and a date
// however far away gives at most MaxRetryAfter.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.Trim(h.Get("Retry-After"), " \t")
	if v == "" {
		return 0, false
	}
	if secs, ok := delaySeconds(v); ok {
		return secs, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return min(max(at.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// delaySeconds reads a string of ASCII digits as seconds, saturating at
// MaxRetryAfter.
func delaySeconds(v string) (time.Duration, bool) {
	const limit = int64(MaxRetryAfter / time.Second)
	var n int64
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n = n*10 + int64(c-'0'); n > limit {
			n = limit // and stays there: limit*10+9 cannot overflow
		}
	}
	return time.Duration(n) * time.Second, true
}

// backoffCeiling is the longest jittered wait before retry number attempt:
// base·2^(attempt-1), capped at maxDelay, without overflowing however large
// base or attempt are.
func backoffCeiling(base, maxDelay time.Duration, attempt int) time.Duration {
	d := min(base, maxDelay)
	for i := 1; i < attempt && d < maxDelay; i++ {
		if d > maxDelay/2 {
			return maxDelay
		}
		d *= 2
	}
	return d
}

// rewind returns req with a fresh copy of its body (replayBody) for
// another attempt; a request without a body is returned as it is.
func rewind(req *http.Request) (*http.Request, error) {
	body, err := replayBody(req)
	if err != nil || body == req.Body {
		return req, err
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
