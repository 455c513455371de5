package sqlstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/sqlstore"
)

// encodings are the forms in which a token could hide in a row.
func encodings(s string) []string {
	b := []byte(s)
	return []string{s, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b))}
}

// leaks returns the secrets of toks found in the raw rows, in any encoding,
// read both as the driver returns them and as the database prints them as
// text (bytea's hex form in PostgreSQL, the raw bytes in SQLite).
func leaks(t testing.TB, b backend, db *sql.DB, toks ...*oauth2.Token) []string {
	t.Helper()
	var dump bytes.Buffer
	for k, r := range b.rows(t, db) {
		fmt.Fprintf(&dump, "%s|%s|%s\n", k, r.keyID, r.token)
	}
	castText := `SELECT CAST(token AS TEXT) FROM "` + b.table + `"`
	if b.dialect == sqlstore.PostgreSQL {
		castText = `SELECT token::text FROM "` + b.table + `"`
	}
	rows, err := db.QueryContext(t.Context(), castText)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		dump.WriteString(s + "\n")
	}
	var found []string
	for _, tok := range toks {
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
			for _, enc := range encodings(secret) {
				if bytes.Contains(dump.Bytes(), []byte(enc)) {
					found = append(found, enc)
				}
			}
		}
	}
	return found
}

func TestSealedRowsHoldNoToken(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		db := b.open(t)
		toks := []*oauth2.Token{tokenN("alice", 1), tokenN("bob", 2)}

		// The check finds tokens stored in clear, so it can find them.
		clear := b.store(t, nil)
		set(t, clear, "alice", toks[0])
		set(t, clear, "bob", toks[1])
		if found := leaks(t, b, db, toks...); len(found) == 0 {
			t.Fatal("the leak check finds nothing in rows stored in clear")
		}

		sealed := b.store(t, keyring(t, newKey(t, "k1")))
		if n, err := sealed.Reencrypt(t.Context()); err != nil || n != 2 {
			t.Fatalf("Reencrypt = %d, %v; want 2 rows sealed", n, err)
		}
		set(t, sealed, "carol", tokenN("carol", 3))
		toks = append(toks, tokenN("carol", 3))
		if found := leaks(t, b, db, toks...); len(found) != 0 {
			t.Fatalf("sealed rows hold the tokens in these forms: %q", found)
		}
		for k, r := range b.rows(t, db) {
			if r.keyID != "k1" {
				t.Errorf("row %q has key_id %q, want k1", k, r.keyID)
			}
		}
		for i, key := range []string{"alice", "bob", "carol"} {
			if got := mustLoad(t, sealed, key); !sameToken(got, toks[i]) {
				t.Errorf("Load(%q) = %+v", key, got)
			}
		}
	})
}

func TestKeyRotation(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		k1, k2 := newKey(t, "2025-12"), newKey(t, "2026-06")

		old := b.store(t, keyring(t, k1))
		for i, u := range []string{"u1", "u2", "u3"} {
			set(t, old, u, tokenN(u, i))
		}
		// Deploy k2 as primary with k1 still known: old rows read, new
		// writes use k2.
		rotated := b.store(t, keyring(t, k2, k1))
		if got := mustLoad(t, rotated, "u1"); !sameToken(got, tokenN("u1", 0)) {
			t.Fatalf("a row sealed with the older key reads %+v", got)
		}
		set(t, rotated, "u2", tokenN("u2", 10))
		if r := b.rows(t, db); r["u2"].keyID != "2026-06" || r["u1"].keyID != "2025-12" {
			t.Fatalf("key ids after a write under the new primary: u1 %q, u2 %q", r["u1"].keyID, r["u2"].keyID)
		}
		counts, err := rotated.CountByKey(ctx)
		if err != nil || counts["2025-12"] != 2 || counts["2026-06"] != 1 {
			t.Fatalf("CountByKey = %v, %v", counts, err)
		}
		// A process not yet deployed with k2 cannot read u2, and says why.
		_, err = old.Load(ctx, "u2")
		var uk *sqlstore.UnknownKeyError
		if !errors.As(err, &uk) || uk.KeyID != "2026-06" || uk.Key != "u2" || !errors.Is(err, sqlstore.ErrUnknownKey) {
			t.Fatalf("Load of a row sealed with a key the ring lacks: %v", err)
		}
		// Nor can it update it: Update fails before fn, changing nothing.
		if err := old.Update(ctx, "u2", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			t.Error("fn ran on an unreadable token")
			return nil, nil
		}); !errors.Is(err, sqlstore.ErrUnknownKey) {
			t.Fatalf("Update of an unreadable row: %v", err)
		}

		// Re-encrypt everything under k2, then k1 can go.
		n, err := rotated.Reencrypt(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Reencrypt = %d, %v; want 2", n, err)
		}
		if n, err := rotated.Reencrypt(ctx); err != nil || n != 0 {
			t.Fatalf("Reencrypt again = %d, %v; want 0", n, err)
		}
		if counts, err := rotated.CountByKey(ctx); err != nil || len(counts) != 1 || counts["2026-06"] != 3 {
			t.Fatalf("CountByKey after Reencrypt = %v, %v", counts, err)
		}
		onlyNew := b.store(t, keyring(t, k2))
		for i, u := range []string{"u1", "u2", "u3"} {
			want := tokenN(u, i)
			if u == "u2" {
				want = tokenN("u2", 10)
			}
			if got := mustLoad(t, onlyNew, u); !sameToken(got, want) {
				t.Fatalf("after rotation Load(%q) = %+v", u, got)
			}
		}
		// A store without keys cannot read sealed rows.
		if _, err := b.store(t, nil).Load(ctx, "u1"); !errors.Is(err, sqlstore.ErrUnknownKey) {
			t.Fatalf("Load of a sealed row without keys: %v", err)
		}
		if _, err := b.store(t, nil).Reencrypt(ctx); !errors.Is(err, sqlstore.ErrNoKeyring) {
			t.Fatalf("Reencrypt without keys: %v", err)
		}
	})
}

func TestReencryptStopsAtAnUnreadableRow(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		lost, k1, k2 := newKey(t, "lost"), newKey(t, "k1"), newKey(t, "k2")
		set(t, b.store(t, keyring(t, lost)), "m-lost", tokenN("m", 1))
		s1 := b.store(t, keyring(t, k1))
		set(t, s1, "a-first", tokenN("a", 1))
		set(t, s1, "z-last", tokenN("z", 1))
		s := b.store(t, keyring(t, k2, k1))
		n, err := s.Reencrypt(ctx)
		if !errors.Is(err, sqlstore.ErrUnknownKey) || n != 1 {
			t.Fatalf("Reencrypt with a row under a lost key = %d, %v; want 1 and ErrUnknownKey", n, err)
		}
		if err := s.Delete(ctx, "m-lost"); err != nil {
			t.Fatalf("Delete of the unreadable row: %v", err)
		}
		if n, err := s.Reencrypt(ctx); err != nil || n != 1 {
			t.Fatalf("Reencrypt after the delete = %d, %v; want 1", n, err)
		}
	})
}

func TestTamperedRowsFailToDecrypt(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		k1, k2 := newKey(t, "k1"), newKey(t, "k2")
		s := b.store(t, keyring(t, k1, k2))
		set(t, s, "alice", tokenN("alice", 1))
		set(t, s, "bob", tokenN("bob", 1))
		rows := b.rows(t, db)
		update := `UPDATE "` + b.table + `" SET key_id = ?, token = ? WHERE user_key = ?`

		// Alice's ciphertext copied into Bob's row: bound to Alice, it fails.
		b.exec(t, db, update, "k1", rows["alice"].token, []byte("bob"))
		_, err := s.Load(ctx, "bob")
		var ce *sqlstore.CorruptTokenError
		if !errors.As(err, &ce) || ce.Key != "bob" || !errors.Is(err, sqlstore.ErrCorruptToken) {
			t.Fatalf("Load of a row holding another user's ciphertext: %v", err)
		}
		// The same ciphertext relabelled with the other key's identifier.
		b.exec(t, db, update, "k2", rows["bob"].token, []byte("bob"))
		if _, err := s.Load(ctx, "bob"); !errors.Is(err, sqlstore.ErrCorruptToken) {
			t.Fatalf("Load of a row relabelled with another key id: %v", err)
		}
		// A bit flipped in every byte, of nonce, ciphertext and tag.
		for i := range len(rows["bob"].token) {
			bad := bytes.Clone(rows["bob"].token)
			bad[i] ^= 1 << (i % 8)
			b.exec(t, db, update, "k1", bad, []byte("bob"))
			if _, err := s.Load(ctx, "bob"); !errors.Is(err, sqlstore.ErrCorruptToken) {
				t.Fatalf("Load with bit %d flipped: %v", i, err)
			}
		}
		for _, short := range [][]byte{{}, rows["bob"].token[:20]} {
			b.exec(t, db, update, "k1", short, []byte("bob"))
			if _, err := s.Load(ctx, "bob"); !errors.Is(err, sqlstore.ErrCorruptToken) {
				t.Fatalf("Load of a %d-byte ciphertext: %v", len(short), err)
			}
		}
		// The original bytes read again.
		b.exec(t, db, update, "k1", rows["bob"].token, []byte("bob"))
		if got := mustLoad(t, s, "bob"); !sameToken(got, tokenN("bob", 1)) {
			t.Fatalf("restored row reads %+v", got)
		}
	})
}

func TestCorruptClearRowsAreReportedWithoutTheirContent(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		db := b.open(t)
		s := b.store(t, nil)
		set(t, s, "alice", tokenN("alice", 1))
		update := `UPDATE "` + b.table + `" SET token = ? WHERE user_key = ?`
		for _, content := range []string{`{"access_token":"SECRET-PART`, `SECRET-NOT-JSON`, `{"access_token":"SECRET"} trailing`,
			`{"token_type":"SECRET"}`, `["SECRET"]`} {
			b.exec(t, db, update, []byte(content), []byte("alice"))
			_, err := s.Load(t.Context(), "alice")
			if !errors.Is(err, sqlstore.ErrCorruptToken) {
				t.Fatalf("Load of %q: %v, want ErrCorruptToken", content, err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("the error quotes the stored bytes: %v", err)
			}
		}
	})
}

// Key material never shows in fmt, slog or JSON output of any type.
func TestKeyMaterialIsRedacted(t *testing.T) {
	secret := make([]byte, sqlstore.KeySize)
	_, _ = rand.Read(secret)
	key, err := sqlstore.NewKey("k1", secret)
	if err != nil {
		t.Fatal(err)
	}
	ring := keyring(t, key)
	b := newBackend(t, sqlstore.SQLite)
	opts := b.options(ring)
	store := b.store(t, ring)

	var out bytes.Buffer
	for _, v := range []any{key, &key, ring, *ring, opts, &opts, store, []sqlstore.Key{key}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		text := slog.New(slog.NewTextHandler(&out, nil))
		text.Info("m", "v", v)
		js := slog.New(slog.NewJSONHandler(&out, nil))
		js.Info("m", "v", v)
		if b, err := json.Marshal(v); err == nil {
			out.Write(b)
		}
	}
	dump := out.String()
	forms := append(encodings(string(secret)), strings.Trim(fmt.Sprintf("%d", secret[:8]), "[]"))
	for _, form := range forms {
		if strings.Contains(dump, form) {
			t.Fatalf("key material printed (as %q) in:\n%s", form, dump)
		}
	}
	if !strings.Contains(dump, "k1") {
		t.Fatal("the key identifier is not printed either; the check is meaningless")
	}
}

func TestKeysAreValidated(t *testing.T) {
	good := make([]byte, sqlstore.KeySize)
	for _, c := range []struct {
		id     string
		secret []byte
	}{{"", good}, {"has space", good}, {strings.Repeat("k", 65), good}, {"k", good[:16]}, {"k", nil}} {
		if _, err := sqlstore.NewKey(c.id, c.secret); !errors.Is(err, sqlstore.ErrInvalidOptions) {
			t.Errorf("NewKey(%q, %d bytes): %v", c.id, len(c.secret), err)
		}
	}
	if _, err := sqlstore.NewKeyring(sqlstore.Key{}); !errors.Is(err, sqlstore.ErrInvalidOptions) {
		t.Errorf("NewKeyring(zero Key): %v", err)
	}
	k, _ := sqlstore.NewKey("k", good)
	if _, err := sqlstore.NewKeyring(k, k); !errors.Is(err, sqlstore.ErrInvalidOptions) {
		t.Errorf("duplicate identifiers: %v", err)
	}

	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	ring, err := sqlstore.ParseKeyring(" new:" + secret + ", old:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)) + ",")
	if err != nil || ring.PrimaryID() != "new" || strings.Join(ring.IDs(), ",") != "new,old" {
		t.Fatalf("ParseKeyring = %v, %v", ring, err)
	}
	for _, bad := range []string{"", "nocolon", "k:not base64!", "k:" + base64.StdEncoding.EncodeToString([]byte("short")), "k:" + secret + ",k:" + secret} {
		_, err := sqlstore.ParseKeyring(bad)
		if !errors.Is(err, sqlstore.ErrInvalidOptions) {
			t.Errorf("ParseKeyring(%q): %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("ParseKeyring's error quotes the secret: %v", err)
		}
	}
}
