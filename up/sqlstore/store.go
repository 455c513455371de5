package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
)

// Options configure a Store.
type Options struct {
	// Dialect is the database behind the *sql.DB: SQLite or PostgreSQL.
	// Required.
	Dialect Dialect

	// Table is the token table's name, DefaultTable when empty: an
	// identifier of letters, digits and underscores (at most 48), which
	// may be qualified by a schema ("app.up_tokens"). The store also
	// creates Table+"_schema", which records the schema versions applied,
	// and the index Table+"_key_id_idx".
	Table string

	// Keys, when set, seals every token written with AES-256-GCM under
	// the primary key, and opens tokens sealed by any key of the ring.
	// Without Keys, tokens are stored in clear (as JSON); a Store with
	// Keys still reads those, and Reencrypt seals them.
	Keys *Keyring

	// DisableLocking makes Update read, call fn and write without any
	// lock, so that two holders updating one user at once can lose an
	// update (with rotating refresh tokens: spend a refresh token twice).
	// It exists for tests, and to measure what the lock buys; never set
	// it in production.
	DisableLocking bool
}

// String describes the options without key material.
func (o Options) String() string {
	return fmt.Sprintf("sqlstore.Options{Dialect:%v, Table:%q, Keys:%v, DisableLocking:%t}",
		o.Dialect, o.Table, o.Keys, o.DisableLocking)
}

// GoString is String, so that %#v cannot print key material.
func (o Options) GoString() string { return o.String() }

// LogValue logs the options without key material.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dialect", o.Dialect.String()), slog.String("table", o.Table),
		slog.Any("keys", o.Keys), slog.Bool("disable_locking", o.DisableLocking))
}

// Store is an [up.Store] in a SQL database: the tokens of any number of
// users, shared by every process (SQLite) or machine (PostgreSQL) that
// opens the same database, each user's token updated under a lock that
// all of them respect. Make one with [New]; it is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	table   table
	keys    *Keyring
	locking bool
	gate    gate
	writes  writeQueue // the writes made without the lock, waiting to be committed
	q       queries
}

// queries are the Store's SQL, made once for its dialect and table.
type queries struct {
	load, upsert, del, count, pending string
}

var _ up.Store = (*Store)(nil)

// New returns a Store keeping tokens in db, a database the application has
// opened with a driver for opts.Dialect. It creates the token table, or
// migrates it to the newest schema version, before it returns; processes
// starting at once migrate once (see the package documentation).
//
// The Store holds one connection of db's pool for each Update in progress
// (and SQLite needs one more for Loads meanwhile): leave the pool room,
// for SQLite at least two connections.
func New(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if db == nil {
		return nil, invalidf("New needs a *sql.DB")
	}
	if opts.Dialect != SQLite && opts.Dialect != PostgreSQL {
		return nil, invalidf("Options.Dialect is %v: use sqlstore.SQLite or sqlstore.PostgreSQL", opts.Dialect)
	}
	t, err := parseTable(opts.Table)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dialect: opts.Dialect, table: t, keys: opts.Keys, locking: !opts.DisableLocking}
	ph := s.dialect.ph
	s.q = queries{
		load:   `SELECT key_id, token FROM ` + t.quoted + ` WHERE user_key = ` + ph(1),
		upsert: s.upsertSQL(1),
		del:    s.deleteSQL(1),
		count:  `SELECT key_id, COUNT(*) FROM ` + t.quoted + ` GROUP BY key_id`,
		pending: `SELECT user_key FROM ` + t.quoted + ` WHERE key_id <> ` + ph(1) + ` AND user_key > ` + ph(2) +
			` ORDER BY user_key LIMIT 256`,
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// upsertSQL returns the statement that stores the tokens of rows users:
// for each, its key, key_id, token and updated_at, in that order.
func (s *Store) upsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + s.table.quoted + ` (user_key, key_id, token, updated_at) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		n := 4 * i
		fmt.Fprintf(&b, "(%s, %s, %s, %s)", s.dialect.ph(n+1), s.dialect.ph(n+2), s.dialect.ph(n+3), s.dialect.ph(n+4))
	}
	b.WriteString(` ON CONFLICT (user_key) DO UPDATE SET ` +
		`key_id = excluded.key_id, token = excluded.token, updated_at = excluded.updated_at`)
	return b.String()
}

// deleteSQL returns the statement that deletes the tokens of rows users,
// given their keys.
func (s *Store) deleteSQL(rows int) string {
	phs := make([]string, rows)
	for i := range phs {
		phs[i] = s.dialect.ph(i + 1)
	}
	return `DELETE FROM ` + s.table.quoted + ` WHERE user_key IN (` + strings.Join(phs, ", ") + `)`
}

// Load returns key's token, or an error matching [up.ErrNoToken] when none
// is stored. It does not wait for key's lock: it reads the token last
// committed. A token that cannot be read back is reported by an
// *UnknownKeyError or a *CorruptTokenError. Without the lock
// (Options.DisableLocking), it first waits for the writes this process
// queued before it (see writeQueue), so that a process reads its own
// writes, and a read takes as long as the process's writes take.
func (s *Store) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	if err := checkUserKey(key); err != nil {
		return nil, err
	}
	if err := s.awaitWrites(ctx, key); err != nil {
		return nil, err
	}
	tok, _, err := s.read(ctx, s.db, key)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, up.ErrNoToken
	}
	return tok, nil
}

// Update runs fn under key's lock with the token stored for key (nil when
// there is none) and stores what fn returns: a token to replace it, or nil
// to delete it. When fn returns an error nothing changes and Update returns
// that error. A token fn returns unchanged is not written again.
//
// The lock is taken, in the database, before the token is read, and held
// until the new one is committed: every process and machine sharing the
// database runs one Update of key at a time, and the one that waited reads
// the token the other stored. Update gives up waiting when ctx is done.
// Once fn has returned a token, it is saved even if ctx is done by then
// (with a timeout of its own), because the refresh that made it has spent
// the previous refresh token.
//
// When fn panics, Update rolls back, releases the lock and the connection,
// and lets the panic go on.
func (s *Store) Update(ctx context.Context, key string, fn up.UpdateFunc) error {
	if err := checkUserKey(key); err != nil {
		return err
	}
	if fn == nil {
		return invalidf("Update needs an UpdateFunc")
	}
	if !s.locking {
		return s.updateUnlocked(ctx, key, fn)
	}
	_, err := s.update(ctx, key, fn, false)
	return err
}

// update is Update under the lock; force writes the token fn returns even
// when it is unchanged (Reencrypt). It reports whether it wrote.
func (s *Store) update(ctx context.Context, key string, fn up.UpdateFunc, force bool) (bool, error) {
	lc, err := s.begin(ctx, "user", key)
	if err != nil {
		return false, err
	}
	defer lc.end()
	stored, plain, err := s.read(ctx, lc.conn, key)
	if err != nil {
		return false, err
	}
	next, err := fn(ctx, stored)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	wrote, err := s.write(ctx, lc.conn, key, next, plain, force)
	if err != nil || !wrote {
		return false, err
	}
	if err := lc.commit(ctx); err != nil {
		return false, fmt.Errorf("sqlstore: committing the token of user %q: %w", key, err)
	}
	return true, nil
}

// updateUnlocked is Update without a lock: read, fn, write, each on its own.
func (s *Store) updateUnlocked(ctx context.Context, key string, fn up.UpdateFunc) error {
	if err := s.awaitWrites(ctx, key); err != nil {
		return err
	}
	stored, plain, err := s.read(ctx, s.db, key)
	if err != nil {
		return err
	}
	next, err := fn(ctx, stored)
	if err != nil {
		return err
	}
	c, err := s.plan(key, next, plain, false)
	if err != nil || c.none() {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	return s.writeUnlocked(ctx, c)
}

// awaitWrites waits, without the lock, for the writes this process queued
// before a read of key, until ctx is done.
func (s *Store) awaitWrites(ctx context.Context, key string) error {
	if s.locking {
		return nil
	}
	if err := s.writes.drain(ctx); err != nil {
		return fmt.Errorf("sqlstore: reading the token of user %q after this process's writes: %w", key, err)
	}
	return nil
}

// Delete removes key's token, under key's lock, without reading it first:
// the way to drop a row that Load reports as corrupt or sealed with an
// unknown key. It is no error if there is none. To delete a token that
// reads fine, Update with a function returning nil works as well.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := checkUserKey(key); err != nil {
		return err
	}
	if !s.locking {
		return s.writeUnlocked(ctx, change{key: key, del: true})
	}
	lc, err := s.begin(ctx, "user", key)
	if err != nil {
		return err
	}
	defer lc.end()
	if _, err := lc.conn.ExecContext(ctx, s.q.del, []byte(key)); err != nil {
		return wrapWrite(key, err)
	}
	if err := lc.commit(ctx); err != nil {
		return fmt.Errorf("sqlstore: committing the token of user %q: %w", key, err)
	}
	return nil
}

// Reencrypt seals again, under the Keyring's primary key, every token
// stored in clear or under an older key, one user at a time under the
// user's lock, and returns how many it rewrote. Run it once after making a
// new key primary; it may run while the application serves, and again
// after an interruption. It stops at the first token it cannot open (an
// *UnknownKeyError or *CorruptTokenError): add the missing key, or Delete
// the row, and run it again.
func (s *Store) Reencrypt(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, ErrNoKeyring
	}
	keep := func(_ context.Context, tok *oauth2.Token) (*oauth2.Token, error) { return tok, nil }
	n, after := 0, ""
	for {
		keys, err := s.pendingKeys(ctx, after)
		if err != nil || len(keys) == 0 {
			return n, err
		}
		for _, key := range keys {
			wrote, err := s.update(ctx, key, keep, true)
			if err != nil {
				return n, err
			}
			if wrote {
				n++
			}
		}
		after = keys[len(keys)-1]
	}
}

// pendingKeys lists the next user keys after after whose tokens are not
// sealed with the primary key.
func (s *Store) pendingKeys(ctx context.Context, after string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q.pending, s.keys.PrimaryID(), []byte(after))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: listing tokens to re-encrypt: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var keys []string
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlstore: listing tokens to re-encrypt: %w", err)
		}
		keys = append(keys, string(k))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: listing tokens to re-encrypt: %w", err)
	}
	return keys, nil
}

// CountByKey returns how many tokens each encryption key seals, by key
// identifier; "" counts the tokens stored in clear. A key that no longer
// appears (after Reencrypt) can be dropped from the Keyring.
func (s *Store) CountByKey(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q.count)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: counting tokens: %w", err)
	}
	defer func() { _ = rows.Close() }()
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: counting tokens: %w", err)
		}
		counts[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: counting tokens: %w", err)
	}
	return counts, nil
}

// querier is what read and write need of a *sql.DB or a *sql.Conn.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// read returns key's token (nil when none is stored) and its plaintext
// record, which write compares with the next token to skip rewriting an
// unchanged one.
func (s *Store) read(ctx context.Context, q querier, key string) (*oauth2.Token, []byte, error) {
	var keyID string
	var stored []byte
	err := q.QueryRowContext(ctx, s.q.load, []byte(key)).Scan(&keyID, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlstore: reading the token of user %q: %w", key, err)
	}
	plain := stored
	if keyID != "" {
		if s.keys == nil {
			return nil, nil, &UnknownKeyError{Key: key, KeyID: keyID}
		}
		if plain, err = s.keys.open(key, keyID, stored); err != nil {
			return nil, nil, err
		}
	}
	tok, err := decodeToken(plain)
	if err != nil {
		return nil, nil, &CorruptTokenError{Key: key, KeyID: keyID, Reason: err.Error()}
	}
	return tok, plain, nil
}

// write stores next as key's token, or deletes it when next is nil,
// unless nothing changed (see plan). It reports whether it changed the
// database.
func (s *Store) write(ctx context.Context, q querier, key string, next *oauth2.Token, prev []byte, force bool) (bool, error) {
	c, err := s.plan(key, next, prev, force)
	if err != nil || c.none() {
		return false, err
	}
	err = s.apply(ctx, q, c)
	return err == nil, wrapWrite(key, err)
}

// change is a write planned: key's token to store, as stored (sealed or
// in clear), or its deletion.
type change struct {
	key   string // "" for no change at all
	del   bool
	keyID string
	token []byte
}

// none reports a change that changes nothing.
func (c change) none() bool { return c.key == "" }

// apply makes the change on q.
func (s *Store) apply(ctx context.Context, q querier, c change) error {
	var err error
	if c.del {
		_, err = q.ExecContext(ctx, s.q.del, []byte(c.key))
	} else {
		_, err = q.ExecContext(ctx, s.q.upsert, []byte(c.key), c.keyID, c.token, time.Now().UnixMilli())
	}
	return err
}

// plan returns the change that stores next as key's token (sealed, when
// the Store has keys), or deletes it when next is nil; none when there is
// nothing to delete, or next encodes to prev, the record read, and force
// is false.
func (s *Store) plan(key string, next *oauth2.Token, prev []byte, force bool) (change, error) {
	if next == nil {
		if prev == nil {
			return change{}, nil
		}
		return change{key: key, del: true}, nil
	}
	if next.AccessToken == "" && next.RefreshToken == "" {
		return change{}, ErrEmptyToken
	}
	plain, err := encodeToken(next)
	if err != nil {
		return change{}, err
	}
	if !force && prev != nil && bytes.Equal(plain, prev) {
		return change{}, nil
	}
	keyID, stored := "", plain
	if s.keys != nil {
		if keyID, stored, err = s.keys.seal(key, plain); err != nil {
			return change{}, err
		}
	}
	return change{key: key, keyID: keyID, token: stored}, nil
}

// wrapWrite wraps a failed write, or returns nil.
func wrapWrite(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlstore: writing the token of user %q: %w", key, err)
}

// record is a token as stored (in clear, or sealed): the fields of an
// oauth2.Token that outlive the response that carried it.
type record struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// encodeToken returns tok's record.
func encodeToken(tok *oauth2.Token) ([]byte, error) {
	b, err := json.Marshal(record{AccessToken: tok.AccessToken, TokenType: tok.TokenType,
		RefreshToken: tok.RefreshToken, Expiry: tok.Expiry})
	if err != nil {
		// Only an Expiry outside years 0-9999 fails, and it holds no secret.
		return nil, fmt.Errorf("sqlstore: encoding a token: %w", err)
	}
	return b, nil
}

// decodeToken reads a record; its error never quotes the record.
func decodeToken(b []byte) (*oauth2.Token, error) {
	var r record
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&r); err != nil || dec.More() {
		return nil, errors.New("the stored bytes are not a token record")
	}
	if r.AccessToken == "" && r.RefreshToken == "" {
		return nil, errors.New("the record holds neither an access token nor a refresh token")
	}
	return &oauth2.Token{AccessToken: r.AccessToken, TokenType: r.TokenType, RefreshToken: r.RefreshToken, Expiry: r.Expiry}, nil
}

// String describes the store without key material.
func (s *Store) String() string {
	enc := "none"
	if s.keys != nil {
		enc = "AES-256-GCM, primary key " + strconv.Quote(s.keys.PrimaryID())
	}
	lock := "on"
	if !s.locking {
		lock = "OFF"
	}
	return fmt.Sprintf("sqlstore.Store{%v, table %q, encryption %s, locking %s}", s.dialect, s.table.name, enc, lock)
}

// GoString is String, so that %#v cannot print key material.
func (s *Store) GoString() string { return s.String() }

// Format prints String for every verb.
func (s *Store) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue logs the store without key material.
func (s *Store) LogValue() slog.Value {
	return slog.GroupValue(slog.String("dialect", s.dialect.String()), slog.String("table", s.table.name),
		slog.Any("keys", s.keys), slog.Bool("locking", s.locking))
}
