package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/upapi/up-go/up/uptest"
)

// benchLatency is the round trip the benchmark gives every API request, as
// a server 100ms away would.
const benchLatency = 100 * time.Millisecond

// boundConcurrency is the concurrency the bound is computed for: export's
// default.
const boundConcurrency = 4

// BenchmarkExport exports a year of history from the fake, with
// benchLatency added to every API request, and reports the requests it
// made, the longest chain of requests that depend on each other (a
// resource's pages; an event's page, then its ticks), the bound that
// concurrency 4 allows, max(chain, requests ÷ 4) × latency, and the
// ratio of the export's wall time to that bound. concurrency=1 is the
// export one request after another, for reference (its ratio is to the
// same bound of 4).
func BenchmarkExport(b *testing.B) {
	for _, bc := range []struct {
		name        string
		concurrency int
		args        []string
	}{
		{"ticks=off/concurrency=4", 4, []string{"--no-ticks"}},
		{"ticks=on/concurrency=4", 4, nil},
		{"ticks=off/concurrency=1", 1, []string{"--no-ticks"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := exportEnv(b)
			e.s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: benchLatency})
			b.ReportAllocs()
			var requests, chain int
			var wall time.Duration
			for i := 0; b.Loop(); i++ {
				dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
				e.s.ResetRequests()
				start := time.Now()
				e.quiet(append([]string{"export", dir, "--concurrency", fmt.Sprint(bc.concurrency)}, bc.args...)...)
				wall += time.Since(start)
				requests, chain = apiRequests(e.s), longestChain(readManifest(b, dir))
			}
			bound := max(float64(chain), float64(requests)/boundConcurrency) * benchLatency.Seconds()
			b.ReportMetric(float64(requests), "requests")
			b.ReportMetric(float64(chain), "chain")
			b.ReportMetric(bound, "bound-s")
			b.ReportMetric(wall.Seconds()/float64(b.N)/bound, "ratio")
		})
	}
}

// longestChain is the longest chain of requests of the export m describes
// that must be made one after another: the pages of a resource, or the
// pages of a resource up to an event and then its ticks (all of an event's
// extra tick pages counted on one event, to be safe).
func longestChain(m manifest) int {
	chain := 0
	if len(m.Objects) > 0 {
		chain = 1
	}
	pages := map[string]int{}
	for _, r := range m.Resources {
		if r.TicksOf == "" {
			pages[r.Name] = r.Pages
			chain = max(chain, r.Pages)
		}
	}
	for _, r := range m.Resources {
		if r.TicksOf != "" && r.Events > 0 {
			chain = max(chain, pages[r.TicksOf]+r.Pages-r.Events+1)
		}
	}
	return chain
}

func TestLongestChain(t *testing.T) {
	m := manifest{
		Objects: []manifestObject{{Name: "user"}},
		Resources: []manifestResource{
			{Name: "moves", Pages: 4}, {Name: "bandevents", Pages: 12}, {Name: "sleeps", Pages: 11},
			{Name: "move_ticks", TicksOf: "moves", Pages: 365, Events: 365},
			{Name: "sleep_ticks", TicksOf: "sleeps", Pages: 367, Events: 365}, // one sleep's ticks took 3 pages
		},
	}
	if got := longestChain(m); got != 14 {
		t.Errorf("longestChain = %d, want 11 pages of sleeps and 3 of one sleep's ticks", got)
	}
	if got := longestChain(manifest{Objects: m.Objects}); got != 1 {
		t.Errorf("longestChain of objects alone = %d, want 1", got)
	}
}
