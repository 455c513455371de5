package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upapi/up-go/internal/realpart"
	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/postgres"
	"github.com/upapi/up-go/up/sqlstore/sqlite"
)

// PostgresDSNEnv names the PostgreSQL database the tests run against; each
// test makes tables of its own in it and drops them afterwards.
const PostgresDSNEnv = "UP_TEST_POSTGRES_DSN"

const postgresHowTo = "set " + PostgresDSNEnv + ` to a database the tests may create tables in, e.g. ` +
	`"host=/var/run/postgresql dbname=up_sqlstore_dev user=root sslmode=disable" (README, Development)`

// backend is a database the tests run against, with a place of its own in
// it (a SQLite file, or a PostgreSQL table name) for one test.
type backend struct {
	dialect sqlstore.Dialect
	target  string // the SQLite file, or the PostgreSQL DSN
	table   string // the token table
}

// forEach runs f against SQLite, always, and PostgreSQL, when
// UP_TEST_POSTGRES_DSN is set (otherwise its subtest skips, saying so).
func forEach(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, d := range []sqlstore.Dialect{sqlstore.SQLite, sqlstore.PostgreSQL} {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			f(t, newBackend(t, d))
		})
	}
}

// newBackend gives a test a fresh, empty place in a database of dialect d.
func newBackend(t testing.TB, d sqlstore.Dialect) backend {
	t.Helper()
	table := "t_" + randomHex(6)
	if d == sqlstore.SQLite {
		return backend{dialect: d, target: filepath.Join(t.TempDir(), "tokens.db"), table: table}
	}
	dsn := os.Getenv(PostgresDSNEnv)
	if dsn == "" {
		realpart.Absent(t, realpart.Postgres, postgresHowTo)
	}
	b := backend{dialect: d, target: dsn, table: table}
	t.Cleanup(func() {
		// Every table whose name starts with the test's random prefix.
		db := b.open(t)
		rows, err := db.QueryContext(context.Background(),
			`SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE starts_with(tablename, $1)`, table)
		if err != nil {
			t.Errorf("listing the test's tables: %v", err)
			return
		}
		var names []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Error(err)
			}
			names = append(names, name)
		}
		_ = rows.Close()
		for _, name := range names {
			if _, err := db.ExecContext(context.Background(), `DROP TABLE IF EXISTS `+name); err != nil {
				t.Errorf("dropping %s: %v", name, err)
			}
		}
	})
	return b
}

// open opens a new handle (a pool of its own) on the backend's database;
// two handles stand for two processes.
func (b backend) open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := b.openErr(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func (b backend) openErr(ctx context.Context) (*sql.DB, error) {
	if b.dialect == sqlstore.SQLite {
		return sqlite.Open(ctx, b.target)
	}
	return postgres.Open(ctx, b.target)
}

// options are the Options for the backend's table, with keys when given.
func (b backend) options(keys *sqlstore.Keyring) sqlstore.Options {
	return sqlstore.Options{Dialect: b.dialect, Table: b.table, Keys: keys}
}

// store opens a handle and a Store on it.
func (b backend) store(t testing.TB, keys *sqlstore.Keyring) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.New(t.Context(), b.open(t), b.options(keys))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rows returns the raw rows of the token table: user key → key_id, token.
func (b backend) rows(t testing.TB, db *sql.DB) map[string]rawRow {
	t.Helper()
	rs, err := db.QueryContext(t.Context(), `SELECT user_key, key_id, token FROM "`+b.table+`"`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rs.Close() }()
	out := map[string]rawRow{}
	for rs.Next() {
		var k string
		var r rawRow
		if err := rs.Scan(&k, &r.keyID, &r.token); err != nil {
			t.Fatal(err)
		}
		out[k] = r
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type rawRow struct {
	keyID string
	token []byte
}

// exec runs a statement, with the backend's placeholders written as ?.
func (b backend) exec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if b.dialect == sqlstore.PostgreSQL {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newKey makes a random key with identifier id.
func newKey(t testing.TB, id string) sqlstore.Key {
	t.Helper()
	secret := make([]byte, sqlstore.KeySize)
	_, _ = rand.Read(secret)
	k, err := sqlstore.NewKey(id, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keyring makes a Keyring of keys, the first primary.
func keyring(t testing.TB, keys ...sqlstore.Key) *sqlstore.Keyring {
	t.Helper()
	r, err := sqlstore.NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
