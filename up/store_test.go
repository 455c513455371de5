package up

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// testStores are the Stores every behavior of the interface is checked
// against: the two keyed stores and the one-user storages as the SDK sees
// them. keyed marks those that keep a token per key.
var testStores = []struct {
	name  string
	keyed bool
	make  func(t *testing.T) Store
}{
	{"MemoryStore", true, func(*testing.T) Store { return NewMemoryStore() }},
	{"FileStore", true, func(t *testing.T) Store { return NewFileStore(filepath.Join(t.TempDir(), "tokens")) }},
	{"MemoryStorage", false, func(*testing.T) Store { return storageStore{NewMemoryStorage()} }},
	{"FileStorage", false, func(t *testing.T) Store {
		return storageStore{NewFileStorage(filepath.Join(t.TempDir(), "token.json"))}
	}},
}

// put stores tok under key, failing the test on error.
func put(t *testing.T, s Store, key string, tok *oauth2.Token) {
	t.Helper()
	err := s.Update(t.Context(), key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok, nil })
	if err != nil {
		t.Fatal(err)
	}
}

// holdKey holds key's lock in s, inside an Update that stores
// storedToken(1) once release is called; release returns when it has.
func holdKey(t *testing.T, s Store, key string) (release func()) {
	t.Helper()
	holding, done := make(chan struct{}), make(chan error, 1)
	let := make(chan struct{})
	go func() {
		done <- s.Update(t.Context(), key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			close(holding)
			<-let
			return storedToken(1), nil
		})
	}()
	<-holding
	return func() {
		close(let)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// counterToken is token number n of a counter kept in a store.
func counterToken(n int) *oauth2.Token {
	return &oauth2.Token{AccessToken: "n-" + strconv.Itoa(n), TokenType: "Bearer", RefreshToken: "r-" + strconv.Itoa(n)}
}

// counterOf reads the number of a counterToken (0 for nil).
func counterOf(t *testing.T, tok *oauth2.Token) int {
	if tok == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(tok.AccessToken, "n-"))
	if err != nil || tok.RefreshToken != "r-"+strconv.Itoa(n) {
		t.Errorf("token %+v is not a counter's", tok)
	}
	return n
}

func TestStoreBasics(t *testing.T) {
	t.Parallel()
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := t.Context()
			s := st.make(t)
			if _, err := s.Load(ctx, "alice"); !errors.Is(err, ErrNoToken) {
				t.Fatalf("Load of nothing: %v, want ErrNoToken", err)
			}
			want := storedToken(1)
			var given *oauth2.Token
			err := s.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
				given = stored
				return want, nil
			})
			if err != nil || given != nil {
				t.Fatalf("first Update: %v, fn given %v; want nil, nil", err, given)
			}
			want.AccessToken = "changed after Update"
			got, err := s.Load(ctx, "alice")
			if err != nil || got.AccessToken != "access-b" || got.RefreshToken != "refresh-b" || !got.Expiry.Equal(storedToken(1).Expiry) {
				t.Fatalf("Load = %+v, %v; want the token stored, as a copy", got, err)
			}
			got.AccessToken = "changed after Load"

			// fn's error leaves the store as it was, whatever fn did to the
			// token it was given, and comes back as it is.
			refused := errors.New("refused by fn")
			err = s.Update(ctx, "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
				if stored == nil || stored.AccessToken != "access-b" {
					t.Errorf("fn given %+v, want the stored token", stored)
				} else {
					stored.AccessToken = "changed inside fn"
				}
				return storedToken(9), refused
			})
			if err != refused { //nolint:errorlint // the very error fn returned
				t.Errorf("Update = %v, want fn's error itself", err)
			}
			if got, _ := s.Load(ctx, "alice"); got == nil || got.AccessToken != "access-b" {
				t.Errorf("after a failed fn the store holds %+v", got)
			}

			// nil deletes.
			err = s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Load(ctx, "alice"); !errors.Is(err, ErrNoToken) {
				t.Errorf("Load after delete: %v, want ErrNoToken", err)
			}
			err = s.Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil })
			if err != nil {
				t.Errorf("deleting nothing: %v", err)
			}
		})
	}
}

// TestStoreUpdateIsAtomic increments a counter from many goroutines at
// once: the lock must lose no increment.
func TestStoreUpdateIsAtomic(t *testing.T) {
	t.Parallel()
	const writers, each = 8, 25
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			s := st.make(t)
			var inside, overlaps atomic.Int32
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					for range each {
						err := s.Update(t.Context(), "counter", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
							if inside.Add(1) > 1 {
								overlaps.Add(1)
							}
							defer inside.Add(-1)
							runtime.Gosched()
							return counterToken(counterOf(t, stored) + 1), nil
						})
						if err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			got, err := s.Load(t.Context(), "counter")
			if err != nil || counterOf(t, got) != writers*each {
				t.Errorf("counter = %v (%v), want %d: increments were lost", got, err, writers*each)
			}
			if n := overlaps.Load(); n != 0 {
				t.Errorf("fn ran %d times while another fn of the same key ran", n)
			}
		})
	}
}

// TestStoreUpdateHonorsContext gives up waiting for a held lock when the
// context ends, without running fn.
func TestStoreUpdateHonorsContext(t *testing.T) {
	t.Parallel()
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			s := st.make(t)
			release := holdKey(t, s, "k")
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
			defer cancel()
			ran := false
			err := s.Update(ctx, "k", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
				ran = true
				return nil, nil
			})
			if !errors.Is(err, context.DeadlineExceeded) || ran {
				t.Errorf("Update while the key is held: %v (fn ran: %v), want DeadlineExceeded", err, ran)
			}
			release()
			if _, err := s.Load(t.Context(), "k"); err != nil {
				t.Errorf("the holder's token is gone: %v", err)
			}
		})
	}
}

// TestStoreKeys stores a token under every awkward key and reads each
// back; keys that differ only in case, or that look like paths, stay apart.
func TestStoreKeys(t *testing.T) {
	t.Parallel()
	keys := []string{
		"alice", "Alice", "ALICE", "../x", "../../etc/passwd", "a/b", `a\b`, ".", "..", " ", "x\x00y",
		"ユーザー", "user@example.com", "\xff\xfe", strings.Repeat("k", 10000), strings.Repeat("é", 300),
	}
	for _, st := range testStores {
		if !st.keyed {
			continue
		}
		t.Run(st.name, func(t *testing.T) {
			s := st.make(t)
			for i, k := range keys {
				put(t, s, k, counterToken(i+1))
			}
			for i, k := range keys {
				got, err := s.Load(t.Context(), k)
				if err != nil || counterOf(t, got) != i+1 {
					t.Errorf("key %.20q: Load = %v, %v; want token %d", k, got, err, i+1)
				}
			}
			ran := false
			err := s.Update(t.Context(), "", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
				ran = true
				return storedToken(1), nil
			})
			if !errors.Is(err, ErrEmptyKey) || ran {
				t.Errorf("Update of the empty key: %v (fn ran: %v), want ErrEmptyKey", err, ran)
			}
			if _, err := s.Load(t.Context(), ""); !errors.Is(err, ErrEmptyKey) {
				t.Errorf("Load of the empty key: %v, want ErrEmptyKey", err)
			}
		})
	}
}

// TestStoreLocksPerKey holds one user's lock and updates another user.
func TestStoreLocksPerKey(t *testing.T) {
	t.Parallel()
	for _, st := range testStores {
		if !st.keyed {
			continue
		}
		t.Run(st.name, func(t *testing.T) {
			s := st.make(t)
			release := holdKey(t, s, "alice")
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			err := s.Update(ctx, "bob", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(2), nil })
			if err != nil {
				t.Errorf("Update of bob while alice is held: %v", err)
			}
			release()
		})
	}
}

// TestFileStoreFiles checks what a FileStore leaves on disk: one 0600
// token file per user, named by the key's hash, in a 0700 directory; a
// delete removes the user's token and lock files and nobody else's.
func TestFileStoreFiles(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "nested", "tokens")
	s := NewFileStore(dir)
	put(t, s, "alice@example.com", storedToken(1))
	put(t, s, "../bob", storedToken(2))
	alice, bob := fileName("alice@example.com"), fileName("../bob")
	assertOnlyFiles(t, dir, alice+".json", alice+".lock", bob+".json", bob+".lock")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 4 {
		t.Fatalf("directory holds %v (%v), want 4 files", entries, err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "alice") || strings.Contains(e.Name(), "bob") || len(e.Name()) != 64+5 {
			t.Errorf("file name %q shows the key or is not the key's hash", e.Name())
		}
	}
	if runtime.GOOS != "windows" {
		for _, e := range entries {
			if fi, _ := os.Stat(filepath.Join(dir, e.Name())); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
			}
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
	}

	// A write replaces the user's leftover of a crashed write, not others'.
	// Under flock a user's writes go through one temporary file of a fixed
	// name; without it each has a name of its own.
	leftover := func(user, n string) string {
		if exclusiveWrites {
			return "." + user + ".json.tmp"
		}
		return "." + user + ".json." + n + ".tmp"
	}
	writeFile(t, filepath.Join(dir, leftover(alice, "123")), "{", 0o600)
	writeFile(t, filepath.Join(dir, leftover(bob, "456")), "{", 0o600)
	put(t, s, "alice@example.com", storedToken(3))
	assertOnlyFiles(t, dir, alice+".json", alice+".lock", bob+".json", bob+".lock", leftover(bob, "456"))
	if got, err := s.Load(ctx, "alice@example.com"); err != nil || got.AccessToken != storedToken(3).AccessToken {
		t.Errorf("alice's token after the write over a leftover: %v, %v", got, err)
	}

	// A delete removes the user's leftover too.
	writeFile(t, filepath.Join(dir, leftover(alice, "789")), "{", 0o600)
	err = s.Update(ctx, "alice@example.com", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	assertOnlyFiles(t, dir, bob+".json", bob+".lock", leftover(bob, "456"))
	if got, err := s.Load(ctx, "../bob"); err != nil || got.AccessToken != storedToken(2).AccessToken {
		t.Errorf("bob's token after alice's delete: %v, %v", got, err)
	}
}

// TestFileStoreCorruptFile reports a damaged token file, to Load and to
// Update, which then does not run fn; the file is left for inspection.
func TestFileStoreCorruptFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := NewFileStore(dir)
	path := filepath.Join(dir, fileName("alice")+".json")
	writeFile(t, path, `{"access_token": "abc", "refresh_tok`, 0o600)
	var se *StorageError
	if _, err := s.Load(t.Context(), "alice"); !errors.As(err, &se) || errors.Is(err, ErrNoToken) {
		t.Errorf("Load of a damaged file: %v, want a *StorageError", err)
	}
	ran := false
	err := s.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		ran = true
		return storedToken(1), nil
	})
	if !errors.As(err, &se) || se.Op != "load" || ran {
		t.Errorf("Update of a damaged file: %v (fn ran: %v), want a load *StorageError", err, ran)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "refresh_tok") {
		t.Error("the damaged file was replaced")
	}
}

// TestFileStoreLockAcrossValues has two FileStore values on one directory,
// as two processes would: they exclude each other per user, and a user's
// lock file removed by a delete cannot let two holders in at once.
func TestFileStoreLockAcrossValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stores := []*FileStore{NewFileStore(dir), NewFileStore(dir), NewFileStore(dir)}
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			for round := range 60 {
				err := s.Update(t.Context(), "alice", func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
					if inside.Add(1) > 1 {
						overlaps.Add(1)
					}
					defer inside.Add(-1)
					time.Sleep(100 * time.Microsecond)
					if (round+i)%3 == 0 {
						return nil, nil // a delete, which removes the lock file
					}
					return counterToken(counterOf(t, stored) + 1), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("two holders of alice's lock at once, %d times", n)
	}
}

// TestFileStoreRefusesSymlinks plants symbolic links where a user's token
// and lock files go: they are neither followed nor created through.
func TestFileStoreRefusesSymlinks(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	t.Run("token file", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		s := NewFileStore(dir)
		target := filepath.Join(outside, "victim.json")
		writeFile(t, target, `{"access_token":"victim-access","refresh_token":"victim-refresh"}`, 0o600)
		symlink(t, target, filepath.Join(dir, fileName("alice")+".json"))
		if tok, err := s.Load(t.Context(), "alice"); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Load through a symbolic link = %v, %v; want a refusal", tok, err)
		}
		err := s.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(1), nil })
		if err == nil {
			t.Error("Update through a symbolic link succeeded")
		}
		if b, _ := os.ReadFile(target); !strings.Contains(string(b), "victim-access") {
			t.Errorf("the link's target was changed: %s", b)
		}
	})
	t.Run("lock file", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		s := NewFileStore(dir)
		target := filepath.Join(outside, "created-through-link")
		symlink(t, target, filepath.Join(dir, fileName("alice")+".lock"))
		var se *StorageError
		err := s.Update(t.Context(), "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(1), nil })
		if !errors.As(err, &se) || se.Op != "lock" || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Update with a linked lock file: %v, want a lock *StorageError", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the lock file's link target was created: %v", err)
		}
		if _, err := s.Load(t.Context(), "alice"); !errors.Is(err, ErrNoToken) {
			t.Errorf("a token was stored without the lock: %v", err)
		}
	})
	t.Run("temporary file", func(t *testing.T) {
		if !exclusiveWrites {
			t.Skip("without flock, temporary files get names of their own")
		}
		dir, outside := t.TempDir(), t.TempDir()
		s := NewFileStore(dir)
		target := filepath.Join(outside, "victim")
		writeFile(t, target, "victim", 0o600)
		symlink(t, target, filepath.Join(dir, fixedTempName(fileName("alice")+".json")))
		put(t, s, "alice", storedToken(1))
		if b, _ := os.ReadFile(target); string(b) != "victim" {
			t.Errorf("the link's target was changed: %q", b)
		}
		if got, err := s.Load(t.Context(), "alice"); err != nil || got.AccessToken != storedToken(1).AccessToken {
			t.Errorf("the token written past a linked temporary file: %v, %v", got, err)
		}
	})
	t.Run("fifo as lock file", func(t *testing.T) {
		dir := t.TempDir()
		mkfifo(t, filepath.Join(dir, fileName("alice")+".lock"))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err := NewFileStore(dir).Update(ctx, "alice", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(1), nil })
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Update with a FIFO for a lock file: %v, want a refusal", err)
		}
	})
}

// TestFileStorageRefusesSymlinks is TestFileStoreRefusesSymlinks for the
// one-user FileStorage: its lock file, once opened with O_CREATE through a
// link planted there, created the link's target.
func TestFileStorageRefusesSymlinks(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	t.Run("lock file", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		path := filepath.Join(dir, "token.json")
		target := filepath.Join(outside, "created-through-link")
		symlink(t, target, path+".lock")
		s := NewFileStorage(path)
		if _, err := s.Lock(t.Context()); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Lock with a linked lock file: %v, want a refusal", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the lock file's link target was created: %v", err)
		}
		// Through the SDK: a login's save fails, and creates nothing.
		_, err := storageStore{s}.Load(t.Context(), "")
		if !errors.Is(err, ErrNoToken) {
			t.Errorf("Load: %v", err)
		}
		err = storageStore{s}.Update(t.Context(), "", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(1), nil })
		var se *StorageError
		if !errors.As(err, &se) || se.Op != "lock" {
			t.Errorf("Update with a linked lock file: %v, want a lock *StorageError", err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the lock file's link target was created: %v", err)
		}
	})
	t.Run("token file", func(t *testing.T) {
		dir, outside := t.TempDir(), t.TempDir()
		path := filepath.Join(dir, "token.json")
		target := filepath.Join(outside, "victim.json")
		writeFile(t, target, `{"access_token":"victim-access","refresh_token":"victim-refresh"}`, 0o600)
		symlink(t, target, path)
		s := NewFileStorage(path)
		if tok, err := s.Load(t.Context()); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Load through a symbolic link = %v, %v; want a refusal", tok, err)
		}
		// Save replaces the link itself, never writing through it.
		if err := s.Save(t.Context(), storedToken(1)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(target); !strings.Contains(string(b), "victim-access") {
			t.Errorf("Save wrote through the link: %s", b)
		}
		if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("after Save the token file is %v (%v), want a regular file", fi.Mode(), err)
		}
	})
	t.Run("fifo as token file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "token.json")
		mkfifo(t, path)
		done := make(chan error, 1)
		go func() { _, err := NewFileStorage(path).Load(t.Context()); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("Load of a FIFO: %v, want a refusal", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Load of a FIFO waits for a writer")
		}
	})
}

// symlink makes a symbolic link at link pointing to target.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryStoreString(t *testing.T) {
	t.Parallel()
	s := NewMemoryStore()
	put(t, s, "alice@example.com", storedToken(1))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "access-b") || strings.Contains(out, "refresh-b") || strings.Contains(out, "alice") {
			t.Errorf("Sprintf(%q) = %s: shows a token or a key", verb, out)
		}
	}
}

func TestFileStoreZeroValue(t *testing.T) {
	t.Parallel()
	var s FileStore
	if _, err := s.Load(t.Context(), "k"); err == nil || errors.Is(err, ErrNoToken) {
		t.Errorf("Load on a zero FileStore: %v, want an error", err)
	}
	err := s.Update(t.Context(), "k", func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return storedToken(1), nil })
	if err == nil {
		t.Error("Update on a zero FileStore succeeded")
	}
}

// noLockStore is a Store whose Update takes no lock: it reads the stored
// token, runs fn, waits writeDelay (a database's latency, say) and writes
// what fn returned, while other holders do the same. It stands for a store
// whose author forgot the lock, or one shared by holders that do not see
// each other's locks.
type noLockStore struct {
	inner      *MemoryStore
	writeDelay time.Duration
}

// newNoLockStore returns an empty noLockStore.
func newNoLockStore(writeDelay time.Duration) *noLockStore {
	return &noLockStore{inner: NewMemoryStore(), writeDelay: writeDelay}
}

func (s *noLockStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	return s.inner.Load(ctx, key)
}

func (s *noLockStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	stored, err := s.inner.Load(ctx, key)
	if err != nil && !errors.Is(err, ErrNoToken) {
		return err
	}
	next, err := fn(ctx, stored)
	if err != nil {
		return err
	}
	time.Sleep(s.writeDelay)
	return s.inner.Update(ctx, key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return next, nil })
}
