package sqlite_test

import (
	"errors"
	"path/filepath"
	"testing"

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
