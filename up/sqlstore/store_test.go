package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/sqlstore"
)

// tokenN is the n-th token of a user's chain of refreshes.
func tokenN(user string, n int) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  "access-" + user + "-" + strconv.Itoa(n),
		TokenType:    "Bearer",
		RefreshToken: "refresh-" + user + "-" + strconv.Itoa(n),
		Expiry:       time.Date(2027, 1, 2, 3, 4, 5, 6000, time.UTC).Add(time.Duration(n) * time.Hour),
	}
}

func sameToken(a, b *oauth2.Token) bool {
	return a != nil && b != nil && a.AccessToken == b.AccessToken && a.TokenType == b.TokenType &&
		a.RefreshToken == b.RefreshToken && a.Expiry.Equal(b.Expiry)
}

// bounded is the test's context, ended after a while so that a lock never
// released fails the test instead of hanging it.
func bounded(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// set stores tok for key with Update.
func set(t testing.TB, s *sqlstore.Store, key string, tok *oauth2.Token) {
	t.Helper()
	err := s.Update(bounded(t), key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil })
	if err != nil {
		t.Fatal(err)
	}
}

func mustLoad(t testing.TB, s *sqlstore.Store, key string) *oauth2.Token {
	t.Helper()
	tok, err := s.Load(t.Context(), key)
	if err != nil {
		t.Fatalf("Load(%q): %v", key, err)
	}
	return tok
}

func TestLoadUpdateDelete(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		for _, keys := range []*sqlstore.Keyring{nil, keyring(t, newKey(t, "k1"))} {
			t.Run("keys="+keys.String(), func(t *testing.T) {
				ctx := t.Context()
				db := b.open(t)
				opts := b.options(keys)
				opts.Table += "_" + randomHex(2)
				b := b
				b.table = opts.Table
				s, err := sqlstore.New(ctx, db, opts)
				if err != nil {
					t.Fatal(err)
				}

				if _, err := s.Load(ctx, "alice"); !errors.Is(err, up.ErrNoToken) {
					t.Fatalf("Load of a user with no token: %v, want ErrNoToken", err)
				}
				var saw []*oauth2.Token
				record := func(tok *oauth2.Token) up.UpdateFunc {
					return func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
						saw = append(saw, stored)
						return tok, nil
					}
				}
				first := tokenN("alice", 1)
				if err := s.Update(ctx, "alice", record(first)); err != nil {
					t.Fatal(err)
				}
				if saw[0] != nil {
					t.Fatalf("fn was given %v for a user with no token, want nil", saw[0])
				}
				first.AccessToken = "changed by the caller after Update"
				if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 1)) {
					t.Fatalf("Load = %+v, want the token as stored", got)
				}
				// A key of any bytes is a key.
				odd := "bob@example.com/ü\x00 'quoted\"; DROP TABLE x;--"
				set(t, s, odd, tokenN("bob", 7))
				if got := mustLoad(t, s, odd); !sameToken(got, tokenN("bob", 7)) {
					t.Fatalf("Load(odd key) = %+v", got)
				}

				// fn is given the stored token, a copy it may change.
				if err := s.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
					if !sameToken(stored, tokenN("alice", 1)) {
						t.Errorf("fn was given %+v, want the stored token", stored)
					}
					stored.AccessToken = "scribbled"
					return tokenN("alice", 2), nil
				}); err != nil {
					t.Fatal(err)
				}
				if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 2)) {
					t.Fatalf("after the second Update, Load = %+v", got)
				}

				// Returning the token unchanged writes nothing: the row's bytes
				// (with a fresh nonce on every write when sealed) stay.
				before := b.rows(t, db)["alice"]
				if err := s.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
					return stored, nil
				}); err != nil {
					t.Fatal(err)
				}
				if after := b.rows(t, db)["alice"]; !bytes.Equal(after.token, before.token) {
					t.Fatal("an Update returning the stored token unchanged rewrote the row")
				}

				// nil deletes; deleting nothing is no error.
				if err := s.Update(ctx, "alice", record(nil)); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Load(ctx, "alice"); !errors.Is(err, up.ErrNoToken) {
					t.Fatalf("Load after delete: %v, want ErrNoToken", err)
				}
				if err := s.Update(ctx, "alice", record(nil)); err != nil {
					t.Fatalf("deleting a token that is not there: %v", err)
				}
				if err := s.Delete(ctx, odd); err != nil {
					t.Fatal(err)
				}
				if err := s.Delete(ctx, odd); err != nil {
					t.Fatalf("Delete of nothing: %v", err)
				}
				if rows := b.rows(t, db); len(rows) != 0 {
					t.Fatalf("rows left after deleting both users: %d", len(rows))
				}

				// Bad input.
				if _, err := s.Load(ctx, ""); !errors.Is(err, sqlstore.ErrEmptyKey) || !errors.Is(err, up.ErrEmptyKey) {
					t.Errorf("Load(\"\"): %v", err)
				}
				if err := s.Update(ctx, "", record(tokenN("x", 1))); !errors.Is(err, sqlstore.ErrEmptyKey) {
					t.Errorf("Update(\"\"): %v", err)
				}
				if err := s.Delete(ctx, ""); !errors.Is(err, sqlstore.ErrEmptyKey) {
					t.Errorf("Delete(\"\"): %v", err)
				}
				if err := s.Update(ctx, "carol", nil); !errors.Is(err, sqlstore.ErrInvalidOptions) {
					t.Errorf("Update with a nil fn: %v", err)
				}
				if err := s.Update(ctx, "carol", record(&oauth2.Token{TokenType: "Bearer"})); !errors.Is(err, sqlstore.ErrEmptyToken) {
					t.Errorf("Update storing an empty token: %v", err)
				}
				if _, err := s.Load(ctx, "carol"); !errors.Is(err, up.ErrNoToken) {
					t.Errorf("a refused token was stored: %v", err)
				}
			})
		}
	})
}

func TestFnErrorLeavesTokenUnchanged(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := t.Context()
		db := b.open(t)
		s, err := sqlstore.New(ctx, db, b.options(keyring(t, newKey(t, "k1"))))
		if err != nil {
			t.Fatal(err)
		}
		set(t, s, "alice", tokenN("alice", 1))
		before := b.rows(t, db)
		refused := errors.New("refresh refused")
		for _, ret := range []*oauth2.Token{tokenN("alice", 2), nil} {
			err := s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return ret, refused })
			if err != refused { //nolint:errorlint // Update returns fn's error itself
				t.Fatalf("Update returned %v, want fn's error itself", err)
			}
		}
		if after := b.rows(t, db); len(after) != 1 || !bytes.Equal(after["alice"].token, before["alice"].token) {
			t.Fatal("a failed fn changed the stored token")
		}
		// Nor is a new user created.
		_ = s.Update(ctx, "bob", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tokenN("bob", 1), refused })
		if _, err := s.Load(ctx, "bob"); !errors.Is(err, up.ErrNoToken) {
			t.Fatalf("a failed fn stored a token: %v", err)
		}
	})
}

// hold runs an Update of key on s whose fn signals entered and then waits
// for release before returning next. It returns a channel with Update's
// result.
func hold(t testing.TB, s *sqlstore.Store, key string, next *oauth2.Token, entered chan<- struct{}, release <-chan struct{}) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			close(entered)
			<-release
			return next, nil
		})
	}()
	return done
}

func TestUpdateWaitsForTheLockAndSeesTheNewToken(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := bounded(t)
		// Two handles on one database: two processes.
		a, other := b.store(t, nil), b.store(t, nil)
		set(t, a, "alice", tokenN("alice", 1))

		entered, release := make(chan struct{}), make(chan struct{})
		holder := hold(t, a, "alice", tokenN("alice", 2), entered, release)
		<-entered

		// Load does not wait for the lock, and reads what is committed.
		if got := mustLoad(t, other, "alice"); !sameToken(got, tokenN("alice", 1)) {
			t.Fatalf("Load while locked = %+v, want the committed token", got)
		}
		// A waiter whose context ends gives up, without calling fn.
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		var called atomic.Bool
		err := other.Update(short, "alice", func(_ context.Context, tok *oauth2.Token) (*oauth2.Token, error) {
			called.Store(true)
			return tok, nil
		})
		if !errors.Is(err, context.DeadlineExceeded) || called.Load() {
			t.Fatalf("Update while another holds the lock, with a 300ms context: %v (fn called: %t), want DeadlineExceeded without fn",
				err, called.Load())
		}
		// A canceled waiter gives up too.
		cctx, ccancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, ccancel)
		if err := other.Update(cctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			called.Store(true)
			return nil, nil
		}); !errors.Is(err, context.Canceled) || called.Load() {
			t.Fatalf("Update canceled while waiting: %v (fn called: %t)", err, called.Load())
		}

		// A patient waiter runs after the holder and reads its token.
		waited := make(chan *oauth2.Token, 1)
		waiter := make(chan error, 1)
		go func() {
			waiter <- other.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
				waited <- stored
				return tokenN("alice", 3), nil
			})
		}()
		select {
		case <-waited:
			t.Fatal("a second Update ran while the first held the lock")
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		if err := <-holder; err != nil {
			t.Fatal(err)
		}
		if err := <-waiter; err != nil {
			t.Fatal(err)
		}
		if got := <-waited; !sameToken(got, tokenN("alice", 2)) {
			t.Fatalf("the waiter read %+v, want the token the holder stored", got)
		}
		if got := mustLoad(t, a, "alice"); !sameToken(got, tokenN("alice", 3)) {
			t.Fatalf("final token %+v", got)
		}
	})
}

func TestPanicInFnReleasesTheLock(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := bounded(t)
		db := b.open(t)
		db.SetMaxOpenConns(2) // a connection left in a transaction would show at once
		s, err := sqlstore.New(ctx, db, b.options(nil))
		if err != nil {
			t.Fatal(err)
		}
		other := b.store(t, nil)
		set(t, s, "alice", tokenN("alice", 1))

		for range 3 { // more times than the pool has connections
			func() {
				defer func() {
					if r := recover(); r != "boom" {
						t.Fatalf("recovered %v, want the panic of fn", r)
					}
				}()
				_ = s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
					panic("boom")
				})
				t.Fatal("Update returned after fn panicked")
			}()
		}
		// The lock is free for another process at once, and the token is
		// the one before the panic.
		quick, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := other.Update(quick, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
			if !sameToken(stored, tokenN("alice", 1)) {
				t.Errorf("after the panics the stored token is %+v", stored)
			}
			return tokenN("alice", 2), nil
		}); err != nil {
			t.Fatalf("another process after the panics: %v", err)
		}
		// And the pool's connections are not stuck in a transaction.
		set(t, s, "alice", tokenN("alice", 3))
		if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 3)) {
			t.Fatalf("Load = %+v", got)
		}
	})
}

func TestContextEndsDuringFn(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		s := b.store(t, nil)
		set(t, s, "alice", tokenN("alice", 1))

		// fn refreshed (spending the old refresh token) and then the
		// context ended: the new token is saved all the same.
		ctx, cancel := context.WithCancel(t.Context())
		if err := s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			cancel()
			return tokenN("alice", 2), nil
		}); err != nil {
			t.Fatalf("Update whose context ended after fn: %v", err)
		}
		if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 2)) {
			t.Fatalf("the token fn returned was not saved: %+v", got)
		}

		// fn that gives up with its context changes nothing.
		ctx, cancel = context.WithCancel(t.Context())
		err := s.Update(ctx, "alice", func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update: %v, want fn's context.Canceled", err)
		}
		if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 2)) {
			t.Fatalf("token after a canceled fn: %+v", got)
		}

		// A context already done: nothing runs.
		err = s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			t.Error("fn ran with a context already done")
			return nil, nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Update with a done context: %v", err)
		}
	})
}

// failCommitsFor makes COMMIT fail for any transaction that writes user
// key "doomed", with a constraint checked only at commit.
func failCommitsFor(t testing.TB, b backend) {
	db := b.open(t)
	if b.dialect == sqlstore.SQLite {
		b.exec(t, db, `CREATE TABLE parent (id INTEGER PRIMARY KEY)`)
		b.exec(t, db, `CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`)
		b.exec(t, db, `CREATE TRIGGER doom AFTER INSERT ON "`+b.table+`" WHEN new.user_key = CAST('doomed' AS BLOB)
			BEGIN INSERT INTO child VALUES (42); END`)
		return
	}
	fn := b.table + "_doom"
	b.exec(t, db, `CREATE FUNCTION "`+fn+`"() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.user_key = 'doomed'::bytea THEN RAISE EXCEPTION 'commit refused'; END IF; RETURN NULL; END $$`)
	b.exec(t, db, `CREATE CONSTRAINT TRIGGER doom AFTER INSERT OR UPDATE ON "`+b.table+`"
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "`+fn+`"()`)
	t.Cleanup(func() {
		_, _ = db.ExecContext(context.Background(), `DROP TABLE IF EXISTS "`+b.table+`"`)
		_, _ = db.ExecContext(context.Background(), `DROP FUNCTION IF EXISTS "`+fn+`"()`)
	})
}

func TestFailedCommitLeavesNoConnectionInATransaction(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := bounded(t)
		db := b.open(t)
		db.SetMaxOpenConns(2)
		s, err := sqlstore.New(ctx, db, b.options(nil))
		if err != nil {
			t.Fatal(err)
		}
		failCommitsFor(t, b)
		for range 3 {
			err := s.Update(ctx, "doomed", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
				return tokenN("doomed", 1), nil
			})
			if err == nil || !strings.Contains(err.Error(), "committing") {
				t.Fatalf("Update whose COMMIT fails: %v", err)
			}
		}
		if _, err := s.Load(ctx, "doomed"); !errors.Is(err, up.ErrNoToken) {
			t.Fatalf("a token whose commit failed is stored: %v", err)
		}
		quick, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		other := b.store(t, nil)
		if err := other.Update(quick, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return tokenN("alice", 1), nil
		}); err != nil {
			t.Fatalf("another process after the failed commits: %v", err)
		}
		set(t, s, "alice", tokenN("alice", 2))
		if got := mustLoad(t, other, "alice"); !sameToken(got, tokenN("alice", 2)) {
			t.Fatalf("Load = %+v", got)
		}
	})
}

// The waiter must read the holder's token even when the server's default
// isolation is REPEATABLE READ, whose snapshot would be taken before the
// lock wait.
func TestPostgresWaiterSeesNewTokenUnderRepeatableReadDefault(t *testing.T) {
	b := newBackend(t, sqlstore.PostgreSQL)
	ctx := t.Context()
	holder := b.store(t, nil)
	db := b.open(t)
	db.SetMaxOpenConns(1)
	b.exec(t, db, `SET SESSION default_transaction_isolation = 'repeatable read'`)
	waiter, err := sqlstore.New(ctx, db, b.options(nil))
	if err != nil {
		t.Fatal(err)
	}
	set(t, holder, "alice", tokenN("alice", 1))
	entered, release := make(chan struct{}), make(chan struct{})
	done := hold(t, holder, "alice", tokenN("alice", 2), entered, release)
	<-entered
	time.AfterFunc(200*time.Millisecond, func() { close(release) })
	if err := waiter.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		if !sameToken(stored, tokenN("alice", 2)) {
			t.Errorf("the waiter read %+v, want the holder's new token", stored)
		}
		return stored, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestLockingDisabledStillStores(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		opts := b.options(nil)
		opts.DisableLocking = true
		s, err := sqlstore.New(t.Context(), b.open(t), opts)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s.String(), "locking OFF") {
			t.Errorf("String() = %s, want it to say locking is off", s)
		}
		set(t, s, "alice", tokenN("alice", 1))
		if got := mustLoad(t, s, "alice"); !sameToken(got, tokenN("alice", 1)) {
			t.Fatalf("Load = %+v", got)
		}
		refused := errors.New("no")
		if err := s.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return tokenN("alice", 9), refused
		}); err != refused { //nolint:errorlint // fn's error itself
			t.Fatalf("Update = %v", err)
		}
		set(t, s, "alice", nil)
		if _, err := s.Load(t.Context(), "alice"); !errors.Is(err, up.ErrNoToken) {
			t.Fatalf("Load after delete: %v", err)
		}
	})
}
