package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubTransport answers each request with the status its next field says,
// after waiting on hold when it is set.
type stubTransport struct {
	mu       sync.Mutex
	inFlight int
	peak     int
	hold     chan struct{}
	status   int
	header   http.Header
}

func (s *stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	hold, status, header := s.hold, s.status, s.header
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

func get(t *testing.T, rt http.RoundTripper) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://127.0.0.1/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt.RoundTrip(req)
}

func TestLimiterBound(t *testing.T) {
	stub := &stubTransport{hold: make(chan struct{})}
	l := newLimiter(stub, 3, nil)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			resp, err := get(t, l)
			if err != nil {
				t.Error(err)
				return
			}
			// A slot is held until the body is read to its end or closed.
			if i%2 == 0 {
				_, _ = io.ReadAll(resp.Body)
			}
			_ = resp.Body.Close()
			_ = resp.Body.Close() // a second close releases nothing more
		})
	}
	// Three are sent; the others wait for a slot.
	time.Sleep(50 * time.Millisecond)
	if s := l.Stats(); s.Requests != 3 {
		t.Fatalf("%d requests sent with a bound of 3", s.Requests)
	}
	close(stub.hold)
	wg.Wait()
	if s := l.Stats(); s.Requests != 10 || s.Peak != 3 || stub.peak != 3 {
		t.Errorf("stats %+v, %d at once at the server; want 10 requests, 3 at most", s, stub.peak)
	}
	if l.inFlight != 0 {
		t.Errorf("%d slots still held", l.inFlight)
	}
}

func TestLimiterSlowsDownOn429(t *testing.T) {
	stub := &stubTransport{}
	l := newLimiter(stub, 4, nil)
	now := time.Date(2015, 6, 15, 12, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	var told []string
	l.slowDown = func(wait time.Duration, bound int) { told = append(told, wait.String()+"/"+string(rune('0'+bound))) }
	answer := func(status int, retryAfter string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		if retryAfter != "" {
			resp.Header.Set("Retry-After", retryAfter)
		}
		l.observe(resp)
	}
	answer(http.StatusTooManyRequests, "2")
	if l.bound != 2 || !l.pausedUntil.Equal(now.Add(2*time.Second)) {
		t.Errorf("after a 429 with Retry-After 2: bound %d, paused until %s", l.bound, l.pausedUntil)
	}
	// Without Retry-After: 1s, then doubling while 429s follow.
	now = now.Add(3 * time.Second)
	answer(http.StatusTooManyRequests, "")
	now = now.Add(3 * time.Second)
	answer(http.StatusTooManyRequests, "")
	if l.bound != 1 || l.backoff != 4*time.Second || !l.pausedUntil.Equal(now.Add(2*time.Second)) {
		t.Errorf("bound %d, paused until %s, next backoff %s; want 1, now+2s and 4s", l.bound, l.pausedUntil, l.backoff)
	}
	// A run of successes as long as the bound grows it by one, up to 4;
	// a 5xx neither slows down nor counts as a success.
	answer(http.StatusOK, "")
	answer(http.StatusOK, "")
	answer(http.StatusServiceUnavailable, "")
	if l.bound != 2 || l.streak != 1 {
		t.Errorf("after 2 successes and a 503: bound %d, streak %d; want 2 and 1", l.bound, l.streak)
	}
	for range 1 + 3 + 10 {
		answer(http.StatusOK, "")
	}
	if l.bound != 4 || l.backoff != firstBackoff {
		t.Errorf("after successes: bound %d, backoff %s", l.bound, l.backoff)
	}
	if strings.Join(told, " ") != "2s/2 1s/1 2s/1" {
		t.Errorf("slowDown was told %q", told)
	}
	// A shorter Retry-After does not shorten a pause under way.
	until := l.pausedUntil
	answer(http.StatusTooManyRequests, "0")
	if !l.pausedUntil.Equal(until) {
		t.Errorf("the pause until %s was cut to %s", until, l.pausedUntil)
	}
}

func TestLimiterPausesEveryRequest(t *testing.T) {
	stub := &stubTransport{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {"1"}}}
	l := newLimiter(stub, 4, nil)
	resp, err := get(t, l)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	at := time.Now()
	stub.mu.Lock()
	stub.status = http.StatusOK
	stub.mu.Unlock()
	resp, err = get(t, l)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if waited := time.Since(at); waited < 900*time.Millisecond {
		t.Errorf("the request after a 429 with Retry-After 1 waited only %s", waited)
	}
}

func TestLimiterAbortAndCancel(t *testing.T) {
	stub := &stubTransport{hold: make(chan struct{})}
	abort := make(chan struct{})
	l := newLimiter(stub, 1, abort)
	go func() { // holds the only slot
		if resp, err := get(t, l); err == nil {
			_ = resp.Body.Close()
		}
	}()
	time.Sleep(20 * time.Millisecond)

	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1/x", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := l.RoundTrip(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("a canceled request waiting for a slot: %v", err)
	}
	go func() {
		resp, err := get(t, l)
		if err == nil {
			_ = resp.Body.Close()
		}
		errc <- err
	}()
	close(abort)
	if err := <-errc; !errors.Is(err, errAborted) {
		t.Errorf("a request waiting for a slot when the export is interrupted: %v", err)
	}
	close(stub.hold)
	if s := l.Stats(); s.Requests != 1 {
		t.Errorf("%d requests sent, want only the first", s.Requests)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2015, 6, 15, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0": 0, "7": 7 * time.Second, "99999999999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got, ok := retryAfter(v, now); !ok || got != want {
			t.Errorf("retryAfter(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if got, ok := retryAfter(v, now); ok {
			t.Errorf("retryAfter(%q) = %s, want none", v, got)
		}
	}
}

func TestScheduler(t *testing.T) {
	s := newScheduler()
	var order []string
	push := func(name string, prio float64) {
		s.push(&job{name: name, prio: prio, run: func(context.Context) error { order = append(order, name); return nil }})
	}
	push("tick-1", prioTicks)
	push("object", prioObject)
	push("tick-2", prioTicks)
	push("page-short", 2)
	push("page-long", 12)
	push("bandevents", 12) // as urgent as page-long, but queued later
	s.drop("object")
	for {
		j, ok := s.next()
		if !ok {
			break
		}
		_ = j.run(t.Context())
		s.done()
	}
	if got := strings.Join(order, " "); got != "page-long bandevents page-short tick-1 tick-2" {
		t.Errorf("jobs ran in the order %s", got)
	}

	// A worker waits while another runs a job that may queue more, and
	// ends when nothing is queued or running.
	push("first", 1)
	if _, ok := s.next(); !ok {
		t.Fatal("no job")
	}
	got := make(chan string)
	go func() {
		j, ok := s.next()
		if !ok {
			got <- "none"
			return
		}
		got <- j.name
		s.done()
	}()
	time.Sleep(20 * time.Millisecond)
	push("second", 1)
	s.done()
	if name := <-got; name != "second" {
		t.Errorf("the waiting worker got %s", name)
	}
	if _, ok := s.next(); ok {
		t.Error("next returned a job when none is left")
	}
	push("after-stop", 1)
	s.fail("x", errors.New("boom"))
	if _, ok := s.next(); ok {
		t.Error("next returned a job after the export stopped")
	}
	if name, err := s.failure(); name != "x" || err == nil {
		t.Errorf("failure() = %s, %v", name, err)
	}
}
