package main

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter is an http.RoundTripper that keeps an export polite: at most
// limit requests in flight at once (a request holds its slot until its
// body is read or closed), and when UP answers 429 Too Many Requests it
// slows everyone down: no request at all is sent until the Retry-After it
// asks for has passed (without one, 1s, doubling while 429s follow, up to
// a minute), and the bound is halved. After each run of successful answers
// as long as the bound, the bound grows by one again, up to the one given
// (additive increase, multiplicative decrease, as TCP does).
//
// It sits under the SDK's Client (as the transport of Config.HTTPClient),
// so that it sees every attempt: the SDK's own retries and token refreshes
// count, and wait, like any other request.
type limiter struct {
	next http.RoundTripper
	// abort, once closed, makes requests that wait for a slot give up
	// (with errAborted) rather than be sent: Ctrl-C stops what has not
	// started, while what is in flight completes.
	abort <-chan struct{}
	// slowDown, if set, is told of each 429 that pauses the requests: how
	// long they wait and the bound after it.
	slowDown func(wait time.Duration, bound int)
	now      func() time.Time

	mu          sync.Mutex
	max         int           // the bound asked for
	bound       int           // the bound now, 1 ≤ bound ≤ max
	inFlight    int           // requests holding a slot
	pausedUntil time.Time     // no request starts before this
	backoff     time.Duration // the pause after a 429 without Retry-After
	streak      int           // successful answers since the bound last changed
	changed     chan struct{} // closed (and replaced) when a slot frees or the bound grows
	stats       limiterStats
}

// limiterStats counts what a limiter let through.
type limiterStats struct {
	Requests    int // requests sent
	Peak        int // the most in flight at once
	RateLimited int // 429 answers
}

// errAborted is the error of a request dropped before it was sent.
var errAborted = errors.New("request not sent: the export was interrupted")

// Backoff after a 429 that does not say how long to wait.
const (
	firstBackoff = time.Second
	maxBackoff   = time.Minute
	// maxRetryAfter bounds the seconds of a Retry-After that is read, so
	// that a silly one cannot overflow a Duration: a day.
	maxRetryAfter = 24 * 60 * 60
)

func newLimiter(next http.RoundTripper, bound int, abort <-chan struct{}) *limiter {
	return &limiter{
		next: next, abort: abort, now: time.Now,
		max: bound, bound: bound, backoff: firstBackoff, changed: make(chan struct{}),
	}
}

// RoundTrip waits for a slot, sends req and holds the slot until the
// answer's body is consumed or closed.
func (l *limiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := l.acquire(req); err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		l.release()
		return nil, err
	}
	l.observe(resp)
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: l.release}
	return resp, nil
}

// acquire waits until no pause is under way and a slot is free, then takes it.
func (l *limiter) acquire(req *http.Request) error {
	ctx := req.Context()
	for {
		l.mu.Lock()
		wait := l.pausedUntil.Sub(l.now())
		if wait <= 0 && l.inFlight < l.bound {
			l.inFlight++
			l.stats.Requests++
			l.stats.Peak = max(l.stats.Peak, l.inFlight)
			l.mu.Unlock()
			return nil
		}
		changed := l.changed
		l.mu.Unlock()
		var timer *time.Timer
		var expired <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			expired = timer.C
		}
		var err error
		select {
		case <-expired:
		case <-changed:
		case <-ctx.Done():
			err = ctx.Err()
		case <-l.abort:
			err = errAborted
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

// observe adjusts the pace to an answer: a 429 pauses every request and
// halves the bound; a run of other answers grows it back.
func (l *limiter) observe(resp *http.Response) {
	l.mu.Lock()
	if resp.StatusCode != http.StatusTooManyRequests {
		if resp.StatusCode < 500 {
			l.backoff = firstBackoff
			if l.bound < l.max {
				l.streak++
			}
			if l.streak >= l.bound && l.bound < l.max {
				l.bound++
				l.streak = 0
				l.broadcast()
			}
		}
		l.mu.Unlock()
		return
	}
	now := l.now()
	wait, ok := retryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		wait = l.backoff
		l.backoff = min(2*l.backoff, maxBackoff)
	}
	l.stats.RateLimited++
	l.bound = max(1, l.bound/2)
	l.streak = 0
	paused := false
	if until := now.Add(wait); until.After(l.pausedUntil) {
		l.pausedUntil = until
		paused = true
	}
	bound, slowDown := l.bound, l.slowDown
	l.mu.Unlock()
	if paused && slowDown != nil {
		slowDown(wait, bound)
	}
}

// release frees a slot.
func (l *limiter) release() {
	l.mu.Lock()
	l.inFlight--
	l.broadcast()
	l.mu.Unlock()
}

// broadcast wakes every waiting request; l.mu is held.
func (l *limiter) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Stats returns what the limiter let through so far.
func (l *limiter) Stats() limiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// CloseIdleConnections passes the call on to the transport it wraps.
func (l *limiter) CloseIdleConnections() {
	if c, ok := l.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// releasingBody releases its request's slot once, when read to its end (or
// an error) or closed.
type releasingBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.once.Do(b.release)
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(min(secs, maxRetryAfter)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
