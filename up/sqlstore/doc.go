// Package sqlstore keeps the OAuth tokens of any number of UP users in a SQL
// database, through database/sql: an [up.Store] for web services that hold
// thousands of users' tokens on several processes or machines. See
// https://jawbone.com/up/developer/authentication for the tokens it keeps.
//
// UP rotates refresh tokens: the refresh that uses one spends it. Two
// holders of a user's token refreshing at once therefore lose one refresh
// token, and the user must log in again. [Store.Update] prevents that with a
// lock on the user that every process sharing the database respects, held
// from reading the token, through the refresh (the UpdateFunc), to saving
// the new one; the holder that waited reads the new token and uses it.
//
// The package imports no driver. Open the database with one, or with the
// subpackages that do: [github.com/upapi/up-go/up/sqlstore/sqlite] (the
// pure-Go modernc.org/sqlite) and [github.com/upapi/up-go/up/sqlstore/postgres]
// (github.com/jackc/pgx/v5), so an application links only the driver it uses.
//
//	db, err := sqlite.Open(ctx, "/var/lib/myapp/tokens.db")
//	store, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite})
//	tok, err := store.Load(ctx, "user-42")
//
// # SQLite
//
// One database file, shared by any number of processes on one machine.
// Update runs on a connection of its own in a BEGIN IMMEDIATE transaction,
// which takes the file's write lock at once: one Update at a time in the
// whole file, across all processes (and so one per user). A process that
// finds the file locked waits, through the connection's busy timeout and
// then by retrying, until its context is done; the goroutines of one
// process queue in the process, holding no connection, so only one of them
// at a time waits in SQLite. Open the file in WAL mode, so that Loads read
// the last committed tokens while an Update holds the lock; sqlite.Open
// does, with a busy timeout and synchronous=FULL. Because the lock is the
// whole file's, Updates of different users wait for each other as well:
// keep the UpdateFunc short (a refresh is one HTTP request), and use
// PostgreSQL when many refreshes run at once.
//
// # PostgreSQL
//
// One database shared by a fleet. Update runs on a connection of its own
// in a READ COMMITTED transaction that first takes
// pg_advisory_xact_lock(id), id being a 64-bit hash of the table and the
// user key; every statement after it reads what the previous holder
// committed, whatever the server's default isolation. An advisory lock was
// chosen over SELECT ... FOR UPDATE because it also locks a user who has no
// row yet (a first login), survives the row being deleted and stored
// again, and is released by the server when the transaction ends or the
// connection dies, so a crashed process never leaves a user locked; being
// transaction-scoped, it also works behind a pooler in transaction mode.
// Users are locked independently. Advisory locks are shared by the whole
// database: code of the application that takes advisory locks with 64-bit
// keys could, rarely, collide with one, which makes it wait, never lose an
// update.
//
// # Updates, failures and panics
//
// The lock is held until Update returns. When fn returns an error, the
// transaction rolls back and Update returns fn's error itself. When the
// context ends while waiting for the lock, Update returns an error that
// matches it (errors.Is(err, context.DeadlineExceeded)) without calling fn.
// Once fn has returned a token, the token is saved even if the context has
// ended meanwhile (within a 30-second limit of its own), because the
// refresh that made it has spent the previous refresh token. When fn
// panics, the transaction rolls back, the lock and the connection are
// released, and the panic continues to the caller: a panic is a bug, and
// Update does not turn it into an error. A connection whose transaction
// cannot be rolled back (a COMMIT that failed and a broken connection, a
// wait cut short) is closed, never returned to the pool inside a
// transaction.
//
// Options.DisableLocking turns the lock off: Update then reads, calls fn
// and writes with no lock, as a store without locking would. It exists for
// tests and to measure what the lock buys (the package's tests show four
// processes losing updates with it); never set it in production. The SDK
// survives it: a refresh refused because another holder spent the refresh
// token re-reads the store and adopts the token the winner saves, so the
// missing lock costs refused refresh requests, not logins. For the
// winner's save to land while the others re-read, even with hundreds of
// holders saving at once, the Store without the lock queues each
// process's writes and commits them in batches, one transaction at a time
// per process, each carrying every write queued while the previous one
// ran (the last write of each user key, in one INSERT ... ON CONFLICT DO
// UPDATE and one DELETE ... WHERE user_key IN (...), keys in order); in
// SQLite the transaction polls for the write lock every millisecond or two
// (BEGIN IMMEDIATE with the busy timeout set to zero for it) rather than
// sleeping in SQLite's busy handler, which let newcomers overtake a save
// for seconds. A write still waits for the queue as long as its context
// allows (Update's save: 30 s), and one that a transaction carries is
// waited for. Load and Update's read wait first for the writes the
// process queued before them, so that a process reads its own writes and
// a read takes as long as the process's writes: the SDK's re-read window
// grows with the slowest re-read.
//
// # Crashes
//
// A process that dies in the middle of an Update (SIGKILL, the
// out-of-memory killer, a power cut) leaves nothing half written: its
// transaction rolls back and its lock is released (the operating system
// releases SQLite's file lock; PostgreSQL ends the session and its
// advisory lock), and the other processes go on at once. What it can lose
// is a refresh under way: from the moment UP spends the refresh token until
// the new token is committed, the new token exists only in the dying
// process. The store then keeps the spent refresh token, the user's next
// refresh is refused, and the SDK reports up.ErrLoginRequired: the user
// must log in again. No client can close that window, since a token can
// be saved only after UP has sent it, and UP spends the old one before it
// does. The window is the answer's way back and a commit: on one machine,
// in a storm of refreshes, a median of 0.7 ms in SQLite and 12-15 ms in
// PostgreSQL (99th percentiles 9-15 and 100-110 ms). A crash at a random
// moment loses, on average, the process's refresh rate times that: with
// UP's year-long tokens a service of 100,000 users refreshes about once in
// five minutes, so about one crash in 30,000 loses a user even with a
// 10 ms window; in a storm where every token expired at once, 0.1-0.3
// users per crash in SQLite, where one refresh at a time runs, and 1-2 in
// PostgreSQL, where a process refreshes many users at once (BENCHMARKS.md,
// section 11). A process that stops in order loses nothing if it lets the
// refreshes under way finish.
//
// # Keys
//
// A user key is any non-empty string: it is stored as bytes, so every Go
// string, even one that is not UTF-8, is a distinct key. An empty key is
// refused with [ErrEmptyKey], and one longer than [MaxKeyBytes] (which
// PostgreSQL could not index) with [ErrKeyTooLong]. Tokens are stored as copies: changing a token
// after storing or loading it changes nothing stored. A token is stored as
// its access token, token type, refresh token and expiry; fields of the
// token response beyond those are not kept. Errors name the user key but
// never hold a token or any part of one.
//
// # Tokens at rest
//
// With Options.Keys, every token written is sealed with AES-256-GCM under
// the Keyring's primary key, with a fresh random nonce, and the key's
// identifier is stored beside it. The additional data of the seal binds the
// ciphertext to its row: a format tag, the key identifier and the user key.
// A ciphertext copied into another user's row, or relabelled with another
// key identifier, fails to open with a [*CorruptTokenError]; a token sealed
// with a key the Keyring does not hold reports an [*UnknownKeyError]. The
// stored bytes are nonce (12 bytes) || ciphertext || tag (16 bytes).
//
// Keys rotate without a flag day: deploy a Keyring whose primary is the new
// key and which still holds the old ones; new writes use the new key, rows
// sealed with an old key still open. Then run [Store.Reencrypt] once to seal
// every row (and any row stored in clear) under the primary key, check with
// [Store.CountByKey] that no row uses the old key, and drop it from the
// Keyring. A store without Keys stores tokens in clear (as JSON); turning
// Keys on later needs nothing more than Reencrypt.
//
// # Schema
//
// [New] creates the table, and migrates it from any earlier version, before
// it returns. The versions applied are recorded in a table of their own,
// named after the token table with "_schema" appended. Migration runs in one
// transaction under a lock (SQLite's write lock; in PostgreSQL an advisory
// lock on the table's name), so processes starting at once migrate once and
// a failed migration leaves the previous version whole. A database migrated
// by a newer version of this package than the running one is refused with
// a [*SchemaVersionError]. Table names are validated (letters, digits and
// underscores, optionally qualified by a schema) and quoted. With the
// default table name "up_tokens", the SQL is:
//
// The schema-version table, created if missing:
//
//	CREATE TABLE IF NOT EXISTS "up_tokens_schema" (
//		version     INTEGER NOT NULL PRIMARY KEY,
//		description TEXT    NOT NULL,
//		applied_at  BIGINT  NOT NULL  -- Unix seconds
//	)
//
// Version 1, the token table (BYTEA is BLOB in SQLite, which also adds
// WITHOUT ROWID after the closing parenthesis):
//
//	CREATE TABLE "up_tokens" (
//		user_key   BYTEA  NOT NULL PRIMARY KEY CHECK (length(user_key) > 0),
//		key_id     TEXT   NOT NULL,  -- the sealing key's identifier; '' when stored in clear
//		token      BYTEA  NOT NULL,  -- the JSON record, or nonce || AES-256-GCM ciphertext || tag
//		updated_at BIGINT NOT NULL   -- Unix milliseconds of the last write
//	)
//
// Version 2, an index for CountByKey and Reencrypt:
//
//	CREATE INDEX "up_tokens_key_id_idx" ON "up_tokens" (key_id, user_key)
//
// The JSON record in clear, and inside the seal, is
// {"access_token":"…","token_type":"Bearer","refresh_token":"…","expiry":"2027-01-02T03:04:05Z"}.
package sqlstore
