package up_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/gen/spec"
	"github.com/upapi/up-go/up"
)

// The overhead benchmarks compare each typed call with the code a developer
// would write by hand with net/http and encoding/json: build the request,
// set the bearer and Accept headers, send it, check the status, decode the
// envelope into the generated type (gen.UserEnvelope, gen.WorkoutListEnvelope,
// gen.TickListEnvelope: the same structs the SDK returns) and drain the body.
// Both sides call the same loopback server, which serves documented payloads
// from memory, through http.Transports built by benchTransport. The server
// runs in a process of its own (this test binary, re-executed), so that
// B/op and allocs/op count the client's work only. Sub-benchmarks are named
// impl=nethttp and impl=sdk so that `benchstat -col /impl` puts them side by
// side, with the hand-written code as the baseline.

const (
	benchToken   = "bench-access-token"
	benchPrefix  = "/nudge/api/v.1.1"
	benchMoveXID = "40F7_htRRnQwoMjIFucJ2g"
	benchPerPage = 100
	benchTicks   = 1000
)

// benchTransport is the transport both sides of every comparison use:
// keep-alive on, no gzip, enough idle connections for parallel callers.
func benchTransport() *http.Transport {
	return &http.Transport{
		DisableCompression:  true,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}
}

// benchPayloads are the response bodies the benchmark server sends.
type benchPayloads struct {
	user, workouts, ticks []byte
}

var loadBenchPayloads = sync.OnceValues(func() (*benchPayloads, error) {
	doc, err := spec.GetSpecJSON()
	if err != nil {
		return nil, err
	}
	user, err := specExample(doc, "/users/@me", "docs")
	if err != nil {
		return nil, err
	}
	tickDoc, err := specExample(doc, "/moves/{xid}/ticks", "illustrative")
	if err != nil {
		return nil, err
	}
	ticks, err := tickSeries(tickDoc, benchTicks)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile("../api/testdata/workouts_list.shimmer.json")
	if err != nil {
		return nil, err
	}
	workouts, err := workoutPage(raw, benchPerPage)
	if err != nil {
		return nil, err
	}
	return &benchPayloads{user: user, workouts: workouts, ticks: ticks}, nil
})

// specExample returns the named example of the 200 answer to GET path in
// the embedded spec, as compact JSON.
func specExample(spec []byte, path, name string) ([]byte, error) {
	var doc struct {
		Paths map[string]struct {
			Get struct {
				Responses map[string]struct {
					Content map[string]struct {
						Examples map[string]struct {
							Value json.RawMessage `json:"value"`
						} `json:"examples"`
					} `json:"content"`
				} `json:"responses"`
			} `json:"get"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	v := doc.Paths[path].Get.Responses["200"].Content["application/json"].Examples[name].Value
	if len(v) == 0 {
		return nil, fmt.Errorf("the spec has no example %q for GET %s", name, path)
	}
	var out bytes.Buffer
	err := json.Compact(&out, v)
	return out.Bytes(), err
}

// tickSeries turns the spec's tick example into a page of n ticks, one a
// minute, cycling through the example's values.
func tickSeries(example []byte, n int) ([]byte, error) {
	var env struct {
		Meta json.RawMessage `json:"meta"`
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(example, &env); err != nil {
		return nil, err
	}
	if len(env.Data.Items) == 0 {
		return nil, fmt.Errorf("the tick example has no items")
	}
	start, _ := env.Data.Items[0]["time"].(float64)
	items := make([]map[string]any, n)
	for i := range items {
		tick := map[string]any{}
		for k, v := range env.Data.Items[i%len(env.Data.Items)] {
			tick[k] = v
		}
		tick["time"] = int64(start) + int64(60*i)
		items[i] = tick
	}
	return json.Marshal(map[string]any{
		"meta": env.Meta,
		"data": map[string]any{"items": items, "size": n},
	})
}

// workoutPage builds a page of n workouts from the first workout of a
// recorded list, each with its own XID, and a links.next to the page after.
func workoutPage(recorded []byte, n int) ([]byte, error) {
	var env struct {
		Meta json.RawMessage `json:"meta"`
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(recorded, &env); err != nil {
		return nil, err
	}
	if len(env.Data.Items) == 0 {
		return nil, fmt.Errorf("the recorded workouts list is empty")
	}
	items := make([]map[string]any, n)
	for i := range items {
		w := map[string]any{}
		for k, v := range env.Data.Items[0] {
			w[k] = v
		}
		w["xid"] = fmt.Sprintf("%s%04d", w["xid"], i)
		items[i] = w
	}
	return json.Marshal(map[string]any{
		"meta": env.Meta,
		"data": map[string]any{
			"items": items,
			"size":  n,
			"links": map[string]string{"next": benchPrefix + "/users/6xl39CsoVp2KirfHwVq_Fx/workouts?page_token=1384963500&limit=" + strconv.Itoa(n)},
		},
	})
}

// benchServer serves the payloads to requests that carry the current
// bearer token, and a token endpoint that rotates it.
type benchServer struct {
	*httptest.Server
	payloads *benchPayloads

	access   atomic.Pointer[string] // the access token the API accepts
	minted   atomic.Int64
	refreshs atomic.Int64 // token requests received
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	p, err := loadBenchPayloads()
	if err != nil {
		tb.Fatal(err)
	}
	s := &benchServer{payloads: p}
	tok := benchToken
	s.access.Store(&tok)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+benchPrefix+"/users/@me", s.api(p.user))
	mux.HandleFunc("GET "+benchPrefix+"/users/@me/workouts", s.api(p.workouts))
	mux.HandleFunc("GET "+benchPrefix+"/moves/{xid}/ticks", s.api(p.ticks))
	mux.HandleFunc("POST /auth/oauth2/token", s.token)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

func (s *benchServer) api(body []byte) http.HandlerFunc {
	length := strconv.Itoa(len(body))
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+*s.access.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"meta":{"code":401,"message":"NOT_AUTHORIZED","time":1386122022}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	}
}

// token answers a refresh with a new access token, which from then on is
// the only one the API accepts.
func (s *benchServer) token(w http.ResponseWriter, r *http.Request) {
	s.refreshs.Add(1)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "refresh_token" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	tok := "bench-access-" + strconv.FormatInt(s.minted.Add(1), 10)
	s.access.Store(&tok)
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","refresh_token":"bench-refresh","expires_in":31536000}`, tok)
}

// expire makes the API refuse the current access token, as after its expiry.
func (s *benchServer) expire() {
	tok := "expired-" + strconv.FormatInt(s.minted.Add(1), 10)
	s.access.Store(&tok)
}

// sdkClient returns a Client of the benchmark server at srvURL over tr.
func sdkClient(srvURL string, tr http.RoundTripper, access string) *up.Client {
	cfg := &up.Config{
		ClientID:     "bench",
		ClientSecret: "bench-secret",
		BaseURL:      srvURL + benchPrefix,
		TokenURL:     srvURL + "/auth/oauth2/token",
		HTTPClient:   &http.Client{Transport: tr},
	}
	return cfg.ClientFromAccessToken(access)
}

// handGet is the hand-written call: GET url with the bearer token and
// decode the JSON envelope into out.
func handGet(ctx context.Context, hc *http.Client, url, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// benchServerEnv makes a re-executed test binary serve the benchmark
// payloads until its standard input closes.
const benchServerEnv = "UP_BENCH_SERVER"

// TestBenchServerProcess is the benchmark server when the test binary is
// re-executed by startBenchServer; otherwise it is skipped.
func TestBenchServerProcess(t *testing.T) {
	if os.Getenv(benchServerEnv) == "" {
		t.Skip("the benchmarks' server process")
	}
	s := newBenchServer(t)
	fmt.Println(s.URL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startBenchServer runs a benchmark server in a process of its own and
// returns its URL.
func startBenchServer(b *testing.B) string {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^TestBenchServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	if p := os.Getenv("UP_BENCH_SERVER_PROCS"); p != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+p)
	}
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
	if err != nil || !strings.HasPrefix(line, "http://") {
		b.Fatalf("benchmark server did not start: %q, %v", line, err)
	}
	return strings.TrimSpace(line)
}

// memTransport answers from memory what the benchmark server would, with
// no socket in between, so that a benchmark through it measures the
// client's own work and nothing else. It implements only what both sides
// of a comparison use.
type memTransport struct {
	routes map[string][]byte // by path
	length map[string]string
}

func newMemTransport(p *benchPayloads) *memTransport {
	m := &memTransport{routes: map[string][]byte{
		benchPrefix + "/users/@me":                        p.user,
		benchPrefix + "/users/@me/workouts":               p.workouts,
		benchPrefix + "/moves/" + benchMoveXID + "/ticks": p.ticks,
	}, length: map[string]string{}}
	for k, v := range m.routes {
		m.length[k] = strconv.Itoa(len(v))
	}
	return m
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
	body, ok := m.routes[r.URL.Path]
	if !ok || r.Header.Get("Authorization") != "Bearer "+benchToken {
		return nil, fmt.Errorf("memTransport: unexpected %s %s", r.Method, r.URL)
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {m.length[r.URL.Path]}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// handFirst says which side of a pair runs first in this process. testing
// runs all -count repetitions of a sub-benchmark back to back, so a drift
// of the machine's speed would favor one side; BENCHMARKS.md therefore
// runs the pairs in ten processes with -count=1, and the order follows the
// process ID so that each side goes first in about half of them.
var handFirst = os.Getpid()%2 == 0

// benchPair runs the hand-written call and the SDK call as sub-benchmarks,
// first over loopback TCP to one server process (net=loopback), then with
// the answers served from memory (net=memory).
func benchPair(b *testing.B, hand func(ctx context.Context, hc *http.Client, base string) error, sdk func(ctx context.Context, c *up.Client) error) {
	srvURL := startBenchServer(b)
	p, err := loadBenchPayloads()
	if err != nil {
		b.Fatal(err)
	}
	for _, network := range []string{"loopback", "memory"} {
		newTransport := func() (http.RoundTripper, func()) {
			if network == "memory" {
				return newMemTransport(p), func() {}
			}
			tr := benchTransport()
			return tr, tr.CloseIdleConnections
		}
		runHand := func() {
			b.Run("net="+network+"/impl=nethttp", func(b *testing.B) {
				tr, done := newTransport()
				defer done()
				hc := &http.Client{Transport: tr}
				base := srvURL + benchPrefix
				b.ReportAllocs()
				for b.Loop() {
					if err := hand(b.Context(), hc, base); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		runSDK := func() {
			b.Run("net="+network+"/impl=sdk", func(b *testing.B) {
				tr, done := newTransport()
				defer done()
				c := sdkClient(srvURL, tr, benchToken)
				b.ReportAllocs()
				for b.Loop() {
					if err := sdk(b.Context(), c); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		if handFirst {
			runHand()
			runSDK()
		} else {
			runSDK()
			runHand()
		}
	}
}

// BenchmarkUser compares Client.User with a hand-written GET /users/@me.
func BenchmarkUser(b *testing.B) {
	benchPair(b,
		func(ctx context.Context, hc *http.Client, base string) error {
			var env gen.UserEnvelope
			if err := handGet(ctx, hc, base+"/users/@me", benchToken, &env); err != nil {
				return err
			}
			return wantXIDs(env.Data.XID)
		},
		func(ctx context.Context, c *up.Client) error {
			u, _, err := c.User(ctx)
			if err != nil {
				return err
			}
			return wantXIDs(u.XID)
		})
}

// BenchmarkWorkoutsPage compares Client.WorkoutsPage with a hand-written
// GET of a page of 100 workouts.
func BenchmarkWorkoutsPage(b *testing.B) {
	benchPair(b,
		func(ctx context.Context, hc *http.Client, base string) error {
			var env gen.WorkoutListEnvelope
			if err := handGet(ctx, hc, base+"/users/@me/workouts?limit="+strconv.Itoa(benchPerPage), benchToken, &env); err != nil {
				return err
			}
			return wantLen(len(env.Data.Items), benchPerPage)
		},
		func(ctx context.Context, c *up.Client) error {
			p, err := c.WorkoutsPage(ctx, up.ListQuery{Limit: benchPerPage})
			if err != nil {
				return err
			}
			if !p.HasNext() {
				return fmt.Errorf("the page lost its next link")
			}
			return wantLen(len(p.Items), benchPerPage)
		})
}

// BenchmarkMoveTicksPage compares Client.MoveTicksPage with a hand-written
// GET of a series of 1,000 ticks.
func BenchmarkMoveTicksPage(b *testing.B) {
	benchPair(b,
		func(ctx context.Context, hc *http.Client, base string) error {
			var env gen.TickListEnvelope
			if err := handGet(ctx, hc, base+"/moves/"+benchMoveXID+"/ticks", benchToken, &env); err != nil {
				return err
			}
			return wantLen(len(env.Data.Items), benchTicks)
		},
		func(ctx context.Context, c *up.Client) error {
			p, err := c.MoveTicksPage(ctx, benchMoveXID)
			if err != nil {
				return err
			}
			return wantLen(len(p.Items), benchTicks)
		})
}

func wantXIDs(xid string) error {
	if xid == "" {
		return fmt.Errorf("decoded no user XID")
	}
	return nil
}

func wantLen(got, want int) error {
	if got != want {
		return fmt.Errorf("decoded %d items, want %d", got, want)
	}
	return nil
}

// BenchmarkRefreshStorm measures the single-flight refresh under
// contention: each iteration expires the access token and has 100
// goroutines call User at once. refreshes/op must stay at 1.
func BenchmarkRefreshStorm(b *testing.B) {
	const callers = 100
	s := newBenchServer(b)
	tr := benchTransport()
	defer tr.CloseIdleConnections()
	c := sdkClient(s.URL, tr, benchToken)
	c.SetToken(&oauth2.Token{AccessToken: benchToken, TokenType: "Bearer", RefreshToken: "bench-refresh"})
	before := s.refreshs.Load()
	b.ReportAllocs()
	for b.Loop() {
		s.expire()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				<-start
				if _, _, err := c.User(b.Context()); err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	refreshes := float64(s.refreshs.Load()-before) / float64(b.N)
	if refreshes != 1 {
		b.Errorf("%.2f refreshes per storm, want 1", refreshes)
	}
	b.ReportMetric(refreshes, "refreshes/op")
	b.ReportMetric(callers, "callers/op")
}
