package sqlstore

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
)

// DefaultTable is the token table's name when Options.Table is empty.
const DefaultTable = "up_tokens"

// maxTableLen bounds the table part of a name so that the names derived
// from it (the schema-version table, the index) fit PostgreSQL's 63-byte
// identifiers.
const maxTableLen = 48

// table is a validated table name and the quoted names derived from it.
type table struct {
	name    string // as configured: "up_tokens" or "myschema.up_tokens"
	schema  string // the schema part, "" when none
	base    string // the table part
	quoted  string // "schema"."base" or "base"
	version string // the quoted schema-version table: "schema"."base_schema"
}

// parseTable validates a table name: an identifier ([A-Za-z_][A-Za-z0-9_]*,
// at most 48 characters), optionally qualified by a schema ("app.up_tokens";
// in SQLite, the name of an attached database). Names are quoted in SQL, so
// their case is kept exactly.
func parseTable(name string) (table, error) {
	if name == "" {
		name = DefaultTable
	}
	t := table{name: name, base: name}
	if schema, base, ok := strings.Cut(name, "."); ok {
		t.schema, t.base = schema, base
		if err := validIdent(schema, 63); err != nil {
			return table{}, invalidf("table %q: schema %v", name, err)
		}
	}
	if err := validIdent(t.base, maxTableLen); err != nil {
		return table{}, invalidf("table %q: %v", name, err)
	}
	t.quoted = t.qualify(t.base)
	t.version = t.qualify(t.base + "_schema")
	return t, nil
}

// qualify quotes name in the table's schema.
func (t table) qualify(name string) string {
	if t.schema == "" {
		return quoteIdent(name)
	}
	return quoteIdent(t.schema) + "." + quoteIdent(name)
}

// validIdent accepts a plain SQL identifier of at most max characters.
func validIdent(s string, maxLen int) error {
	if s == "" || len(s) > maxLen {
		return fmt.Errorf("must have 1 to %d characters", maxLen)
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return errors.New("must be letters, digits and underscores, not starting with a digit")
		}
	}
	return nil
}

// quoteIdent quotes an identifier that validIdent accepted (so it holds no
// quote to escape).
func quoteIdent(s string) string { return `"` + s + `"` }

// lockID maps a lock name within the table to a 64-bit advisory lock
// identifier. Two names that collide only share a lock: a wait, never a
// lost update.
func (t table) lockID(kind, name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("up-go/sqlstore\x00"))
	_, _ = h.Write([]byte(t.name))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(kind))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(name))
	return int64(h.Sum64()) //nolint:gosec // a hash, reinterpreted as PostgreSQL's bigint lock key
}
