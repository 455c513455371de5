package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// migration is one version of the schema: the statements that take a
// table from the previous version to this one.
type migration struct {
	version     int
	description string
	statements  func(d Dialect, t table) []string
}

// migrations are the schema's versions, in order. A released version is
// never changed: a change to the schema is a new version. The package
// documentation shows the SQL of each.
var migrations = []migration{
	{1, "the token table", func(d Dialect, t table) []string {
		return []string{`CREATE TABLE ` + t.quoted + ` (
	user_key   ` + d.blobType() + ` NOT NULL PRIMARY KEY CHECK (length(user_key) > 0),
	key_id     TEXT   NOT NULL,
	token      ` + d.blobType() + ` NOT NULL,
	updated_at BIGINT NOT NULL
)` + map[Dialect]string{SQLite: " WITHOUT ROWID"}[d]}
	}},
	{2, "an index of the tokens by encryption key, for CountByKey and Reencrypt", func(d Dialect, t table) []string {
		// An index lives in its table's schema: PostgreSQL names it bare,
		// SQLite qualifies the index rather than the table.
		name, on := quoteIdent(t.base+"_key_id_idx"), t.quoted
		if d == SQLite && t.schema != "" {
			name, on = t.qualify(t.base+"_key_id_idx"), quoteIdent(t.base)
		}
		return []string{`CREATE INDEX ` + name + ` ON ` + on + ` (key_id, user_key)`}
	}},
}

// SchemaVersion is the newest schema version this package knows and
// migrates a table to: the version of the last of migrations.
const SchemaVersion = 2

// versionTableSQL creates the table recording the versions applied.
func versionTableSQL(t table) string {
	return `CREATE TABLE IF NOT EXISTS ` + t.version + ` (
	version     INTEGER NOT NULL PRIMARY KEY,
	description TEXT    NOT NULL,
	applied_at  BIGINT  NOT NULL
)`
}

// migrate brings the table up to SchemaVersion, in one transaction under
// the migration lock, so that processes starting at once migrate once and
// a failed migration leaves the previous version whole.
func (s *Store) migrate(ctx context.Context) (err error) {
	lc, err := s.begin(ctx, "migration", s.table.name)
	if err != nil {
		return err
	}
	defer lc.end()
	if _, err := lc.conn.ExecContext(ctx, versionTableSQL(s.table)); err != nil {
		return fmt.Errorf("sqlstore: creating %s: %w", s.table.version, err)
	}
	var current int
	if err := lc.conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM `+s.table.version).Scan(&current); err != nil {
		return fmt.Errorf("sqlstore: reading the schema version: %w", err)
	}
	if current > SchemaVersion {
		return &SchemaVersionError{Table: s.table.name, Found: current, Known: SchemaVersion}
	}
	if current == SchemaVersion {
		return nil // nothing to commit: end rolls the empty transaction back
	}
	record := `INSERT INTO ` + s.table.version + ` (version, description, applied_at) VALUES (` +
		s.dialect.ph(1) + `, ` + s.dialect.ph(2) + `, ` + s.dialect.ph(3) + `)`
	for _, m := range migrations[current:] {
		for _, stmt := range m.statements(s.dialect, s.table) {
			if _, err := lc.conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlstore: migrating %s to version %d: %w", s.table.name, m.version, err)
			}
		}
		if _, err := lc.conn.ExecContext(ctx, record, m.version, m.description, time.Now().Unix()); err != nil {
			return fmt.Errorf("sqlstore: recording schema version %d: %w", m.version, err)
		}
	}
	if err := lc.commit(ctx); err != nil {
		return fmt.Errorf("sqlstore: committing the migration of %s: %w", s.table.name, err)
	}
	return nil
}
