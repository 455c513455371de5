// Package sqlite opens a SQLite database file for [sqlstore], with the
// settings a token store shared by several processes needs, through the
// pure-Go driver modernc.org/sqlite (no cgo). It is a package of its own so
// that an application keeping its tokens in PostgreSQL links no SQLite.
//
//	db, err := sqlite.Open(ctx, "/var/lib/myapp/tokens.db")
//	store, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite})
//
// An application that opens the file itself (with this driver or another)
// should apply the same settings; see [DSN].
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/internal/busy"
)

// BusyTimeout is how long a statement waits for another connection's
// write lock before it fails with "database is locked". An Update waits
// longer than this, as long as its context allows.
const BusyTimeout = 10 * time.Second

// DSN returns the modernc.org/sqlite data source name Open uses for path:
//
//   - busy_timeout: statements wait for a lock rather than fail at once;
//   - journal_mode=WAL: readers never wait for the writer, nor the writer
//     for readers, so Loads go on while an Update holds the lock;
//   - synchronous=FULL: a committed token survives a power cut (a refresh
//     token lost after UP rotated it costs the user a new login);
//   - foreign_keys=ON: the application's own tables keep their constraints.
func DSN(path string) string {
	return path + fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)",
		BusyTimeout.Milliseconds())
}

// Open opens (creating if need be) the SQLite database file at path with
// the settings of [DSN], and checks that it can be read and written. The
// file may be shared by any number of processes on this machine, but not
// over a network file system, whose locks SQLite cannot trust.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("%w: sqlite.Open needs the path of a file that processes can share, not %q",
			sqlstore.ErrInvalidOptions, path)
	case strings.ContainsAny(path, "?#"):
		return nil, fmt.Errorf("%w: sqlite.Open cannot open a path containing '?' or '#': %q", sqlstore.ErrInvalidOptions, path)
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	// A connection to check the settings took: the first one to open
	// the file switches it to WAL, which is then kept in the file.
	mode, err := journalMode(ctx, db)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: opening %s: %w", path, err), db.Close())
	}
	if !strings.EqualFold(mode, "wal") {
		return nil, errors.Join(fmt.Errorf("sqlite: %s is in journal mode %q, not WAL", path, mode), db.Close())
	}
	return db, nil
}

// journalMode reads the journal mode through a new connection, whose
// settings switch a new file to WAL. SQLite does not call its busy handler
// for that switch: a process that opens the file while another switches it
// is told "database is locked" at once. Such a connection is tried again,
// after a pause growing from 1 to 50 ms, for up to BusyTimeout.
func journalMode(ctx context.Context, db *sql.DB) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, BusyTimeout)
	defer cancel()
	wait := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
		if err == nil || !busy.Is(err) {
			return mode, err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(wait):
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}
