package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up/sqlstore"
	"github.com/upapi/up-go/up/sqlstore/sqlite"
)

// A Store in a SQLite file, with tokens sealed under a key from the
// environment, updated the way the SDK refreshes a token.
func ExampleNew() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	db, err := sqlite.Open(ctx, filepath.Join(dir, "tokens.db"))
	if err != nil {
		panic(err)
	}
	defer func() { _ = db.Close() }()
	// In production: sqlstore.ParseKeyring(os.Getenv("UP_TOKEN_KEYS")), with
	// keys made by `head -c 32 /dev/urandom | base64`.
	keys, err := sqlstore.ParseKeyring("2026-06:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		panic(err)
	}
	store, err := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite, Keys: keys})
	if err != nil {
		panic(err)
	}

	// After login: store the user's first token.
	err = store.Update(ctx, "user-42", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "access-1", RefreshToken: "refresh-1"}, nil
	})
	if err != nil {
		panic(err)
	}
	// A refresh: under the user's lock, from the stored token to the next.
	err = store.Update(ctx, "user-42", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		fmt.Println("refreshing with", stored.RefreshToken)
		return &oauth2.Token{AccessToken: "access-2", RefreshToken: "refresh-2"}, nil
	})
	if err != nil {
		panic(err)
	}
	tok, err := store.Load(ctx, "user-42")
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.AccessToken, store)
	// Output:
	// refreshing with refresh-1
	// access-2 sqlstore.Store{SQLite, table "up_tokens", encryption AES-256-GCM, primary key "2026-06", locking on}
}

// Rotating keys: the new key seals, the old one still opens, Reencrypt
// moves every row to the new key, and the old key can then go.
func ExampleStore_Reencrypt() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tokens.db"))
	if err != nil {
		panic(err)
	}
	defer func() { _ = db.Close() }()

	const oldKey = "2025-12:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	const newKey = "2026-06:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	before, _ := sqlstore.ParseKeyring(oldKey)
	store, _ := sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite, Keys: before})
	for _, user := range []string{"ann", "bob"} {
		_ = store.Update(ctx, user, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "a-" + user, RefreshToken: "r-" + user}, nil
		})
	}

	rotated, err := sqlstore.ParseKeyring(newKey + "," + oldKey) // the primary first
	if err != nil {
		panic(err)
	}
	store, err = sqlstore.New(ctx, db, sqlstore.Options{Dialect: sqlstore.SQLite, Keys: rotated})
	if err != nil {
		panic(err)
	}
	n, err := store.Reencrypt(ctx)
	if err != nil {
		panic(err)
	}
	counts, _ := store.CountByKey(ctx)
	fmt.Println(n, "re-encrypted; rows by key:", counts)
	// Output: 2 re-encrypted; rows by key: map[2026-06:2]
}
