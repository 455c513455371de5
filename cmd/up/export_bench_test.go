package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// benchLatency is the round trip the benchmark gives every API request, as
// a server 100ms away would.
const benchLatency = 100 * time.Millisecond

// boundConcurrency is the concurrency the bound is computed for: export's
// default.
const boundConcurrency = 4

// BenchmarkExport exports a year of history from the fake, run in a process
// of its own with benchLatency added to every API request, and reports:
//
//   - requests: the API requests the export made;
//   - chain: the longest chain of requests that depend on each other (a
//     resource's pages; an event's page, then its ticks);
//   - bound-s: what concurrency 4 allows, max(chain, requests ÷ 4) × latency;
//   - ratio: the export's wall time over that bound;
//   - rtt-ms: the mean round trip the export saw (send to answer), which is
//     the latency plus the server's work, longer on a busy machine;
//   - ratio-rtt: the wall time over max(chain, requests ÷ 4) × rtt-ms, the
//     share of the wall time the scheduling itself loses.
//
// concurrency=1 is the export one request after another, for reference
// (its ratios are to the same bound of 4).
func BenchmarkExport(b *testing.B) {
	srv := startExportBenchServer(b)
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
			e := srv.env(b)
			b.ReportAllocs()
			var requests, chain int
			var wall, rtt time.Duration
			for i := 0; b.Loop(); i++ {
				dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
				a, _, stderr := e.app()
				base := http.DefaultTransport.(*http.Transport).Clone()
				base.MaxIdleConnsPerHost = bc.concurrency
				rt := &roundTrips{next: base}
				a.httpClient = &http.Client{Transport: rt}
				start := time.Now()
				if code := a.run(b.Context(), append([]string{"export", dir, "--concurrency", fmt.Sprint(bc.concurrency)}, bc.args...)); code != exitOK {
					b.Fatalf("export: exit %d: %s", code, stderr)
				}
				wall += time.Since(start)
				b.StopTimer()
				requests, chain = rt.count(), longestChain(readManifest(b, dir))
				rtt += rt.mean()
				base.CloseIdleConnections()
				b.StartTimer()
			}
			n := float64(b.N)
			rounds := max(float64(chain), float64(requests)/boundConcurrency)
			bound := rounds * benchLatency.Seconds()
			b.ReportMetric(float64(requests), "requests")
			b.ReportMetric(float64(chain), "chain")
			b.ReportMetric(bound, "bound-s")
			b.ReportMetric(wall.Seconds()/n/bound, "ratio")
			b.ReportMetric(rtt.Seconds()*1000/n, "rtt-ms")
			b.ReportMetric(wall.Seconds()/(rounds*rtt.Seconds()/n), "ratio-rtt")
		})
	}
}

// roundTrips is a transport that counts the API requests it sends and
// times each from sending to the answer's headers.
type roundTrips struct {
	next  http.RoundTripper
	mu    sync.Mutex
	n     int
	total time.Duration
}

func (r *roundTrips) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := r.next.RoundTrip(req)
	if strings.Contains(req.URL.Path, "/nudge/api/") {
		r.mu.Lock()
		r.n++
		r.total += time.Since(start)
		r.mu.Unlock()
	}
	return resp, err
}

func (r *roundTrips) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *roundTrips) mean() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return 0
	}
	return r.total / time.Duration(r.n)
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

// exportBenchServerEnv makes a re-executed test binary serve the export
// benchmark's fake until its standard input closes.
const exportBenchServerEnv = "UP_EXPORT_BENCH_SERVER"

// TestExportBenchServer is the export benchmark's fake when the test binary
// is re-executed by startExportBenchServer; otherwise it is skipped. It
// prints its URLs, the application's credentials and a token on one line.
func TestExportBenchServer(t *testing.T) {
	if os.Getenv(exportBenchServerEnv) == "" {
		t.Skip("the export benchmark's server process")
	}
	s := uptest.New(uptest.WithClock(func() time.Time { return testNow }), uptest.WithDays(365))
	defer s.Close()
	s.Inject(uptest.Fault{Kind: uptest.FaultLatency, Latency: benchLatency})
	tok := s.MintToken()
	fmt.Println(s.URL, s.AuthURL, s.TokenURL, s.ClientID, s.ClientSecret, tok.AccessToken, tok.RefreshToken, tok.Expiry.Unix())
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// exportBenchServer is the fake of TestExportBenchServer, seen from the
// benchmark.
type exportBenchServer struct {
	fields []string // as TestExportBenchServer prints them
}

// startExportBenchServer runs the fake in a process of its own, so that
// its work (and its garbage collection) is not the export's.
func startExportBenchServer(b *testing.B) *exportBenchServer {
	b.Helper()
	cmd := exec.CommandContext(context.WithoutCancel(b.Context()), os.Args[0], "-test.run=^TestExportBenchServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), exportBenchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	fields := strings.Fields(line)
	if err != nil || len(fields) != 8 || !strings.HasPrefix(fields[0], "http://") {
		b.Fatalf("the benchmark's server did not start: %q, %v", line, err)
	}
	return &exportBenchServer{fields: fields}
}

// env returns the commands' environment pointed at the fake, logged in.
func (s *exportBenchServer) env(b *testing.B) *env {
	b.Helper()
	f := s.fields
	expiry, err := strconv.ParseInt(f[7], 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	tokenFile := filepath.Join(b.TempDir(), "token.json")
	tok := &oauth2.Token{AccessToken: f[5], RefreshToken: f[6], TokenType: "Bearer", Expiry: time.Unix(expiry, 0)}
	if err := up.NewFileStorage(tokenFile).Save(b.Context(), tok); err != nil {
		b.Fatal(err)
	}
	return &env{t: b, tokenFile: tokenFile, vars: map[string]string{
		"UP_BASE_URL": f[0], "UP_AUTH_URL": f[1], "UP_TOKEN_URL": f[2],
		"UP_CLIENT_ID": f[3], "UP_CLIENT_SECRET": f[4], "UP_TOKEN_FILE": tokenFile,
	}}
}
