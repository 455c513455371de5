package sqlstore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/sqlstore"
)

// workerEnv carries a workerConfig to a copy of the test binary, which
// then runs as a worker process instead of running tests.
const workerEnv = "UP_SQLSTORE_TEST_WORKER"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(workerEnv); cfg != "" {
		if err := runWorker(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// workerConfig tells a worker process what to do: Goroutines goroutines
// each run Updates read-modify-write Updates (forever when 0) on users
// picked in turn, each Update taking the user's token of generation n
// (its refresh token "spent") and storing generation n+1.
type workerConfig struct {
	Dialect    sqlstore.Dialect
	Target     string
	Table      string
	Keys       string // for sqlstore.ParseKeyring; "" stores in clear
	NoLock     bool
	Users      []string
	Goroutines int
	Updates    int
	Hold       time.Duration // how long fn takes, as a refresh over HTTP would
	Announce   bool          // print "holding" from inside fn
	Latency    bool          // print each Update's latency and lock wait
	WaitStart  bool          // start updating when a line arrives on stdin
}

// Lines a worker prints, one event each.
const (
	lineReady    = "ready"         // the Store is open (and migrated)
	lineConsumed = "consumed"      // user n: an Update spent generation n and committed n+1
	lineHolding  = "holding"       // user n: inside fn, holding the lock
	lineLatency  = "latency"       // total_ns wait_ns
	lineTorn     = "torn"          // user: fn was given a token whose parts disagree
	genPrefix    = "refresh-"      // tokenN's refresh token: refresh-USER-N
	stdoutBuffer = 1 << 16         // bytes of latency lines buffered between flushes
	workerLimit  = 3 * time.Minute // a worker process that runs longer is killed
)

// generation reads n from tokenN(user, n), checking that the token is whole.
func generation(user string, tok *oauth2.Token) (int, error) {
	if tok == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(tok.RefreshToken, genPrefix+user+"-"))
	if err != nil || !sameToken(tok, tokenN(user, n)) {
		return 0, fmt.Errorf("%s %s: not a whole token of the chain: %q", lineTorn, user, tok.RefreshToken)
	}
	return n, nil
}

func runWorker(raw string) error {
	var cfg workerConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return err
	}
	ctx := context.Background()
	b := backend{dialect: cfg.Dialect, target: cfg.Target, table: cfg.Table}
	db, err := b.openErr(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	opts := b.options(nil)
	opts.DisableLocking = cfg.NoLock
	if cfg.Keys != "" {
		if opts.Keys, err = sqlstore.ParseKeyring(cfg.Keys); err != nil {
			return err
		}
	}
	s, err := sqlstore.New(ctx, db, opts)
	if err != nil {
		return err
	}

	var mu sync.Mutex
	out := bufio.NewWriterSize(os.Stdout, stdoutBuffer)
	say := func(flush bool, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = fmt.Fprintf(out, format+"\n", args...)
		if flush {
			_ = out.Flush()
		}
	}
	say(true, lineReady)
	if cfg.WaitStart {
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return fmt.Errorf("waiting for the start: %w", err)
		}
	}

	errs := make(chan error, cfg.Goroutines)
	var wg sync.WaitGroup
	for g := range cfg.Goroutines {
		wg.Go(func() {
			for i := 0; cfg.Updates == 0 || i < cfg.Updates; i++ {
				user := cfg.Users[(g+i*cfg.Goroutines)%len(cfg.Users)]
				var n int
				start := time.Now()
				var entered time.Time
				err := s.Update(ctx, user, func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
					entered = time.Now()
					var err error
					if n, err = generation(user, stored); err != nil {
						return nil, err
					}
					if cfg.Announce {
						say(true, "%s %s %d", lineHolding, user, n)
					}
					time.Sleep(cfg.Hold)
					return tokenN(user, n+1), nil
				})
				if err != nil {
					errs <- err
					return
				}
				say(true, "%s %s %d", lineConsumed, user, n) // at once: a killed worker reports all but its last
				if cfg.Latency {
					say(false, "%s %d %d", lineLatency, time.Since(start), entered.Sub(start))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	mu.Lock()
	defer mu.Unlock()
	return errors.Join(<-errs, out.Flush())
}

// worker is a running worker process and what it has printed.
type worker struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string // every line it prints, closed at its end
	done    chan error  // its exit
	stderr  strings.Builder
	started time.Time
}

// startWorker runs a worker process with cfg.
func startWorker(t testing.TB, cfg workerConfig) *worker {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), workerLimit)
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), workerEnv+"="+string(raw))
	w := &worker{cmd: cmd, lines: make(chan string, 1<<14), done: make(chan error, 1), started: time.Now()}
	cmd.Stderr = &w.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if w.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
		close(w.lines)
		w.done <- cmd.Wait()
		cancel()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range w.lines { //nolint:revive // drain, so that the reader ends
		}
	})
	return w
}

// chainResult is what the workers of a run reported.
type chainResult struct {
	consumed map[string][]int // user → generations spent, in no order
	latency  []time.Duration
	lockWait []time.Duration
}

// collect reads a worker's lines until it ends, adding to r (under mu),
// and returns its exit error with its stderr.
func (w *worker) collect(r *chainResult, mu *sync.Mutex) error {
	for line := range w.lines {
		f := strings.Fields(line)
		mu.Lock()
		switch {
		case len(f) == 3 && f[0] == lineConsumed:
			n, _ := strconv.Atoi(f[2])
			r.consumed[f[1]] = append(r.consumed[f[1]], n)
		case len(f) == 3 && f[0] == lineLatency:
			total, _ := strconv.ParseInt(f[1], 10, 64)
			wait, _ := strconv.ParseInt(f[2], 10, 64)
			r.latency = append(r.latency, time.Duration(total))
			r.lockWait = append(r.lockWait, time.Duration(wait))
		}
		mu.Unlock()
	}
	if err := <-w.done; err != nil {
		return fmt.Errorf("%w; stderr: %s", err, w.stderr.String())
	}
	return nil
}

// ended kills w if it still runs, waits for its end and describes it,
// with what it wrote on stderr (which is complete only then).
func (w *worker) ended() string {
	_ = w.cmd.Process.Kill()
	for range w.lines { //nolint:revive // drain, so that the reader ends
	}
	err := <-w.done
	return fmt.Sprintf("%v; stderr: %s", err, w.stderr.String())
}

// runWorkers runs n worker processes with cfg to their end and returns
// what they reported.
func runWorkers(t testing.TB, n int, cfg workerConfig) chainResult {
	t.Helper()
	r := chainResult{consumed: map[string][]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		w := startWorker(t, cfg)
		wg.Go(func() { errs[i] = w.collect(&r, &mu) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}
	return r
}

func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "user" + strconv.Itoa(i)
	}
	return out
}

// finalGenerations loads every user's token and returns its generation.
func finalGenerations(t testing.TB, s *sqlstore.Store, names []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, u := range names {
		tok, err := s.Load(t.Context(), u)
		if err != nil {
			t.Fatalf("after the workers, Load(%s): %v", u, err)
		}
		n, err := generation(u, tok)
		if err != nil {
			t.Fatal(err)
		}
		out[u] = n
	}
	return out
}

// Four processes of eight goroutines update the same five users: with the
// lock no update is lost and no generation is spent twice.
func TestCrossProcessUpdatesLoseNothing(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		keys := "k1:" + keyB64(t)
		names := users(5)
		const procs, goroutines, updates = 4, 8, 12
		cfg := workerConfig{Dialect: b.dialect, Target: b.target, Table: b.table, Keys: keys, Users: names,
			Goroutines: goroutines, Updates: updates, Hold: time.Millisecond}
		r := runWorkers(t, procs, cfg)
		final := finalGenerations(t, b.store(t, mustParseKeyring(t, keys)), names)
		total := 0
		for _, u := range names {
			spent := slices.Sorted(slices.Values(r.consumed[u]))
			total += len(spent)
			for i, n := range spent {
				if n != i {
					t.Fatalf("%s: generations spent %v: not each of 0..%d once", u, spent, len(spent)-1)
				}
			}
			if final[u] != len(spent) {
				t.Fatalf("%s: %d updates committed but the token is at generation %d", u, len(spent), final[u])
			}
		}
		if total != procs*goroutines*updates {
			t.Fatalf("%d updates reported, want %d", total, procs*goroutines*updates)
		}
	})
}

// The same without the lock loses updates: the switch means something.
func TestCrossProcessUpdatesWithoutTheLockLoseSome(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		names := users(5)
		const procs, goroutines, updates = 4, 8, 12
		cfg := workerConfig{Dialect: b.dialect, Target: b.target, Table: b.table, NoLock: true, Users: names,
			Goroutines: goroutines, Updates: updates, Hold: 2 * time.Millisecond}
		r := runWorkers(t, procs, cfg)
		final := finalGenerations(t, b.store(t, nil), names)
		lost, twice := 0, 0
		for _, u := range names {
			lost += len(r.consumed[u]) - final[u]
			seen := map[int]bool{}
			for _, n := range r.consumed[u] {
				if seen[n] {
					twice++
				}
				seen[n] = true
			}
		}
		t.Logf("without the lock: %d of %d updates lost, %d generations spent twice", lost, procs*goroutines*updates, twice)
		if lost == 0 || twice == 0 {
			t.Fatal("no update was lost without the lock: the cross-process tests could not see a missing lock")
		}
	})
}

// Processes killed with SIGKILL, one while it holds a user's lock inside
// fn and one at a random moment, leave every token whole and decryptable,
// and the others carry on.
func TestCrossProcessKillLeavesWholeTokens(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		keys := "k1:" + keyB64(t)
		names := users(4)
		base := workerConfig{Dialect: b.dialect, Target: b.target, Table: b.table, Keys: keys, Users: names,
			Goroutines: 4, Hold: 3 * time.Millisecond}
		r := chainResult{consumed: map[string][]int{}}
		var mu sync.Mutex

		holder := base
		holder.Announce = true
		victims := []*worker{startWorker(t, holder), startWorker(t, base)}
		survivorCfg := base
		survivorCfg.Updates = 15
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			w := startWorker(t, survivorCfg)
			wg.Go(func() { errs[i] = w.collect(&r, &mu) })
		}
		// Kill the first victim inside fn, with the lock held.
		killed := false
		for line := range victims[0].lines {
			mu.Lock()
			if f := strings.Fields(line); len(f) == 3 && f[0] == lineConsumed {
				n, _ := strconv.Atoi(f[2])
				r.consumed[f[1]] = append(r.consumed[f[1]], n)
			}
			started := len(r.consumed) > 0
			mu.Unlock()
			if strings.HasPrefix(line, lineHolding) && started {
				if err := victims[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
				break
			}
		}
		if !killed {
			t.Fatalf("the first victim ended before it was killed: %s", victims[0].ended())
		}
		time.Sleep(time.Duration(50+time.Now().UnixNano()%100) * time.Millisecond)
		if err := victims[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for _, v := range victims {
			_ = v.collect(&r, &mu) // reads the lines it printed before it died
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("surviving worker %d: %v", i, err)
			}
		}

		final := finalGenerations(t, b.store(t, mustParseKeyring(t, keys)), names)
		for _, u := range names {
			spent := slices.Sorted(slices.Values(r.consumed[u]))
			if len(slices.Compact(slices.Clone(spent))) != len(spent) {
				t.Fatalf("%s: a generation was spent twice: %v", u, spent)
			}
			// A victim may die between a commit and its report: at most
			// one committed update per goroutine of a victim goes unreported.
			if unreported := final[u] - len(spent); unreported < 0 || unreported > len(victims)*base.Goroutines {
				t.Fatalf("%s: token at generation %d after %d reported updates", u, final[u], len(spent))
			}
			if len(spent) > 0 && spent[len(spent)-1] >= final[u] {
				t.Fatalf("%s: generation %d was spent but the token is at %d", u, spent[len(spent)-1], final[u])
			}
		}
	})
}

func keyB64(t testing.TB) string {
	t.Helper()
	secret := make([]byte, sqlstore.KeySize)
	_, _ = rand.Read(secret)
	return base64.StdEncoding.EncodeToString(secret)
}

func mustParseKeyring(t testing.TB, s string) *sqlstore.Keyring {
	t.Helper()
	r, err := sqlstore.ParseKeyring(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
