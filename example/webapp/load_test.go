package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
)

// Figures of the load test.
const (
	loadUsers    = 200 // users of the fake, each signed in once
	loadSessions = 20  // sessions in progress at once
)

// TestLoad serves loadUsers users, loadSessions at a time, on loopback,
// against the fake UP server, with every access token expiring in the
// middle of the run. It counts pages, errors (there must be none) and token
// requests (one refresh per user for the one expiry), and reports the
// pages' latency; it asserts no time.
//
// Each user signs in (the app's /login, UP's consent, the callback) and
// loads the dashboard and a workout; then, in a second round during which
// every access token expires, the user's moves change on UP (the webhook
// makes the app fetch them again) and the user loads the dashboard and a
// workout twice; in a third round, the user loads a workout and the
// dashboard once more.
func TestLoad(t *testing.T) {
	h := newHarness(t, harnessConfig{users: loadUsers})
	users := h.users()
	transport := &http.Transport{MaxIdleConnsPerHost: loadSessions * 2}
	defer transport.CloseIdleConnections()

	var (
		mu        sync.Mutex
		latencies = map[string][]time.Duration{}
		errs      []string
		pages     atomic.Int64
	)
	fail := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, fmt.Sprintf(format, a...))
	}
	browsers := make([]*browser, len(users))
	for i := range users {
		jar, _ := cookiejar.New(nil)
		browsers[i] = &browser{t: t, h: h, http: &http.Client{Jar: jar, Transport: transport, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	workouts := make([]string, len(users))

	// get loads a page and checks its status, timing it.
	get := func(b *browser, kind, path string, want int) page {
		start := time.Now()
		p, err := b.send(http.MethodGet, path, nil)
		d := time.Since(start)
		if err != nil {
			fail("%s: %v", path, err)
		}
		pages.Add(1)
		mu.Lock()
		latencies[kind] = append(latencies[kind], d)
		latencies["all"] = append(latencies["all"], d)
		mu.Unlock()
		if p.status != want {
			fail("%s: %d, want %d", path, p.status, want)
		}
		return p
	}
	// round runs one function per user, loadSessions at a time.
	round := func(each func(i int, u *uptest.User, b *browser)) {
		next := make(chan int)
		var wg sync.WaitGroup
		for range loadSessions {
			wg.Go(func() {
				for i := range next {
					each(i, users[i], browsers[i])
				}
			})
		}
		for i := range users {
			next <- i
		}
		close(next)
		wg.Wait()
	}

	round(func(i int, u *uptest.User, b *browser) {
		login := get(b, "login", "/login", http.StatusFound)
		back, err := u.Allow(login.location)
		if err != nil {
			fail("%s allowing the app: %v", u, err)
			return
		}
		get(b, "callback", back, http.StatusSeeOther)
		workouts[i], _ = workoutXIDIn(get(b, "dashboard", "/dashboard", http.StatusOK).body)
		get(b, "workout", "/workouts/"+workouts[i], http.StatusOK)
	})
	refreshesBefore := h.fake.TokenRequests()["refresh_token"]

	var expired sync.Once
	half := int64(len(users) * 4 / 2)
	served := atomic.Int64{}
	round(func(i int, u *uptest.User, b *browser) {
		uptest.Add(u, gen.Move{Details: gen.MoveDetails{Steps: 500 + i}})
		for range 2 {
			get(b, "dashboard", "/dashboard", http.StatusOK)
			get(b, "workout", "/workouts/"+workouts[i], http.StatusOK)
			if served.Add(2) >= half {
				expired.Do(h.fake.ExpireAllAccessTokens)
			}
		}
	})
	round(func(i int, _ *uptest.User, b *browser) {
		get(b, "workout", "/workouts/"+workouts[i], http.StatusOK)
		get(b, "dashboard", "/dashboard", http.StatusOK)
	})
	h.settle()

	for _, e := range errs[:min(len(errs), 20)] {
		t.Error(e)
	}
	tokens := h.fake.TokenRequests()
	refreshes := tokens["refresh_token"] - refreshesBefore
	if refreshes != len(users) {
		t.Errorf("%d refreshes for %d users whose tokens expired once, want one each", refreshes, len(users))
	}
	for _, u := range users {
		if n := u.TokenRequests()["refresh_token"]; n != 1 {
			t.Errorf("%s: %d refreshes", u, n)
		}
	}
	if n := h.fake.RefreshTokenReplays(); n != 0 {
		t.Errorf("%d refresh tokens sent again", n)
	}
	t.Logf("%d users, %d sessions at once: %d pages served, %d errors; token requests: %d authorization_code, %d refresh_token",
		len(users), loadSessions, pages.Load(), len(errs), tokens["authorization_code"], refreshes)
	for _, kind := range []string{"all", "login", "callback", "dashboard", "workout"} {
		l := latencies[kind]
		slices.Sort(l)
		pct := func(p float64) time.Duration { return l[int(p*float64(len(l)-1))].Round(10 * time.Microsecond) }
		t.Logf("%-9s %4d pages: median %v, p99 %v, max %v", kind, len(l), pct(0.5), pct(0.99), pct(1))
	}
	t.Logf("UP fetches by resource: %v; webhook events applied: %d", fetchCounts(h.app), h.app.metrics.applied.Load())
}

func fetchCounts(a *App) map[string]int64 {
	m := map[string]int64{}
	for r := range numResources {
		m[r.String()] = a.metrics.fetches[r].Load()
	}
	return m
}
