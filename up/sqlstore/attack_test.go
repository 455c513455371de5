package sqlstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/sqlstore"
)

// hostileKeys are user keys an application could pass (from a user's
// XID, an e-mail address, a form): paths, SQL, NUL and other control
// bytes, bytes that are not UTF-8, keys that differ only in case or in
// trailing spaces, and a long one.
var hostileKeys = []string{
	"alice", "Alice", "alice ", " alice", "../x", "../../etc/passwd", "a/b", `a\b`, ".", "..",
	"x\x00y", "\x00", "\xff\xfe", "ユーザー", "'; DROP TABLE up_tokens; --", `"quoted"`, "%", "_", "a%b_c",
	"line\nbreak", "tab\tkey", strings.Repeat("k", sqlstore.MaxKeyBytes), strings.Repeat("é", 500), randomKey(sqlstore.MaxKeyBytes),
}

// TestHostileKeysStayApart stores a token under every hostile key, in
// clear and sealed, on every backend, reads each back, deletes them one by
// one and checks that no other key's token changed.
func TestHostileKeysStayApart(t *testing.T) {
	secret := make([]byte, sqlstore.KeySize)
	_, _ = rand.Read(secret)
	key, err := sqlstore.NewKey("attack", secret)
	if err != nil {
		t.Fatal(err)
	}
	forEach(t, func(t *testing.T, b backend) {
		for _, sealed := range []bool{false, true} {
			t.Run("sealed="+strconv.FormatBool(sealed), func(t *testing.T) {
				var ring *sqlstore.Keyring
				if sealed {
					ring = keyring(t, key)
				}
				s := b.store(t, ring)
				for i, k := range hostileKeys {
					set(t, s, k, tokenN("u", i))
				}
				for i, k := range hostileKeys {
					if got := mustLoad(t, s, k); !sameToken(got, tokenN("u", i)) {
						t.Errorf("key %.20q: Load = %v, want token %d", k, got, i)
					}
				}
				if counts, err := s.CountByKey(t.Context()); err != nil || sumCounts(counts) != len(hostileKeys) {
					t.Errorf("CountByKey = %v, %v; want %d rows", counts, err, len(hostileKeys))
				}
				for i, k := range hostileKeys {
					if err := s.Delete(t.Context(), k); err != nil {
						t.Fatalf("Delete %.20q: %v", k, err)
					}
					if _, err := s.Load(t.Context(), k); !errors.Is(err, up.ErrNoToken) {
						t.Errorf("key %.20q after Delete: %v", k, err)
					}
					for j, other := range hostileKeys[i+1:] {
						if got := mustLoad(t, s, other); !sameToken(got, tokenN("u", i+1+j)) {
							t.Fatalf("deleting %.20q changed %.20q: %v", k, other, got)
						}
					}
				}
				// The empty key is refused, and fn never runs.
				ran := false
				err := s.Update(t.Context(), "", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
					ran = true
					return tokenN("u", 0), nil
				})
				if !errors.Is(err, up.ErrEmptyKey) || ran {
					t.Errorf("Update of the empty key: %v (fn ran: %v)", err, ran)
				}
			})
		}
	})
}

// TestLongKeysRefusedOnEveryBackend gives every backend keys longer than
// MaxKeyBytes, which PostgreSQL could not index: each is refused with
// ErrKeyTooLong before any statement, the same on every backend, with an
// error that does not quote it, and nothing is stored.
func TestLongKeysRefusedOnEveryBackend(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		for _, unlocked := range []bool{false, true} {
			s, err := sqlstore.New(t.Context(), b.open(t), sqlstore.Options{Dialect: b.dialect, Table: b.table, DisableLocking: unlocked})
			if err != nil {
				t.Fatal(err)
			}
			refuseLongKeys(t, s)
		}
	})
}

// refuseLongKeys checks that s refuses keys longer than MaxKeyBytes.
func refuseLongKeys(t *testing.T, s *sqlstore.Store) {
	t.Helper()
	for _, k := range []string{randomKey(sqlstore.MaxKeyBytes + 1), randomKey(9000), strings.Repeat("k", 1<<20)} {
		ran := false
		err := s.Update(t.Context(), k, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			ran = true
			return tokenN("long", 1), nil
		})
		if !errors.Is(err, sqlstore.ErrKeyTooLong) || ran {
			t.Errorf("Update of a %d-byte key: %.200v (fn ran: %v), want ErrKeyTooLong", len(k), err, ran)
		}
		if err != nil && len(err.Error()) > 200 {
			t.Errorf("the error quotes the key: %d bytes", len(err.Error()))
		}
		if _, err := s.Load(t.Context(), k); !errors.Is(err, sqlstore.ErrKeyTooLong) {
			t.Errorf("Load of a %d-byte key: %.200v, want ErrKeyTooLong", len(k), err)
		}
		if err := s.Delete(t.Context(), k); !errors.Is(err, sqlstore.ErrKeyTooLong) {
			t.Errorf("Delete of a %d-byte key: %.200v, want ErrKeyTooLong", len(k), err)
		}
	}
	if counts, err := s.CountByKey(t.Context()); err != nil || sumCounts(counts) != 0 {
		t.Errorf("CountByKey = %v, %v; want no row", counts, err)
	}
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// randomKey returns n random bytes as a key, which no compression shortens.
func randomKey(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return string(b)
}
