package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/sqlstore"
)

// TestUnlockedSaveOutwaitsTheBusyTimeout: without the lock
// (Options.DisableLocking), Update's write still needs SQLite's write lock,
// and a statement that finds it taken fails once the connection's busy
// timeout has passed. The token fn returned must be saved all the same,
// for as long as Update promises (30 s): its refresh has spent the
// previous refresh token, and a token not saved is a user lost. Here
// another process holds the write lock six busy timeouts long.
func TestUnlockedSaveOutwaitsTheBusyTimeout(t *testing.T) {
	b := newBackend(t, sqlstore.SQLite)
	b.store(t, nil) // creates the table
	const busy = 50 * time.Millisecond
	db, err := sql.Open("sqlite", b.target+"?_pragma=busy_timeout(50)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	opts := b.options(nil)
	opts.DisableLocking = true
	s, err := sqlstore.New(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}

	other, err := b.open(t).Conn(t.Context()) // another process's connection
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	if _, err := other.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	time.AfterFunc(6*busy, func() {
		_, err := other.ExecContext(context.Background(), "ROLLBACK")
		released <- err
	})
	err = s.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return tokenN("alice", 1), nil
	})
	if err != nil {
		t.Fatalf("Update while another process held the write lock %v: %v", 6*busy, err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 1)) {
		t.Fatalf("Load = %+v, want the token fn returned", got)
	}
}
