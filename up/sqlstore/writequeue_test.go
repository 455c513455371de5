package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	_ "modernc.org/sqlite"

	"github.com/upapi/up-go/up"
)

// unlockedStore returns a Store without the lock on a fresh SQLite file.
func unlockedStore(t *testing.T) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(t.Context(), db, Options{Dialect: SQLite, DisableLocking: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// holdQueue takes the gate that each transaction of the queue takes, so
// that writes queue up behind it until the returned function is called.
func holdQueue(t *testing.T, s *Store) func() {
	t.Helper()
	release, err := s.gate.lock(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(release) })
	return func() { once.Do(release) }
}

// queued waits until n writes are queued.
func queued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(s.writes.pending()) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued after 10 s, want %d", len(s.writes.pending()), n)
		}
	}
}

// tok returns the n-th token of key.
func tok(key string, n int) *oauth2.Token {
	return &oauth2.Token{AccessToken: key + "-access-" + string(rune('a'+n)), RefreshToken: key + "-refresh-" + string(rune('a'+n))}
}

// write queues key's token n (a deletion when n < 0) behind the writes
// queued so far, and returns where its result will come.
func write(t *testing.T, ctx context.Context, s *Store, key string, n int) <-chan error {
	t.Helper()
	before := len(s.writes.pending())
	c := change{key: key, del: true}
	if n >= 0 {
		var err error
		if c, err = s.plan(key, tok(key, n), nil, true); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- s.writeUnlocked(ctx, c) }()
	queued(t, s, before+1)
	return done
}

func stored(t *testing.T, s *Store, key string) *oauth2.Token {
	t.Helper()
	got, err := s.Load(t.Context(), key)
	if errors.Is(err, up.ErrNoToken) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestWriteQueueKeepsOrder: writes queued while a transaction runs are
// committed together in the next, and a key written twice keeps the one
// queued last, a deletion included; a Load waits for the writes queued
// before it, so a process reads its own writes.
func TestWriteQueueKeepsOrder(t *testing.T) {
	s := unlockedStore(t)
	release := holdQueue(t, s)
	var results []<-chan error
	for _, w := range []struct {
		key string
		n   int
	}{{"alice", 0}, {"bob", 0}, {"alice", 1}, {"carol", 0}, {"bob", -1}, {"dave", -1}, {"dave", 2}, {"alice", 2}} {
		results = append(results, write(t, t.Context(), s, w.key, w.n))
	}
	loaded := make(chan *oauth2.Token, 1)
	go func() {
		got, _ := s.Load(t.Context(), "alice")
		loaded <- got
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case got := <-loaded:
		t.Fatalf("Load returned %v before the writes queued before it were committed", got)
	default:
	}
	release()
	for i, done := range results {
		if err := <-done; err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if got := <-loaded; got == nil || got.AccessToken != tok("alice", 2).AccessToken {
		t.Errorf("Load after the queue = %v, want alice's token 2", got)
	}
	for key, want := range map[string]*oauth2.Token{"alice": tok("alice", 2), "bob": nil, "carol": tok("carol", 0), "dave": tok("dave", 2)} {
		got := stored(t, s, key)
		if (got == nil) != (want == nil) || got != nil && got.AccessToken != want.AccessToken {
			t.Errorf("%s: stored %v, want %v", key, got, want)
		}
	}
	if n := len(s.writes.pending()); n != 0 {
		t.Errorf("%d writes still pending", n)
	}
}

// TestWriteQueueWithdrawsOnCancel: a write whose context ends while it
// waits in the queue leaves it, reports the context's error and is never
// committed; a Load waiting for it gives up with its own context.
func TestWriteQueueWithdrawsOnCancel(t *testing.T) {
	s := unlockedStore(t)
	release := holdQueue(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	gone := write(t, ctx, s, "alice", 0)
	kept := write(t, t.Context(), s, "bob", 0)

	short, stop := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer stop()
	if _, err := s.Load(short, "carol"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Load behind a stalled queue: %v, want its context's deadline", err)
	}

	cancel()
	select {
	case err := <-gone:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `"alice"`) {
			t.Errorf("the canceled write: %v, want context.Canceled naming the user", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled write still waits in the queue")
	}
	if n := len(s.writes.pending()); n != 1 {
		t.Errorf("%d writes pending after the withdrawal, want bob's", n)
	}
	release()
	if err := <-kept; err != nil {
		t.Fatal(err)
	}
	if got := stored(t, s, "alice"); got != nil {
		t.Errorf("the withdrawn write was committed: %v", got)
	}
	if got := stored(t, s, "bob"); got == nil {
		t.Error("bob's write, queued after the withdrawn one, was not committed")
	}
}

// TestWriteQueueFansOutErrors: when a transaction carrying several writes
// fails, each write is tried on its own, so that each writer gets its own
// result: the one the database refuses fails, the others are committed.
// When the database fails them all, every writer gets an error.
func TestWriteQueueFansOutErrors(t *testing.T) {
	s := unlockedStore(t)
	_, err := s.db.ExecContext(t.Context(), `CREATE TRIGGER refuse_mallory BEFORE INSERT ON `+s.table.quoted+
		` WHEN NEW.user_key = CAST('mallory' AS BLOB) BEGIN SELECT RAISE(ABORT, 'mallory refused'); END`)
	if err != nil {
		t.Fatal(err)
	}
	release := holdQueue(t, s)
	results := map[string]<-chan error{}
	for _, key := range []string{"alice", "mallory", "bob"} {
		results[key] = write(t, t.Context(), s, key, 0)
	}
	release()
	for key, done := range results {
		err := <-done
		switch {
		case key == "mallory" && (err == nil || !strings.Contains(err.Error(), "mallory refused")):
			t.Errorf("mallory's write: %v, want the database's refusal", err)
		case key != "mallory" && err != nil:
			t.Errorf("%s's write failed with the batch: %v", key, err)
		}
	}
	if stored(t, s, "alice") == nil || stored(t, s, "bob") == nil || stored(t, s, "mallory") != nil {
		t.Error("want alice's and bob's tokens stored, and mallory's not")
	}

	release = holdQueue(t, s)
	results = map[string]<-chan error{}
	for _, key := range []string{"carol", "dave"} {
		results[key] = write(t, t.Context(), s, key, 1)
	}
	if _, err := s.db.ExecContext(t.Context(), `DROP TABLE `+s.table.quoted); err != nil {
		t.Fatal(err)
	}
	release()
	for key, done := range results {
		if err := <-done; err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s's write to a dropped table: %v, want an error naming the user", key, err)
		}
	}
}
