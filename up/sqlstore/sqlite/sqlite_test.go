package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/sqlite"
)

func TestOpenSettings(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "tokens.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	db.SetMaxOpenConns(3)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"busy_timeout": "10000",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
	} {
		// On several connections: the settings are the DSN's, not one connection's.
		for range 3 {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
			}
		}
	}
}

func TestOpenRefusesWhatProcessesCannotShare(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:tokens.db?mode=memory", filepath.Join(t.TempDir(), "a?b.db"), "x#y"} {
		if db, err := sqlite.Open(t.Context(), path); !errors.Is(err, sqlstore.ErrInvalidOptions) {
			if db != nil {
				_ = db.Close()
			}
			t.Errorf("Open(%q): %v, want ErrInvalidOptions", path, err)
		}
	}
	if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "no", "such", "dir", "tokens.db")); err == nil {
		t.Error("Open in a directory that does not exist succeeded")
	}
}

// TestOpenWhileTheFileIsLocked opens a new file while another connection
// holds it locked: Open waits for the lock to go rather than fail.
func TestOpenWhileTheFileIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.db")
	other, err := sql.Open("sqlite", path) // no settings: a rollback journal
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	time.AfterFunc(300*time.Millisecond, func() {
		defer close(released)
		if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
			t.Error(err)
		}
	})
	db, err := sqlite.Open(t.Context(), path)
	<-released
	if err != nil {
		t.Fatalf("Open while another connection held the file: %v", err)
	}
	_ = db.Close()
}

// TestOpenAtOnce has many openers, each with a pool of its own as separate
// processes would have, open one new file at the same moment and create
// the store's table in it: each must succeed, whoever switches the file to
// WAL first.
func TestOpenAtOnce(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "tokens.db")
		const openers = 12
		errs := make(chan error, openers)
		start := make(chan struct{})
		for range openers {
			go func() {
				<-start
				db, err := sqlite.Open(t.Context(), path)
				if err != nil {
					errs <- err
					return
				}
				defer func() { _ = db.Close() }()
				_, err = sqlstore.New(t.Context(), db, sqlstore.Options{Dialect: sqlstore.SQLite})
				errs <- err
			}()
		}
		close(start)
		for range openers {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
