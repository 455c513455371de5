package sqlstore_test

// End to end: OS processes (this test binary, run again) share one SQL
// store and serve the users of one fake UP server, which the parent test
// runs on loopback and the processes reach over HTTP. Every request is a
// fresh Client from one Config per process (Config.ClientFor), as in a web
// application; every refresh is the SDK's own, through Store.Update.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/uptest"
)

// callerEnv names the file holding a callerSpec; a copy of the test binary
// started with it set serves requests as a caller process instead of
// running tests.
const callerEnv = "UP_SQLSTORE_TEST_CALLER"

// A caller process is started from init, not TestMain, so that the
// process tests of the store alone (process_test.go) keep their TestMain
// to themselves: init runs before it, and the caller never reaches it.
func init() {
	if path := os.Getenv(callerEnv); path != "" {
		if err := runCaller(path); err != nil {
			fmt.Fprintln(os.Stderr, "caller:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// procHeader carries a caller process's number on each of its requests,
// so that the parent can tell whose token request it is serving.
const procHeader = "X-Up-Test-Process"

// callerSpec tells a caller process what to do.
type callerSpec struct {
	Proc                   int
	Dialect                sqlstore.Dialect
	Target, Table, Keyring string
	NoLock                 bool
	MaxConns               int // the *sql.DB's pool
	BaseURL, TokenURL      string
	ClientID, ClientSecret string
	Keys                   []string // the users' keys in the store
	XIDs                   []string // each user's XID at the fake, to check the profile
	PerUser                int      // requests per user in a pass
	Goroutines             int
}

// Lines a caller prints: lineReady once its store is open, then a
// passPrefix line with a passReport after each pass.
const passPrefix = "pass "

// passReport is what a caller process saw in one pass over the users.
type passReport struct {
	Requests, OK  int
	LoginRequired map[string]int // user key → requests that ended in ErrLoginRequired
	Failed        int            // requests that failed otherwise
	Errors        []string       // the first few of those
	Refreshes     int            // Updates that stored a new token
	Adoptions     int            // Updates that kept the stored token (another holder's)
	SaveFailed    []string       // Updates whose new token could not be saved: their errors
	// Samples in nanoseconds. Refresh and Adopt: from ClientFor to the end
	// of the request's Update, for Updates that stored a new token and for
	// those that adopted one; Wait: from Update's call to fn starting (the
	// in-process queue, the database lock, the read); Window: from sending
	// the token request to the end of the Update that stores its answer,
	// which holds the time in which a crash loses the user (from UP
	// spending the refresh token to the commit).
	Refresh, Adopt, Wait, Window []int64
	// Saved: user key → when (Unix nanoseconds) the Update that stored
	// the user's new token ended, and how long after the token endpoint's
	// answer.
	Saved map[string]savedToken
	// Refused: the requests that ended in ErrLoginRequired after a
	// refresh of their own was refused.
	Refused []refusal
}

// savedToken is when a new token was stored.
type savedToken struct {
	At    int64 // Unix nanoseconds, the end of the Update
	After int64 // nanoseconds from the token endpoint's answer
}

// refusal is a request that ended in ErrLoginRequired.
type refusal struct {
	Key          string
	Refused      int64 // Unix nanoseconds, the token endpoint's refusal
	LastRead     int64 // Unix nanoseconds, the start of the request's last Load
	LastReadDone int64 // and its end
	Ended        int64 // Unix nanoseconds, the end of the request
}

// probe records, for one request, what its Update and token request did.
// The SDK carries the request's context, values included, into both.
type probe struct {
	mu                       sync.Mutex
	updated, entered, updEnd time.Time
	tokenSent, tokenDone     time.Time
	lastLoad, lastLoadDone   time.Time // when the request's last Load started and ended
	wrote, kept              bool
	saveErr                  error // the Update's, when fn made a new token
}

type probeKey struct{}

func probeOf(ctx context.Context) *probe {
	p, _ := ctx.Value(probeKey{}).(*probe)
	return p
}

// timedStore is the caller's Store: the SQL store, with each Update and
// each Load timed into the request's probe.
type timedStore struct{ up.Store }

func (s timedStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	p := probeOf(ctx)
	if p == nil {
		return s.Store.Load(ctx, key)
	}
	began := time.Now()
	tok, err := s.Store.Load(ctx, key)
	p.mu.Lock()
	p.lastLoad, p.lastLoadDone = began, time.Now()
	p.mu.Unlock()
	return tok, err
}

func (s timedStore) Update(ctx context.Context, key string, fn up.UpdateFunc) error {
	began := time.Now()
	var entered time.Time
	var wrote bool
	err := s.Store.Update(ctx, key, func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		entered = time.Now()
		next, err := fn(ctx, stored)
		wrote = err == nil && next != nil && (stored == nil || next.RefreshToken != stored.RefreshToken)
		return next, err
	})
	if p := probeOf(ctx); p != nil && !entered.IsZero() {
		p.mu.Lock()
		p.updated, p.entered, p.updEnd = began, entered, time.Now()
		p.wrote, p.kept = wrote && err == nil, !wrote && err != nil
		if wrote && err != nil {
			p.saveErr = err
		}
		p.mu.Unlock()
	}
	return err
}

// tagTransport marks a caller's requests with its number, and times its
// token requests into the request's probe.
type tagTransport struct {
	base      http.RoundTripper
	proc      string
	tokenPath string
}

func (t tagTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(procHeader, t.proc)
	if p := probeOf(r.Context()); p != nil && r.URL.Path == t.tokenPath {
		p.mu.Lock()
		p.tokenSent = time.Now()
		p.mu.Unlock()
	}
	resp, err := t.base.RoundTrip(r)
	if p := probeOf(r.Context()); p != nil && r.URL.Path == t.tokenPath {
		p.mu.Lock()
		p.tokenDone = time.Now()
		p.mu.Unlock()
	}
	return resp, err
}

// runCaller is a caller process: it opens the store, says it is ready,
// and runs a pass over the users for each line it reads, until its
// standard input ends.
func runCaller(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec callerSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	ctx := context.Background()
	b := backend{dialect: spec.Dialect, target: spec.Target, table: spec.Table}
	db, err := b.openErr(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(spec.MaxConns)
	opts := b.options(nil)
	opts.DisableLocking = spec.NoLock
	if opts.Keys, err = sqlstore.ParseKeyring(spec.Keyring); err != nil {
		return err
	}
	store, err := sqlstore.New(ctx, db, opts)
	if err != nil {
		return err
	}
	tokenURL, err := url.Parse(spec.TokenURL)
	if err != nil {
		return err
	}
	transport := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	defer transport.CloseIdleConnections()
	cfg := &up.Config{ // one Config for every user and every request of the process
		ClientID: spec.ClientID, ClientSecret: spec.ClientSecret,
		BaseURL: spec.BaseURL, TokenURL: spec.TokenURL,
		Store: timedStore{store},
		HTTPClient: &http.Client{Transport: tagTransport{base: transport, proc: strconv.Itoa(spec.Proc),
			tokenPath: tokenURL.Path}},
	}
	fmt.Println(lineReady)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		report, err := callerPass(ctx, cfg, &spec)
		if err != nil {
			return err
		}
		line, err := json.Marshal(report)
		if err != nil {
			return err
		}
		fmt.Printf("%s%s\n", passPrefix, line)
	}
	return in.Err()
}

// callerPass makes PerUser requests for each user, in the users' order,
// from Goroutines goroutines: each a fresh Client and a profile call.
func callerPass(ctx context.Context, cfg *up.Config, spec *callerSpec) (*passReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	r := &passReport{LoginRequired: map[string]int{}, Saved: map[string]savedToken{}}
	var mu sync.Mutex
	var next atomic.Int64
	jobs := len(spec.Keys) * spec.PerUser
	var wg sync.WaitGroup
	for range spec.Goroutines {
		wg.Go(func() {
			for j := int(next.Add(1)) - 1; j < jobs; j = int(next.Add(1)) - 1 {
				i := j / spec.PerUser
				p := &probe{}
				start := time.Now()
				err := callAs(context.WithValue(ctx, probeKey{}, p), cfg, spec.Keys[i], spec.XIDs[i])
				end := time.Now()
				mu.Lock()
				r.add(spec.Keys[i], start, end, p, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return r, ctx.Err()
}

// callAs makes a Client for key from the store and fetches the profile,
// which must be the user's own.
func callAs(ctx context.Context, cfg *up.Config, key, xid string) error {
	c, err := cfg.ClientFor(ctx, key)
	if err != nil {
		return err
	}
	u, _, err := c.User(ctx)
	if err == nil && u.XID != xid {
		err = fmt.Errorf("%s got the profile of %s, not of %s", key, u.XID, xid)
	}
	return err
}

// add counts one request.
func (r *passReport) add(key string, start, end time.Time, p *probe, err error) {
	r.Requests++
	switch {
	case err == nil:
		r.OK++
	case errors.Is(err, up.ErrLoginRequired):
		r.LoginRequired[key]++
		p.mu.Lock()
		if !p.tokenDone.IsZero() {
			r.Refused = append(r.Refused, refusal{Key: key, Refused: p.tokenDone.UnixNano(),
				LastRead: p.lastLoad.UnixNano(), LastReadDone: p.lastLoadDone.UnixNano(), Ended: end.UnixNano()})
		}
		p.mu.Unlock()
	default:
		r.Failed++
		if len(r.Errors) < 5 {
			r.Errors = append(r.Errors, err.Error())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.updated.IsZero() {
		return // the token read from the store was live: no Update
	}
	if p.saveErr != nil {
		r.SaveFailed = append(r.SaveFailed, p.saveErr.Error())
	}
	r.Wait = append(r.Wait, p.entered.Sub(p.updated).Nanoseconds())
	switch {
	case p.wrote:
		r.Refreshes++
		r.Refresh = append(r.Refresh, p.updEnd.Sub(start).Nanoseconds())
		if !p.tokenSent.IsZero() {
			r.Window = append(r.Window, p.updEnd.Sub(p.tokenSent).Nanoseconds())
			r.Saved[key] = savedToken{At: p.updEnd.UnixNano(), After: p.updEnd.Sub(p.tokenDone).Nanoseconds()}
		}
	case p.kept:
		r.Adoptions++
		r.Adopt = append(r.Adopt, p.updEnd.Sub(start).Nanoseconds())
	}
}

// merge adds o's counts and samples to r.
func (r *passReport) merge(o *passReport) {
	r.Requests += o.Requests
	r.OK += o.OK
	r.Failed += o.Failed
	r.Errors = append(r.Errors, o.Errors...)
	r.Refreshes += o.Refreshes
	r.Adoptions += o.Adoptions
	r.SaveFailed = append(r.SaveFailed, o.SaveFailed...)
	r.Refresh = append(r.Refresh, o.Refresh...)
	r.Adopt = append(r.Adopt, o.Adopt...)
	r.Wait = append(r.Wait, o.Wait...)
	r.Window = append(r.Window, o.Window...)
	if r.LoginRequired == nil {
		r.LoginRequired = map[string]int{}
	}
	for k, n := range o.LoginRequired {
		r.LoginRequired[k] += n
	}
	if r.Saved == nil {
		r.Saved = map[string]savedToken{}
	}
	maps.Copy(r.Saved, o.Saved)
	r.Refused = append(r.Refused, o.Refused...)
}

// loginRequired counts the requests that ended in ErrLoginRequired.
func (r *passReport) loginRequired() int {
	n := 0
	for _, c := range r.LoginRequired {
		n += c
	}
	return n
}

// callerLimit is how long a caller process may live: a benchmark keeps its
// callers for all its rounds.
const callerLimit = 10 * time.Minute

// caller is a running caller process.
type caller struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string   // what it prints, closed when its output ends
	dead   chan struct{} // closed when it has exited
	err    error         // its exit, once dead is closed
	killed atomic.Bool   // kill was called
	stderr strings.Builder
}

// startCallers starts a caller process for each of procs specs and waits
// until all are ready.
func startCallers(t testing.TB, procs int, spec func(proc int) callerSpec) []*caller {
	t.Helper()
	callers := make([]*caller, procs)
	for i := range callers {
		callers[i] = startCaller(t, spec(i))
	}
	for i, c := range callers {
		if line, ok := <-c.lines; !ok || line != lineReady {
			<-c.dead
			t.Fatalf("caller %d did not start: %q, %v; stderr: %s", i, line, c.err, c.stderr.String())
		}
	}
	return callers
}

// startCaller starts a caller process with spec.
func startCaller(t testing.TB, spec callerSpec) *caller {
	t.Helper()
	raw, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "caller.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callerLimit)
	// Niced, where nice(1) is at hand: the callers only need throughput,
	// and at their normal priority four of them (eight when SQLite and
	// PostgreSQL run at once) would starve the tests of other packages
	// that go test runs beside this one, some of which time their tokens
	// in milliseconds.
	cmd := exec.CommandContext(ctx, os.Args[0])
	if nice, err := exec.LookPath("nice"); err == nil {
		cmd = exec.CommandContext(ctx, nice, "-n", "10", os.Args[0])
	}
	cmd.Env = append(os.Environ(), callerEnv+"="+path)
	c := &caller{cmd: cmd, lines: make(chan string, 64), dead: make(chan struct{})}
	cmd.Stderr = &c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 64<<20) // a pass report holds every sample
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		c.err = cmd.Wait()
		cancel()
		close(c.dead)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range c.lines { //nolint:revive // drain, so that the reader ends
		}
		<-c.dead
	})
	return c
}

// kill kills the caller with SIGKILL and waits until it has died.
func (c *caller) kill() error {
	c.killed.Store(true)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-c.dead:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the process did not die within 10 s of SIGKILL")
	}
}

// pass starts a pass.
func (c *caller) pass() error {
	_, err := io.WriteString(c.stdin, "go\n")
	return err
}

// report waits for the report of the pass under way; ok is false when
// the process ended first (killed, or failed: see wait).
func (c *caller) report() (r *passReport, ok bool, err error) {
	for line := range c.lines {
		if raw, found := strings.CutPrefix(line, passPrefix); found {
			r = &passReport{}
			return r, true, json.Unmarshal([]byte(raw), r)
		}
	}
	return nil, false, nil
}

// finish ends the caller's input and waits for it to exit.
func (c *caller) finish() error {
	_ = c.stdin.Close()
	for range c.lines { //nolint:revive // drain, so that the reader ends
	}
	<-c.dead
	if c.err != nil {
		return fmt.Errorf("%w; stderr: %s", c.err, c.stderr.String())
	}
	return nil
}

// front stands in front of the fake server, where the caller processes
// send their requests, and records the token traffic: which process sent
// each refresh token, what each accepted refresh issued, and which access
// tokens API requests carried. It can run a hook on each token request
// (the n-th of the run) once the fake has answered it, before the answer
// is sent on: for a refresh, once UP has spent the refresh token.
type front struct {
	srv       *uptest.Server
	tokenPath string

	mu        sync.Mutex
	owner     map[string]string   // refresh token → user key
	issued    map[string]exchange // refresh token → what the refresh that spent it issued
	sent      map[string]int      // refresh token → token requests that sent it
	usedByAPI map[string]bool     // access tokens API requests carried
	refused   []exchange          // refused refreshes: who sent them, and the refresh token in refresh
	requests  int                 // token requests in all
	first     time.Time           // when the first token request came
	last      time.Time           // when the last was answered
	hook      func(proc string, n int, refresh string, accepted bool)
}

// exchange is a refresh: who sent it, and the token it issued.
type exchange struct {
	proc            string
	access, refresh string
}

func newFront(srv *uptest.Server) *front {
	u, err := url.Parse(srv.TokenURL)
	if err != nil {
		panic(err)
	}
	return &front{srv: srv, tokenPath: u.Path, owner: map[string]string{}, issued: map[string]exchange{},
		sent: map[string]int{}, usedByAPI: map[string]bool{}}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != f.tokenPath {
		if access, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			f.mu.Lock()
			f.usedByAPI[access] = true
			f.mu.Unlock()
		}
		f.srv.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the caller died while sending: the fake never sees the request
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	proc, spent := r.Header.Get(procHeader), form.Get("refresh_token")
	f.mu.Lock()
	f.requests++
	n, hook := f.requests, f.hook
	if f.first.IsZero() {
		f.first = time.Now()
	}
	if spent != "" {
		f.sent[spent]++
	}
	f.mu.Unlock()
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	accepted := rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &tok) == nil
	if spent != "" {
		f.mu.Lock()
		f.last = time.Now()
		if accepted {
			f.issued[spent] = exchange{proc: proc, access: tok.AccessToken, refresh: tok.RefreshToken}
			f.owner[tok.RefreshToken] = f.owner[spent]
		} else {
			f.refused = append(f.refused, exchange{proc: proc, refresh: spent})
		}
		f.mu.Unlock()
	}
	if hook != nil {
		hook(proc, n, spent, accepted)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// setHook installs a hook run on each token request, once the fake has
// answered it.
func (f *front) setHook(h func(proc string, n int, refresh string, accepted bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

// manyUsers is one end-to-end run: a fake with n users whose tokens are
// stored and whose access tokens the fake has expired, a front, and the
// store as the parent sees it.
type manyUsers struct {
	b       backend
	keyring string
	srv     *uptest.Server
	front   *front
	frontSv *httptest.Server
	db      *sql.DB // the parent's pool, under store
	store   *sqlstore.Store
	users   []*uptest.User
	keys    []string
	xids    []string
}

// newManyUsers makes a fake server with n users and stores a token for
// each, under key user-NNNN: the even users' with an expiry already past
// (the SDK refreshes before sending), the odd users' with none (the SDK
// learns from a 401). Then it expires every access token at the fake.
func newManyUsers(t testing.TB, b backend, n int) *manyUsers {
	t.Helper()
	m := &manyUsers{b: b, keyring: "k1:" + keyB64(t)}
	m.srv = uptest.NewServer(t, uptest.WithDays(1), uptest.WithUsers(n))
	m.front = newFront(m.srv)
	m.frontSv = httptest.NewServer(m.front)
	t.Cleanup(m.frontSv.Close)
	m.db = b.open(t)
	store, err := sqlstore.New(t.Context(), m.db, b.options(mustParseKeyring(t, m.keyring)))
	if err != nil {
		t.Fatal(err)
	}
	m.store = store
	m.users = m.srv.Users()
	m.keys, m.xids = make([]string, n), make([]string, n)
	toks := make([]*oauth2.Token, n)
	for i, u := range m.users {
		m.keys[i], m.xids[i] = fmt.Sprintf("user-%04d", i), u.XID()
		toks[i] = u.MintToken()
		if i%2 == 0 {
			toks[i].Expiry = time.Now().Add(-time.Hour)
		} else {
			toks[i].Expiry = time.Time{}
		}
		m.front.owner[toks[i].RefreshToken] = m.keys[i]
	}
	m.eachUser(t, func(i int) error {
		return m.store.Update(t.Context(), m.keys[i], func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return toks[i], nil
		})
	})
	m.srv.ExpireAllAccessTokens()
	return m
}

// close frees what the run holds before the test ends (it would be freed
// then anyway): the parent's connections, the front and the fake.
func (m *manyUsers) close() {
	_ = m.db.Close()
	m.frontSv.Close()
	m.srv.Close()
}

// expire makes every user's token expired again, at the fake and, with
// an expiry past, in the store, so that the next pass refreshes each one
// before sending a request.
func (m *manyUsers) expire(t testing.TB) {
	t.Helper()
	m.srv.ExpireAllAccessTokens()
	past := time.Now().Add(-time.Hour)
	m.eachUser(t, func(i int) error {
		return m.store.Update(t.Context(), m.keys[i], func(_ context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
			if tok == nil {
				return nil, up.ErrNoToken
			}
			expired := *tok
			expired.Expiry = past
			return &expired, nil
		})
	})
}

// eachUser runs f for every user's index, 8 at a time, and fails t with
// the first error.
func (m *manyUsers) eachUser(t testing.TB, f func(i int) error) {
	t.Helper()
	var next atomic.Int64
	errs := make([]error, len(m.keys))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(m.keys); i = int(next.Add(1)) - 1 {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// spec is the callerSpec of process proc.
func (m *manyUsers) spec(proc, goroutines, perUser int, noLock bool) callerSpec {
	return callerSpec{Proc: proc, Dialect: m.b.dialect, Target: m.b.target, Table: m.b.table, Keyring: m.keyring,
		NoLock: noLock, MaxConns: callerConns, BaseURL: m.frontSv.URL + pathOf(m.srv.URL),
		TokenURL: m.frontSv.URL + pathOf(m.srv.TokenURL), ClientID: m.srv.ClientID, ClientSecret: m.srv.ClientSecret,
		Keys: m.keys, XIDs: m.xids, PerUser: perUser, Goroutines: goroutines}
}

// callerConns bounds each caller's pool: four callers then hold at most 48
// of a PostgreSQL server's connections (100 by default), whatever their
// goroutines do.
const callerConns = 12

// pathOf returns an absolute URL's path.
func pathOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	return p.Path
}

// config is a Config for the fake itself (not the front), for the
// parent's own checks.
func (m *manyUsers) config() *up.Config {
	return &up.Config{ClientID: m.srv.ClientID, ClientSecret: m.srv.ClientSecret, RedirectURL: "http://127.0.0.1/callback",
		BaseURL: m.srv.URL, AuthURL: m.srv.AuthURL, TokenURL: m.srv.TokenURL, Store: m.store}
}

// storm starts procs caller processes, lets them loose on the users at
// once, one pass each, and returns each one's report (nil for a process
// killed). arm, when set, is given the callers before they start and
// returns the front's hook.
func (m *manyUsers) storm(t testing.TB, procs int, spec func(proc int) callerSpec,
	arm func(callers []*caller) func(proc string, n int, refresh string, accepted bool)) ([]*passReport, time.Duration) {
	t.Helper()
	callers := startCallers(t, procs, spec)
	if arm != nil {
		m.front.setHook(arm(callers))
		defer m.front.setHook(nil)
	}
	began := time.Now()
	reports := runPass(t, callers)
	elapsed := time.Since(began)
	for i, c := range callers {
		if reports[i] == nil && c.killed.Load() {
			<-c.dead
			continue
		}
		if err := c.finish(); err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return reports, elapsed
}

// runPass starts a pass in every caller at once and returns their
// reports when all have ended: nil for a caller killed meanwhile.
func runPass(t testing.TB, callers []*caller) []*passReport {
	t.Helper()
	reports := make([]*passReport, len(callers))
	errs := make([]error, len(callers))
	var wg sync.WaitGroup
	for i, c := range callers {
		if err := c.pass(); err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		wg.Go(func() {
			r, ok, err := c.report()
			switch {
			case err != nil:
				errs[i] = err
			case ok:
				reports[i] = r
			case !c.killed.Load():
				<-c.dead
				errs[i] = fmt.Errorf("ended without a report: %w; stderr: %s", c.err, c.stderr.String())
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
	}
	return reports
}

// total merges the reports of the processes that lived.
func total(reports []*passReport) *passReport {
	sum := &passReport{LoginRequired: map[string]int{}, Saved: map[string]savedToken{}}
	for _, r := range reports {
		if r != nil {
			sum.merge(r)
		}
	}
	return sum
}

// checkStored checks every user's stored token but those in skip: its
// access token must fetch the user's own profile from the fake, and its
// refresh token must never have been sent (it would refresh).
func (m *manyUsers) checkStored(t testing.TB, skip map[string]bool) {
	t.Helper()
	cfg := m.config()
	m.eachUser(t, func(i int) error {
		if skip[m.keys[i]] {
			return nil
		}
		tok, err := m.store.Load(t.Context(), m.keys[i])
		if err != nil {
			return err
		}
		if n := m.srv.RefreshTokenRequests(tok.RefreshToken); n != 0 {
			return fmt.Errorf("%s: the stored refresh token was sent %d times already", m.keys[i], n)
		}
		u, _, err := cfg.ClientFromAccessToken(tok.AccessToken).User(t.Context())
		if err != nil {
			return fmt.Errorf("%s: the stored access token: %w", m.keys[i], err)
		}
		if u.XID != m.xids[i] {
			return fmt.Errorf("%s: the stored token is %s's, not %s's", m.keys[i], u.XID, m.xids[i])
		}
		return nil
	})
}

// stormSize is the default run: 4 processes of 50 goroutines, 1,000 users,
// one request per user from each process (4,000 requests, each a fresh
// Client), which takes 5-25 s per run on two CPUs with -race.
// UP_TEST_LONG=1 makes each process call each user three times.
func stormSize() (procs, goroutines, users, perUser int) {
	if os.Getenv("UP_TEST_LONG") != "" {
		return 4, 50, 1000, 3
	}
	return 4, 50, 1000, 1
}

// logStorm logs what a run did.
func logStorm(t testing.TB, m *manyUsers, sum *passReport, elapsed time.Duration) {
	t.Helper()
	t.Logf("%d requests in %v: %d refresh requests (%d replays of a spent refresh token), "+
		"%d Updates stored a new token, %d adopted another's; refresh p50 %.1f ms p99 %.1f ms, lock wait p50 %.1f ms "+
		"p99 %.1f ms, crash window p50 %.1f ms p99 %.1f ms",
		sum.Requests, elapsed.Round(time.Millisecond), m.srv.TokenRequests()["refresh_token"],
		m.srv.RefreshTokenReplays(), sum.Refreshes, sum.Adoptions, quantileNS(sum.Refresh, 0.5), quantileNS(sum.Refresh, 0.99),
		quantileNS(sum.Wait, 0.5), quantileNS(sum.Wait, 0.99), quantileNS(sum.Window, 0.5), quantileNS(sum.Window, 0.99))
}

// quantileNS returns the q-quantile of samples in nanoseconds, in milliseconds.
func quantileNS(samples []int64, q float64) float64 {
	ds := make([]time.Duration, len(samples))
	for i, s := range samples {
		ds[i] = time.Duration(s)
	}
	return quantile(ds, q)
}

// stormRun runs the default storm (stormSize) against b, the store's lock
// on or off, arm as storm takes it, and logs it. A new token that could
// not be saved fails t: its refresh spent the stored refresh token, so
// the user is lost.
func stormRun(t testing.TB, b backend, locking bool,
	arm func(callers []*caller) func(proc string, n int, refresh string, accepted bool)) (*manyUsers, *passReport) {
	t.Helper()
	procs, goroutines, users, perUser := stormSize()
	m := newManyUsers(t, b, users)
	reports, elapsed := m.storm(t, procs, func(p int) callerSpec { return m.spec(p, goroutines, perUser, !locking) }, arm)
	sum := total(reports)
	logStorm(t, m, sum, elapsed)
	if n := len(sum.SaveFailed); n != 0 {
		t.Errorf("%d new tokens could not be saved: %q", n, sum.SaveFailed[:min(n, 3)])
	}
	return m, sum
}

// TestManyProcessesRefreshEachUserOnce: four processes of 50 goroutines
// share one store (a SQLite file; a PostgreSQL database) for 1,000 users
// of the fake, whose access tokens have all expired; every request is a
// fresh Client from one Config per process. The store's lock makes it one
// refresh per user in all: exactly 1,000 token requests, none sending a
// refresh token already spent, no request failing, and every stored token
// the user's live one.
func TestManyProcessesRefreshEachUserOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		m, sum := stormRun(t, b, true, nil)
		users := len(m.keys)
		if sum.OK != sum.Requests || sum.loginRequired() != 0 {
			t.Fatalf("%d of %d requests succeeded, %d ended in ErrLoginRequired, %d failed otherwise: %q",
				sum.OK, sum.Requests, sum.loginRequired(), sum.Failed, sum.Errors)
		}
		if n := m.srv.TokenRequests()["refresh_token"]; n != users {
			t.Errorf("%d refresh requests for %d users, want exactly one each", n, users)
		}
		if n := m.srv.RefreshTokenReplays(); n != 0 {
			t.Errorf("%d refresh requests sent a refresh token already spent", n)
		}
		for i, u := range m.users {
			if n := u.TokenRequests()["refresh_token"]; n != 1 {
				t.Errorf("%s: %d refresh requests, want 1", m.keys[i], n)
			}
		}
		if sum.Refreshes != users {
			t.Errorf("%d Updates stored a new token, want %d", sum.Refreshes, users)
		}
		m.checkStored(t, nil)
	})
}

// TestManyProcessesWithoutTheLock is the same run with the store's lock
// switched off (Options.DisableLocking): holders of one user refresh at
// once, UP takes the first and refuses the others, and each refused one
// re-reads the store and adopts the token the winner saves. The missing
// lock may cost extra refresh requests, each refused, and nothing else: no
// user lost (every stored token is the user's live one), no request
// failing, and none told to log in again (ErrLoginRequired), since every
// user's winner stored a token. That takes two things under a storm
// (BENCHMARKS.md §11): each process queues its writes and commits them in
// batches, so that a winner's save does not starve behind hundreds of
// others, and a refused holder re-reads for longer when the store is slow
// (a read waits for the process's queued writes, and the wait grows with
// the slowest read). The log says how many refresh requests the missing
// lock cost.
func TestManyProcessesWithoutTheLock(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		m, sum := stormRun(t, b, false, nil)
		users := len(m.keys)
		if sum.Failed != 0 {
			t.Errorf("%d of %d requests failed: %q", sum.Failed, sum.Requests, sum.Errors)
		}
		refreshes, replays := m.srv.TokenRequests()["refresh_token"], m.srv.RefreshTokenReplays()
		if n := len(m.front.issued); n != users {
			t.Errorf("%d refreshes were accepted for %d users, want exactly one each", n, users)
		}
		if refreshes != users+replays {
			t.Errorf("%d refresh requests: not the %d accepted plus the %d refused replays", refreshes, users, replays)
		}
		if replays == 0 {
			t.Error("no refresh was refused without the lock: the run did not make holders race")
		}
		late := checkRefusals(t, sum)
		t.Logf("without the lock: %d extra refresh requests (%.0f%% more than with it), each refused; "+
			"winners that saved more than a second after UP answered: %d",
			refreshes-users, 100*float64(refreshes-users)/float64(users), late)
		if n := sum.loginRequired(); n != 0 {
			t.Errorf("%d of %d requests ended in ErrLoginRequired, for %d users, although every user's winner stored a token",
				n, sum.Requests, len(sum.LoginRequired))
		}
		m.checkStored(t, nil)
	})
}

// checkRefusals checks that every request that ended in ErrLoginRequired
// did so as the SDK documents: it re-read the store until the adopt window
// (a second at least) after UP refused its refresh was over (its last read
// ended after it), and its user's new token, if any holder saved one, was
// saved after the last of those reads had begun. (A read may wait long for
// a connection of the pool, so its start can be well before the window's
// end.) It returns how many winners' saves took longer than a second after
// UP's answer.
func checkRefusals(t testing.TB, sum *passReport) (late int) {
	t.Helper()
	const minWait = time.Second // adoptWindow
	for _, r := range sum.Refused {
		if waited := time.Duration(r.LastReadDone - r.Refused); waited < minWait-10*time.Millisecond {
			t.Errorf("%s: the last re-read ended %v after the refusal, before the adopt window (%v) was over", r.Key, waited, minWait)
		}
		if saved, ok := sum.Saved[r.Key]; ok && saved.At <= r.LastRead {
			t.Errorf("%s: ErrLoginRequired, although the user's new token was stored %v before the last re-read",
				r.Key, time.Duration(r.LastRead-saved.At))
		}
	}
	if n := sum.loginRequired(); n != len(sum.Refused) {
		t.Errorf("%d requests ended in ErrLoginRequired, %d of them after a refused refresh of their own", n, len(sum.Refused))
	}
	for _, s := range sum.Saved {
		if time.Duration(s.After) > minWait {
			late++
		}
	}
	return late
}

// TestManyProcessesSIGKILLMidRefresh runs the storm of
// TestManyProcessesRefreshEachUserOnce and kills one process with SIGKILL
// in the middle of one of its refreshes: it holds the user's lock, has sent
// the refresh token, and the fake has just answered, spending the refresh
// token, when the process dies, before the answer reaches it. That is the
// window no client can close: the successor token existed only in the
// dead process, and the store holds a refresh token UP will refuse. (In
// PostgreSQL the process's other refreshes under way die with it too, each
// in or out of its own window.) The test shows that the window is all that
// is lost:
//
//   - every user lost (stored refresh token spent) had the refresh that
//     spent it sent by the killed process, and the token that refresh
//     issued was never used by anyone: it died with the process;
//   - the user whose refresh was answered as the process died is among them;
//   - every other user's stored token is live and unspent, and the other
//     processes' requests all succeed, but for ErrLoginRequired for lost
//     users, which is what the SDK must say for them;
//   - no live process sent a spent refresh token but a lost user's stored
//     one, and each user was refreshed exactly once;
//   - a lost user who logs in again (ExchangeFor) is served again.
//
// It logs how long the refreshes' windows were; BENCHMARKS.md turns them
// into the rate at which crashes lose users.
func TestManyProcessesSIGKILLMidRefresh(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		at := 20 + rand.IntN(200) // the first refresh accepted from this token request of the run on kills its sender
		var (
			mu           sync.Mutex // the front serves token requests at once
			victim, held string
			killErr      error
		)
		m, sum := stormRun(t, b, true,
			func(callers []*caller) func(string, int, string, bool) {
				return func(proc string, n int, refresh string, accepted bool) {
					mu.Lock()
					defer mu.Unlock()
					if n < at || !accepted || victim != "" {
						return
					}
					victim, held = proc, refresh
					i, err := strconv.Atoi(proc)
					if err != nil || i < 0 || i >= len(callers) {
						killErr = fmt.Errorf("token request %d came from process %q", n, proc)
						return
					}
					killErr = callers[i].kill()
				}
			})
		mu.Lock()
		defer mu.Unlock()
		if killErr != nil || victim == "" {
			t.Fatalf("killing the process that sent token request %d: %v (%q)", at, killErr, victim)
		}
		lost := m.checkCrash(t, victim, sum)
		m.front.mu.Lock()
		heldKey := m.front.owner[held]
		m.front.mu.Unlock()
		t.Logf("process %s killed as the fake answered its refresh of %s (token request %d on): %d users lost %v; "+
			"%d requests of the other processes ended in ErrLoginRequired for them", victim, heldKey, at, len(lost),
			slices.Sorted(maps.Keys(lost)), sum.loginRequired())
		if !lost[heldKey] {
			t.Errorf("%s, whose refresh the fake answered as its process died, is not lost: the window was not hit", heldKey)
		}

		// A lost user logs in again, and is served again.
		cfg := m.config()
		for i, key := range m.keys {
			if !lost[key] {
				continue
			}
			state, err := up.NewState()
			if err != nil {
				t.Fatal(err)
			}
			redirect, err := m.users[i].Allow(cfg.AuthCodeURL(state))
			if err == nil {
				_, err = cfg.ExchangeFor(t.Context(), key, redirect, state)
			}
			if err == nil {
				err = callAs(t.Context(), cfg, key, m.xids[i])
			}
			if err != nil {
				t.Errorf("%s logging in again: %v", key, err)
			}
		}
	})
}

// checkCrash checks a run in which process victim was killed: the users
// lost (their stored refresh token spent at the fake) must be lost in the
// window of the victim's refreshes, and nothing else may be amiss (see
// TestManyProcessesSIGKILLMidRefresh). sum is what the other processes
// reported. It returns the users lost.
func (m *manyUsers) checkCrash(t testing.TB, victim string, sum *passReport) map[string]bool {
	t.Helper()
	f := m.front
	f.mu.Lock()
	defer f.mu.Unlock()
	lost, storedRefresh := map[string]bool{}, map[string]string{}
	for i, key := range m.keys {
		tok, err := m.store.Load(t.Context(), key)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		ex, spent := f.issued[tok.RefreshToken]
		if !spent {
			continue
		}
		lost[key], storedRefresh[key] = true, tok.RefreshToken
		if ex.proc != victim {
			t.Errorf("%s (%s): the stored refresh token was spent by process %s, which lived", key, m.xids[i], ex.proc)
		}
		if f.usedByAPI[ex.access] || f.sent[ex.refresh] > 0 {
			t.Errorf("%s: the token its last refresh issued was used afterwards, but never stored", key)
		}
	}
	if sum.Failed != 0 {
		t.Errorf("%d requests of the processes that lived failed: %q", sum.Failed, sum.Errors)
	}
	for key, n := range sum.LoginRequired {
		if !lost[key] {
			t.Errorf("%s: %d requests ended in ErrLoginRequired, but the user's token was not lost", key, n)
		}
	}
	// Every refused refresh sent a refresh token already spent: one the
	// killed process sent before it died, answered after another process
	// had refreshed the user, or a lost user's stored one.
	for _, r := range f.refused {
		owner := f.owner[r.refresh]
		_, spent := f.issued[r.refresh]
		switch {
		case !spent:
			t.Errorf("a refresh of %s was refused, with a refresh token not spent", owner)
		case r.proc != victim && (!lost[owner] || r.refresh != storedRefresh[owner]):
			t.Errorf("process %s sent %s's spent refresh token again, and it is not what a lost user has stored", r.proc, owner)
		}
	}
	if n := m.srv.RefreshTokenReplays(); n != len(f.refused) {
		t.Errorf("the fake counts %d replays of a spent refresh token, the front %d refusals", n, len(f.refused))
	}
	if n := len(f.issued); n != len(m.keys) {
		t.Errorf("%d refreshes were accepted for %d users, want exactly one each", n, len(m.keys))
	}
	m.checkStored(t, lost)
	return lost
}

// TestRevokedUserStallsNoOne: a request for a user who revoked the
// application in UP's own app has its refresh refused, and waits a second
// or more for a token another holder might store before it reports
// ErrLoginRequired. That wait must not hold the user's lock: in SQLite the
// lock is the whole file's, and every other user's refresh would wait
// behind it. Here another user's refresh, started once the refusal is
// under way, must be done before the refused request gives up.
func TestRevokedUserStallsNoOne(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		m := newManyUsers(t, b, 2)
		m.users[0].Revoke()
		cfg := m.config()
		revoked := make(chan error, 1)
		go func() { revoked <- callAs(t.Context(), cfg, m.keys[0], m.xids[0]) }()
		for deadline := time.Now().Add(10 * time.Second); m.users[0].TokenRequests()["refresh_token"] == 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the revoked user's request sent no refresh within 10 s")
			}
		}
		if err := callAs(t.Context(), cfg, m.keys[1], m.xids[1]); err != nil {
			t.Fatalf("the other user: %v", err)
		}
		select {
		case err := <-revoked:
			t.Fatalf("the revoked user's request ended (%v) before the other user's refresh could run", err)
		default:
		}
		if err := <-revoked; !errors.Is(err, up.ErrLoginRequired) {
			t.Errorf("the revoked user's request: %v, want ErrLoginRequired", err)
		}
	})
}
