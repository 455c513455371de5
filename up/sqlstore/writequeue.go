package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// writeQueue holds the writes of a Store without its lock
// (Options.DisableLocking) that wait to be committed, so that a process
// commits them together, one transaction at a time, in the order they
// came.
//
// Writers that each run a statement of their own, all at once, are
// neither fast nor fair. In SQLite each needs the file's write lock, and
// SQLite's busy handler grants it to no one in particular: a writer that
// found it taken sleeps, longer each time, while writers that come later,
// or that another process sends in a row, take it first, so that with a
// few hundred writers some wait seconds. In PostgreSQL each needs a
// connection of the pool, which database/sql hands to a waiter drawn at
// random, reads included. Queued, a process contends with one transaction
// at a time (for SQLite's lock, for a connection), and each transaction
// carries every write that came while the previous one ran. Only the
// writes queue: the reads and the UpdateFunc stay outside, so the store
// still loses updates as a store without a lock does.
type writeQueue struct {
	mu      sync.Mutex
	jobs    []*writeJob // queued, not yet carried
	carried []*writeJob // carried by the transaction under way
}

// writeJob is a write in the queue.
type writeJob struct {
	c     change
	taken bool          // under writeQueue.mu: a transaction carries it
	done  chan error    // receives its result, once
	ended chan struct{} // closed when it is over: committed, failed or withdrawn
}

// finish gives j its result.
func (j *writeJob) finish(err error) {
	j.done <- err
	close(j.ended)
}

// add puts c at the end of the queue.
func (q *writeQueue) add(c change) *writeJob {
	j := &writeJob{c: c, done: make(chan error, 1), ended: make(chan struct{})}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, j)
	return j
}

// take empties the queue and returns what it held, which the caller's
// transaction now carries; it calls settle when they are all finished.
func (q *writeQueue) take() []*writeJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs := q.jobs
	q.jobs = nil
	for _, j := range jobs {
		j.taken = true
	}
	q.carried = jobs
	return jobs
}

// settle forgets the jobs of the transaction that has just ended.
func (q *writeQueue) settle() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.carried = nil
}

// withdraw removes j from the queue, unless a transaction carries it
// already; it reports whether it did.
func (q *writeQueue) withdraw(j *writeJob) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if j.taken {
		return false
	}
	q.jobs = slices.DeleteFunc(q.jobs, func(o *writeJob) bool { return o == j })
	close(j.ended)
	return true
}

// pending returns the writes not over yet: those a transaction carries,
// then those queued.
func (q *writeQueue) pending() []*writeJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append(slices.Clip(q.carried), q.jobs...)
}

// drain waits until every write queued before it is over, or ctx is done.
func (q *writeQueue) drain(ctx context.Context) error {
	for _, j := range q.pending() {
		select {
		case <-j.ended:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// writeUnlocked makes c without the user's lock: it queues c, waits for
// the process's writes queued before it to be committed (the gate, first
// come first served), and then commits every write queued by then in one
// transaction, unless the transaction before carried c already. ctx bounds
// the wait; a write that a transaction carries when ctx ends is waited
// for, since it may be committed. The transaction itself runs with a
// timeout of its own (saveTimeout), not ctx, since it carries the writes
// of other callers too.
func (s *Store) writeUnlocked(ctx context.Context, c change) error {
	j := s.writes.add(c)
	release, err := s.gate.lock(ctx, "")
	if err != nil {
		if s.writes.withdraw(j) {
			return wrapWrite(c.key, err)
		}
		return <-j.done
	}
	defer release()
	if jobs := s.writes.take(); len(jobs) > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		s.commitJobs(ctx, jobs)
		cancel()
		s.writes.settle()
	}
	return <-j.done
}

// commitJobs commits jobs in one transaction and gives each its result.
// If the transaction fails, each job is tried on its own, so that one
// write that fails costs the others nothing.
func (s *Store) commitJobs(ctx context.Context, jobs []*writeJob) {
	err := s.commitTogether(ctx, jobs)
	if err != nil && len(jobs) > 1 {
		for _, j := range jobs {
			j.finish(wrapWrite(j.c.key, s.commitTogether(ctx, []*writeJob{j})))
		}
		return
	}
	for _, j := range jobs {
		j.finish(wrapWrite(j.c.key, err))
	}
}

// maxRows bounds the rows of one statement of a batch: 4 parameters a row
// stay far below SQLite's and PostgreSQL's limits on parameters.
const maxRows = 500

// batchStatement is a statement of a batch: its SQL, and its arguments
// but for the time of writing, which follows each upserted row's.
type batchStatement struct {
	sql   string
	rows  [][]any
	stamp bool // each row takes the time of writing (updated_at) last
	stmt  *sql.Stmt
}

// args returns the statement's arguments, each row stamped with now.
func (b *batchStatement) args(now int64) []any {
	var args []any
	for _, r := range b.rows {
		args = append(args, r...)
		if b.stamp {
			args = append(args, now)
		}
	}
	return args
}

// statements returns the statements that make jobs: the last change of
// each user key, in the order of the keys, upserts in one statement and
// deletions in another (per maxRows rows).
func (s *Store) statements(jobs []*writeJob) []*batchStatement {
	last := make(map[string]change, len(jobs))
	for _, j := range jobs {
		last[j.c.key] = j.c
	}
	var upserts, deletes [][]any
	for _, key := range slices.Sorted(maps.Keys(last)) {
		c := last[key]
		if c.del {
			deletes = append(deletes, []any{[]byte(key)})
		} else {
			upserts = append(upserts, []any{[]byte(key), c.keyID, c.token})
		}
	}
	var out []*batchStatement
	for chunk := range slices.Chunk(upserts, maxRows) {
		out = append(out, &batchStatement{sql: s.upsertSQL(len(chunk)), rows: chunk, stamp: true})
	}
	for chunk := range slices.Chunk(deletes, maxRows) {
		out = append(out, &batchStatement{sql: s.deleteSQL(len(chunk)), rows: chunk})
	}
	return out
}

// commitTogether makes jobs in one transaction on a connection of its
// own, with as few statements as it can (see statements), so that the
// transaction holds its locks for as short a time as it can. In SQLite the
// statements are prepared before the transaction takes the file's write
// lock (see beginPolling); in PostgreSQL the rows go in the order of their
// user keys, so that two processes' transactions lock the rows they share
// in the same order and never deadlock.
func (s *Store) commitTogether(ctx context.Context, jobs []*writeJob) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("getting a connection: %w", err)
	}
	lc := &lockedConn{conn: conn, ctx: ctx, release: func() {}}
	defer lc.end()
	stmts := s.statements(jobs)
	switch s.dialect {
	case SQLite:
		for _, b := range stmts {
			if b.stmt, err = conn.PrepareContext(ctx, b.sql); err != nil {
				return err
			}
			defer func() { _ = b.stmt.Close() }()
		}
		err = beginPolling(ctx, lc)
	case PostgreSQL:
		_, err = conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL READ COMMITTED")
	}
	if err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	for _, b := range stmts {
		if b.stmt != nil {
			_, err = b.stmt.ExecContext(ctx, b.args(now)...)
		} else {
			_, err = conn.ExecContext(ctx, b.sql, b.args(now)...)
		}
		if err != nil {
			return err
		}
	}
	return lc.commit(ctx)
}

// beginPolling is beginImmediate, but waits for SQLite's write lock by
// trying again every millisecond or two rather than in SQLite's busy
// handler, whose sleeps grow to 100 ms: with every process's writes queued
// behind one transaction, a process whose transaction sleeps there while
// the lock is free holds up all of them, and the process that has just
// committed, awake, takes the lock again first. The connection's busy
// timeout is set to zero for the BEGIN and restored at once; if it cannot
// be, the connection is closed at the end rather than returned to the pool.
func beginPolling(ctx context.Context, lc *lockedConn) error {
	var timeout int64
	if err := lc.conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		return err
	}
	if _, err := lc.conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		lc.tainted = true
		return err
	}
	err := whileBusy(ctx, busyPollMax, func() error {
		_, err := lc.conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		return err
	})
	if _, rerr := lc.conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(timeout, 10)); rerr != nil {
		lc.tainted = true
		if err == nil {
			err = rerr
		}
	}
	return err
}
