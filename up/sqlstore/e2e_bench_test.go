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
// a moment drawn uniformly from the time the storm spends refreshing (from
// the first token request to the last, as long as the previous storm
// took; a first storm without a kill measures the first). Each run is
// checked as TestManyProcessesSIGKILLMidRefresh checks its own: the users
// lost are lost in the window of the killed process's refreshes, and
// nothing else is amiss. Metrics:
//
//   - lost/op: users lost per kill, the mean; lost-max, the most in one;
//   - inwindow/op: how many refreshes a process had in their window (from
//     sending the token request to the end of the Update that saves the
//     answer) at a moment of the refreshing time, on average, from the
//     surviving processes' reports: what a kill at a random moment should
//     lose (a little more than it does: the window really opens when UP
//     spends the refresh token, after the request is sent);
//   - window-p50-ms, window-p99-ms: one refresh's window;
//   - missed: kills that came after the storm had ended, which count in
//     lost/op as the nothing they lost.
func BenchmarkSIGKILLDuringStorm(b *testing.B) {
	const procs, goroutines, users = 4, 50, 1000
	benchBackends(b, func(b *testing.B, be backend) {
		var (
			lost     []int
			inWindow float64
			windows  []int64
			missed   int
		)
		// storm runs one storm, killing process killed delay after the
		// first token request unless delay is negative, and returns the
		// users lost, the refreshing time and the survivors' report.
		storm := func(killed int, delay time.Duration) (int, time.Duration, *passReport, bool) {
			be := be
			be.table += "_" + randomHex(4)
			m := newManyUsers(b, be, users)
			defer m.close() // now, not at the benchmark's end: 30 runs' idle connections crowd PostgreSQL out
			callers := startCallers(b, procs, func(p int) callerSpec { return m.spec(p, goroutines, 1, false) })
			var (
				mu      sync.Mutex // over, and the kill
				over    bool       // the pass has ended: too late to kill
				once    sync.Once
				killErr error
			)
			if delay >= 0 {
				m.front.setHook(func(string, int, string, bool) {
					once.Do(func() {
						time.AfterFunc(delay, func() {
							mu.Lock()
							defer mu.Unlock()
							if !over {
								killErr = callers[killed].kill()
							}
						})
					})
				})
			}
			reports := runPass(b, callers)
			m.front.setHook(nil)
			mu.Lock()
			over = true
			mu.Unlock()
			if killErr != nil {
				b.Fatal(killErr)
			}
			for i, c := range callers {
				if c.killed.Load() {
					<-c.dead
				} else if err := c.finish(); err != nil {
					b.Fatalf("caller %d: %v", i, err)
				}
			}
			m.front.mu.Lock()
			period := m.front.last.Sub(m.front.first)
			m.front.mu.Unlock()
			sum := total(reports)
			if !callers[killed].killed.Load() || reports[killed] != nil {
				return 0, period, sum, false // no kill, or one after the process's pass
			}
			return len(m.checkCrash(b, strconv.Itoa(killed), sum)), period, sum, true
		}
		b.StopTimer()
		_, period, _, _ := storm(0, -1)
		b.ReportAllocs()
		b.StartTimer()
		for range b.N {
			killed := rand.IntN(procs)
			delay := time.Duration(rand.Int64N(int64(period)))
			n, p, sum, hit := storm(killed, delay)
			b.StopTimer()
			if !hit {
				missed++
			}
			period = p
			lost = append(lost, n)
			var open int64
			for _, w := range sum.Window {
				open += w
			}
			in := float64(open) / float64(procs-1) / float64(p.Nanoseconds())
			inWindow += in
			windows = append(windows, sum.Window...)
			b.Logf("process %d killed %v into %v of refreshing: %d users lost; %.2f refreshes in their window on average",
				killed, delay.Round(time.Millisecond), p.Round(time.Millisecond), n, in)
			b.StartTimer()
		}
		sum := 0
		for _, n := range lost {
			sum += n
		}
		b.ReportMetric(float64(sum)/float64(b.N), "lost/op")
		b.ReportMetric(float64(slices.Max(lost)), "lost-max")
		b.ReportMetric(inWindow/float64(b.N), "inwindow/op")
		b.ReportMetric(quantileNS(windows, 0.5), "window-p50-ms")
		b.ReportMetric(quantileNS(windows, 0.99), "window-p99-ms")
		b.ReportMetric(float64(missed), "missed")
	})
}
