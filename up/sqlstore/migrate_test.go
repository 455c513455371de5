package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/up/sqlstore"
)

// versions returns the schema versions recorded for b's table.
func versions(t testing.TB, b backend, db *sql.DB) []int {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM "`+b.table+`_schema" ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func allVersions() []int {
	var out []int
	for v := 1; v <= sqlstore.SchemaVersion; v++ {
		out = append(out, v)
	}
	return out
}

// indexExists reports whether the index of schema version 2 exists.
func indexExists(t testing.TB, b backend, db *sql.DB) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?`
	if b.dialect == sqlstore.PostgreSQL {
		q = `SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1`
	}
	var n int
	if err := db.QueryRowContext(t.Context(), q, b.table+"_key_id_idx").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestMigrationsFromEmptyAndAgain(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		db := b.open(t)
		s := b.store(t, nil)
		if got := versions(t, b, db); !slices.Equal(got, allVersions()) {
			t.Fatalf("versions after the first New: %v, want %v", got, allVersions())
		}
		if !indexExists(t, b, db) {
			t.Fatal("version 2's index is missing")
		}
		set(t, s, "alice", tokenN("alice", 1))
		for range 2 { // New again, as every later start does: nothing changes
			again := b.store(t, nil)
			if got := mustLoad(t, again, "alice"); !sameToken(got, tokenN("alice", 1)) {
				t.Fatalf("token after another New: %+v", got)
			}
		}
		if got := versions(t, b, db); !slices.Equal(got, allVersions()) {
			t.Fatalf("versions after more New calls: %v", got)
		}
	})
}

func TestMigrationFromVersion1KeepsTokens(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		db := b.open(t)
		// The database as version 1 of the package left it, with a token.
		blob := map[sqlstore.Dialect]string{sqlstore.SQLite: "BLOB", sqlstore.PostgreSQL: "BYTEA"}[b.dialect]
		b.exec(t, db, `CREATE TABLE "`+b.table+`" (user_key `+blob+` NOT NULL PRIMARY KEY CHECK (length(user_key) > 0),
			key_id TEXT NOT NULL, token `+blob+` NOT NULL, updated_at BIGINT NOT NULL)`)
		b.exec(t, db, `CREATE TABLE "`+b.table+`_schema" (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		b.exec(t, db, `INSERT INTO "`+b.table+`_schema" VALUES (1, 'the token table', 0)`)
		b.exec(t, db, `INSERT INTO "`+b.table+`" VALUES (?, '', ?, 0)`, []byte("alice"),
			[]byte(`{"access_token":"a1","token_type":"Bearer","refresh_token":"r1"}`))
		if indexExists(t, b, db) {
			t.Fatal("the index exists before the migration")
		}
		s := b.store(t, nil)
		if got := versions(t, b, db); !slices.Equal(got, allVersions()) {
			t.Fatalf("versions: %v", got)
		}
		if !indexExists(t, b, db) {
			t.Fatal("the migration to version 2 did not make the index")
		}
		if got := mustLoad(t, s, "alice"); got.AccessToken != "a1" || got.RefreshToken != "r1" {
			t.Fatalf("the token stored before the migration reads %+v", got)
		}
	})
}

func TestSchemaNewerThanThePackageIsRefused(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		db := b.open(t)
		b.store(t, nil)
		b.exec(t, db, `INSERT INTO "`+b.table+`_schema" VALUES (?, 'from the future', 0)`, sqlstore.SchemaVersion+1)
		_, err := sqlstore.New(t.Context(), db, b.options(nil))
		var sv *sqlstore.SchemaVersionError
		if !errors.As(err, &sv) || !errors.Is(err, sqlstore.ErrSchemaTooNew) || sv.Found != sqlstore.SchemaVersion+1 || sv.Known != sqlstore.SchemaVersion {
			t.Fatalf("New on a newer schema: %v", err)
		}
	})
}

// Processes starting at once on an empty database: every New succeeds and
// each version is applied once (a second application would fail on the
// version table's primary key, or on CREATE TABLE).
func TestConcurrentFirstStartsMigrateOnce(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		const n = 8
		dbs := make([]*sql.DB, n)
		for i := range dbs {
			dbs[i] = b.open(t)
		}
		start := make(chan struct{})
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = sqlstore.New(t.Context(), dbs[i], b.options(nil))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("start %d: %v", i, err)
			}
		}
		if got := versions(t, b, dbs[0]); !slices.Equal(got, allVersions()) {
			t.Fatalf("versions: %v", got)
		}
	})
}

func TestMigrationWaitIsBoundedByContext(t *testing.T) {
	b := newBackend(t, sqlstore.SQLite)
	db := b.open(t)
	b.store(t, nil)
	// Another process holds the file's write lock.
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := sqlstore.New(ctx, b.open(t), b.options(nil)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("New while the database is locked: %v, want DeadlineExceeded", err)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	b := newBackend(t, sqlstore.SQLite)
	db := b.open(t)
	ctx := t.Context()
	if _, err := sqlstore.New(ctx, nil, sqlstore.Options{Dialect: sqlstore.SQLite}); !errors.Is(err, sqlstore.ErrInvalidOptions) {
		t.Errorf("nil db: %v", err)
	}
	if _, err := sqlstore.New(ctx, db, sqlstore.Options{}); !errors.Is(err, sqlstore.ErrInvalidOptions) {
		t.Errorf("no dialect: %v", err)
	}
	for _, name := range []string{`bad"name`, "1st", "a b", "x;DROP TABLE y", "a.b.c", ".t", "t.", strings.Repeat("t", 49), "ünï"} {
		_, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite, Table: name})
		if !errors.Is(err, sqlstore.ErrInvalidOptions) {
			t.Errorf("table %q: %v, want ErrInvalidOptions", name, err)
		}
	}
	// A schema-qualified name, and one whose case must be kept.
	for _, name := range []string{"main.Qualified_Tokens", strings.Repeat("t", 48)} {
		s, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite, Table: name})
		if err != nil {
			t.Fatalf("table %q: %v", name, err)
		}
		set(t, s, "alice", tokenN("alice", 1))
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "Qualified_Tokens"`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows in the schema-qualified table: %d, %v", n, err)
	}
	if s, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite}); err != nil || !strings.Contains(s.String(), `"up_tokens"`) {
		t.Fatalf("default table: %v %v", s, err)
	}
}

func TestPostgresSchemaQualifiedTable(t *testing.T) {
	b := newBackend(t, sqlstore.PostgreSQL)
	db := b.open(t)
	schema := "s_" + randomHex(6)
	b.exec(t, db, `CREATE SCHEMA "`+schema+`"`)
	t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`) })
	s, err := sqlstore.New(t.Context(), db, sqlstore.Options{Dialect: sqlstore.PostgreSQL, Table: schema + ".Tokens"})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "alice", tokenN("alice", 1))
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM "`+schema+`"."Tokens"`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows: %d, %v", n, err)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'Tokens_key_id_idx'`, schema).Scan(&n); err != nil || n != 1 {
		t.Fatalf("index in the schema: %d, %v", n, err)
	}
}
