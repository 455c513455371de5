package sqlstore_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkRefreshThroughSDK: four processes contend for the same 100
// users, whose tokens have all expired, through the SDK: each request is
// Config.ClientFor, then a profile call, which finds the token expired,
// takes the user's lock (Store.Update), and either refreshes at the fake
// (over HTTP, on loopback) and saves the new token, or adopts the one
// another process saved meanwhile. Every process calls every user once a
// round, in the same order; between rounds, untimed, every token is
// expired again. An op is one user's refresh: ns/op is the wall time of
// the rounds over users × rounds. The metrics are the median and 99th
// percentile of:
//
//   - p50-ms, p99-ms: a refresh, from ClientFor to the end of the Update
//     that saved the new token;
//   - adopt-p50-ms, adopt-p99-ms: a request that waited for the lock and
//     adopted the token another process saved, from ClientFor to the end
//     of its Update;
//   - wait-p50-ms, wait-p99-ms: the wait for the lock, from Update's call
//     to its function starting (the in-process queue, the database lock,
//     the read), over every Update;
//
// and refreshes/op, the token requests per user and round (1 with the
// lock), and login/op, the requests per user and round that ended in
// ErrLoginRequired (0 with the lock). B/op and allocs/op count the parent
// process, which only coordinates the rounds; they say nothing about the
// SDK. Compare BenchmarkUpdateContended, the same contention on Update
// alone (BENCHMARKS.md, section 8).
func BenchmarkRefreshThroughSDK(b *testing.B) {
	const procs, users = 4, 100
	benchBackends(b, func(b *testing.B, be backend) {
		for _, goroutines := range []int{4, 50} {
			for _, locked := range []bool{true, false} {
				name := fmt.Sprintf("goroutines=%d/lock=%s", goroutines, map[bool]string{true: "on", false: "off"}[locked])
				b.Run(name, func(b *testing.B) {
					be := be
					be.table += "_" + randomHex(4) // a table of its own for each run
					m := newManyUsers(b, be, users)
					callers := startCallers(b, procs, func(p int) callerSpec { return m.spec(p, goroutines, 1, !locked) })
					rounds := max(1, (b.N+users-1)/users)
					sum := total(nil)
					var elapsed time.Duration
					b.ReportAllocs()
					b.ResetTimer()
					b.StopTimer()
					before := m.srv.TokenRequests()["refresh_token"]
					for range rounds {
						m.expire(b)
						b.StartTimer()
						began := time.Now()
						reports := runPass(b, callers)
						elapsed += time.Since(began)
						b.StopTimer()
						for _, r := range reports {
							sum.merge(r)
						}
					}
					refreshes := m.srv.TokenRequests()["refresh_token"] - before
					for i, c := range callers {
						if err := c.finish(); err != nil {
							b.Fatalf("caller %d: %v", i, err)
						}
					}
					if sum.Failed != 0 {
						b.Fatalf("%d requests failed: %q", sum.Failed, sum.Errors)
					}
					ops := float64(rounds * users)
					b.ReportMetric(float64(elapsed.Nanoseconds())/ops, "ns/op")
					b.ReportMetric(quantileNS(sum.Refresh, 0.5), "p50-ms")
					b.ReportMetric(quantileNS(sum.Refresh, 0.99), "p99-ms")
					b.ReportMetric(quantileNS(sum.Adopt, 0.5), "adopt-p50-ms")
					b.ReportMetric(quantileNS(sum.Adopt, 0.99), "adopt-p99-ms")
					b.ReportMetric(quantileNS(sum.Wait, 0.5), "wait-p50-ms")
					b.ReportMetric(quantileNS(sum.Wait, 0.99), "wait-p99-ms")
					b.ReportMetric(float64(refreshes)/ops, "refreshes/op")
					b.ReportMetric(float64(sum.loginRequired())/ops, "login/op")
				})
			}
		}
	})
}

// BenchmarkSIGKILLDuringStorm measures how many users a crash loses. Each
// op is the storm of TestManyProcessesRefreshEachUserOnce (4 processes of
// 50 goroutines, 1,000 users whose access tokens have expired, locking
// on) during which one process, drawn at random, is killed with SIGKILL at
// a random moment of the refreshes: when the fake receives the n-th token
// request, n drawn uniformly from 1 to 1,000, whoever sends it. Each run
// is checked as TestManyProcessesSIGKILLMidRefresh checks its own: the
// users lost are lost in the window of the killed process's refreshes,
// and nothing else is amiss. Metrics:
//
//   - lost/op: users lost per kill, the mean; lost-max, the most in one;
//   - inwindow/op: how many refreshes a process had in their window (from
//     sending the token request to the end of the Update that saves the
//     answer), on average over the refreshes' time, from the surviving
//     processes' reports: what a kill at a random moment of it loses, at
//     most (the window really opens when UP spends the refresh token, a
//     little after the request is sent);
//   - window-p50-ms, window-p99-ms: one refresh's window.
func BenchmarkSIGKILLDuringStorm(b *testing.B) {
	const procs, goroutines, users = 4, 50, 1000
	benchBackends(b, func(b *testing.B, be backend) {
		var lost []int
		var inWindow float64
		var windows []int64
		b.ReportAllocs()
		for range b.N {
			be := be
			be.table += "_" + randomHex(4)
			b.StopTimer()
			m := newManyUsers(b, be, users)
			b.StartTimer()
			at, killed := 1+rand.IntN(users), rand.IntN(procs)
			var once sync.Once
			var killErr error
			kill := make(chan struct{})
			reports, _ := m.storm(b, procs, func(p int) callerSpec { return m.spec(p, goroutines, 1, false) },
				func(callers []*caller) func(string, int, string, bool) {
					return func(_ string, n int, _ string, _ bool) {
						if n >= at {
							once.Do(func() {
								go func() { killErr = callers[killed].kill(); close(kill) }()
							})
						}
					}
				})
			b.StopTimer()
			select {
			case <-kill:
			default:
				b.Fatalf("the storm ended before token request %d", at)
			}
			if killErr != nil {
				b.Fatal(killErr)
			}
			sum := total(reports)
			n := len(m.checkCrash(b, strconv.Itoa(killed), sum))
			lost = append(lost, n)
			m.front.mu.Lock()
			period := m.front.last.Sub(m.front.first)
			m.front.mu.Unlock()
			var open int64
			for _, w := range sum.Window {
				open += w
			}
			inWindow += float64(open) / float64(procs-1) / float64(period.Nanoseconds())
			windows = append(windows, sum.Window...)
			b.Logf("process %d killed at token request %d: %d users lost; %.2f refreshes in their window on average",
				killed, at, n, float64(open)/float64(procs-1)/float64(period.Nanoseconds()))
			b.StartTimer()
		}
		total := 0
		for _, n := range lost {
			total += n
		}
		b.ReportMetric(float64(total)/float64(b.N), "lost/op")
		b.ReportMetric(float64(slices.Max(lost)), "lost-max")
		b.ReportMetric(inWindow/float64(b.N), "inwindow/op")
		b.ReportMetric(quantileNS(windows, 0.5), "window-p50-ms")
		b.ReportMetric(quantileNS(windows, 0.99), "window-p99-ms")
	})
}
