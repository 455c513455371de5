package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"time"

	"github.com/upapi/up-go/up/sqlstore/internal/busy"
)

// Dialect names the SQL database a Store talks to, which decides its SQL
// and how it locks a user's token.
type Dialect int

const (
	// SQLite is a database file on this machine, shared by any number of
	// processes. Update runs in a BEGIN IMMEDIATE transaction, which holds
	// the file's write lock: one Update at a time in the whole file, across
	// every process that opens it.
	SQLite Dialect = iota + 1
	// PostgreSQL is a server shared by a fleet of machines. Update runs in
	// a READ COMMITTED transaction holding a transaction-scoped advisory
	// lock on the user key: one Update at a time per user, across every
	// process and machine.
	PostgreSQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "SQLite"
	case PostgreSQL:
		return "PostgreSQL"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// Timeouts of the statements that run after fn has returned, with a context
// that the caller's cancellation no longer reaches: see Store.Update.
const (
	saveTimeout     = 30 * time.Second
	rollbackTimeout = 10 * time.Second
)

// The SQLite retry schedule when the database stays busy beyond the
// connection's own busy timeout (or has none): a short sleep, growing to
// busyRetryMax, or to busyPollMax where the Store polls for the lock
// itself (see beginPolling).
const (
	busyRetryMin = time.Millisecond
	busyRetryMax = 20 * time.Millisecond
	busyPollMax  = 2 * time.Millisecond
)

// ph returns the n-th (1-based) bind parameter of d.
func (d Dialect) ph(n int) string {
	if d == PostgreSQL {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// blobType is d's type for a byte string, padded to the width of the
// other types in CREATE TABLE.
func (d Dialect) blobType() string {
	if d == PostgreSQL {
		return "BYTEA "
	}
	return "BLOB  "
}

// lockedConn is a connection of the pool, taken out of it, inside a
// transaction that holds a lock (a user's, or the migration lock).
type lockedConn struct {
	conn      *sql.Conn
	ctx       context.Context // the caller's, for its values; its cancellation is cut off where it must be
	release   func()          // releases the in-process gate
	committed bool
	tainted   bool // a setting of the connection could not be restored: close it
}

// begin takes the in-process gate and the database lock named kind/name,
// in a transaction on a connection of its own, giving up when ctx is done.
// The caller must call end, on every path (defer it).
func (s *Store) begin(ctx context.Context, kind, name string) (*lockedConn, error) {
	gateName := kind + "\x00" + name
	if s.dialect == SQLite {
		gateName = "" // BEGIN IMMEDIATE locks the whole file: one gate for all
	}
	release, err := s.gate.lock(ctx, gateName)
	if err != nil {
		return nil, waitError(kind, name, err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		release()
		if ctx.Err() != nil {
			return nil, waitError(kind, name, ctx.Err())
		}
		return nil, fmt.Errorf("sqlstore: getting a connection: %w", err)
	}
	lc := &lockedConn{conn: conn, ctx: ctx, release: release}
	switch s.dialect {
	case SQLite:
		err = beginImmediate(ctx, conn)
	case PostgreSQL:
		// READ COMMITTED whatever the server's default: every statement
		// after the lock then sees what the previous holder committed,
		// where REPEATABLE READ would keep the snapshot taken when the
		// lock statement began, before the wait.
		if _, err = conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL READ COMMITTED"); err == nil {
			_, err = conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", s.table.lockID(kind, name))
		}
	}
	if err != nil {
		// A failed BEGIN, or a lock wait cut short, can leave the
		// connection in any state: rollback, or throw it away.
		lc.end()
		if ctx.Err() != nil {
			return nil, waitError(kind, name, ctx.Err())
		}
		return nil, fmt.Errorf("sqlstore: taking the lock on %s %q: %w", kind, name, err)
	}
	return lc, nil
}

// waitError reports that the wait for a lock ended with ctx.
func waitError(kind, name string, err error) error {
	return fmt.Errorf("sqlstore: waiting for the lock on %s %q: %w", kind, name, err)
}

// beginImmediate starts a write transaction on a SQLite connection. The
// driver waits for the write lock up to the connection's busy timeout
// (modernc.org/sqlite stops that wait when ctx is done); past it, or with
// no busy timeout at all, the lock is tried again after a short sleep
// until ctx is done, so that waiters wait rather than fail.
func beginImmediate(ctx context.Context, conn *sql.Conn) error {
	return whileBusy(ctx, busyRetryMax, func() error {
		_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		return err
	})
}

// whileBusy runs op until it succeeds, fails other than with SQLite's
// "database is locked", or ctx is done, sleeping a little longer between
// each try and the next, up to maxWait; when ctx ends a sleep, it returns
// ctx's error.
func whileBusy(ctx context.Context, maxWait time.Duration, op func() error) error {
	wait := busyRetryMin
	for {
		err := op()
		if err == nil || !busy.Is(err) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, maxWait)
	}
}

// commit commits the transaction.
func (lc *lockedConn) commit(ctx context.Context) error {
	if _, err := lc.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	lc.committed = true
	return nil
}

// end rolls back the transaction unless it was committed, returns the
// connection to the pool and releases the gate. A connection that might
// still be inside a transaction (its ROLLBACK failed), or whose settings
// were changed and not restored, is closed instead of returned, so the pool
// never hands out a connection holding a lock or set otherwise than the
// application set it. It runs when Update returns, panics included.
func (lc *lockedConn) end() {
	defer lc.release()
	if !lc.committed {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(lc.ctx), rollbackTimeout)
		_, err := lc.conn.ExecContext(ctx, "ROLLBACK")
		cancel()
		if err != nil {
			lc.tainted = true
		}
	}
	if lc.tainted {
		discard(lc.conn)
	}
	_ = lc.conn.Close()
}

// discard closes conn's driver connection rather than letting it return to
// the pool: database/sql drops a connection whose Raw callback reports
// driver.ErrBadConn.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}
