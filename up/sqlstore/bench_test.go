package sqlstore_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/sqlstore"
)

// benchBackends runs f for SQLite and, when UP_TEST_POSTGRES_DSN is set,
// PostgreSQL.
func benchBackends(b *testing.B, f func(b *testing.B, be backend)) {
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.PostgreSQL} {
		b.Run(d.String(), func(b *testing.B) { f(b, newBackend(b, d)) })
	}
}

// BenchmarkLoad10000Users: Load of one user among 10,000 stored, in clear
// and sealed with AES-256-GCM.
func BenchmarkLoad10000Users(b *testing.B) {
	const n = 10_000
	benchBackends(b, func(b *testing.B, be backend) {
		keys := "k1:" + keyB64(b)
		for _, sealed := range []bool{false, true} {
			be := be
			be.table += map[bool]string{false: "_clear", true: "_sealed"}[sealed]
			var ring *sqlstore.Keyring
			if sealed {
				ring = mustParseKeyring(b, keys)
			}
			s := be.store(b, ring)
			populate(b, s, n)
			name := map[bool]string{false: "clear", true: "sealed"}[sealed]
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					i = (i + 7919) % n // a prime stride: every user, in scattered order
					if _, err := s.Load(ctx, "user"+strconv.Itoa(i)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// populate stores tokens for user0..user(n-1), 16 at a time.
func populate(b *testing.B, s *sqlstore.Store, n int) {
	b.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				u := "user" + strconv.Itoa(i)
				if err := s.Update(context.Background(), u, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
					return tokenN(u, 1), nil
				}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// BenchmarkUpdateContended: four processes, four goroutines each, run
// read-modify-write Updates on the same 100 users (the token sealed, fn
// instant). ns/op is the wall time per Update of all processes together;
// the metrics are the median and 99th percentile of one Update's latency
// and of its wait for the lock (from the call to fn starting).
func BenchmarkUpdateContended(b *testing.B) {
	const procs, goroutines = 4, 4
	benchBackends(b, func(b *testing.B, be backend) {
		for _, locked := range []bool{true, false} {
			name := map[bool]string{true: "locked", false: "unlocked"}[locked]
			b.Run(name, func(b *testing.B) {
				be := be
				be.table += "_" + name + "_" + randomHex(4) // a table of its own for each run
				per := max(1, b.N/(procs*goroutines))
				cfg := workerConfig{Dialect: be.dialect, Target: be.target, Table: be.table, Keys: "k1:" + keyB64(b),
					NoLock: !locked, Users: users(100), Goroutines: goroutines, Updates: per, Latency: true, WaitStart: true}
				b.ReportAllocs()
				r := chainResult{consumed: map[string][]int{}}
				var mu sync.Mutex
				var wg sync.WaitGroup
				errs := make([]error, procs)
				ws := make([]*worker, procs)
				for i := range ws {
					ws[i] = startWorker(b, cfg)
					if line := <-ws[i].lines; line != lineReady {
						b.Fatalf("worker %d: %q; %s", i, line, ws[i].ended())
					}
				}
				b.ResetTimer()
				for i, w := range ws {
					if _, err := w.stdin.Write([]byte("go\n")); err != nil {
						b.Fatal(err)
					}
					wg.Go(func() { errs[i] = w.collect(&r, &mu) })
				}
				wg.Wait()
				b.StopTimer()
				for i, err := range errs {
					if err != nil {
						b.Fatalf("worker %d: %v", i, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(r.latency)), "ns/op")
				b.ReportMetric(quantile(r.latency, 0.5), "p50-ms")
				b.ReportMetric(quantile(r.latency, 0.99), "p99-ms")
				b.ReportMetric(quantile(r.lockWait, 0.5), "wait-p50-ms")
				b.ReportMetric(quantile(r.lockWait, 0.99), "wait-p99-ms")
			})
		}
	})
}

// quantile returns the q-quantile of ds in milliseconds.
func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return float64(s[int(q*float64(len(s)-1))]) / float64(time.Millisecond)
}
