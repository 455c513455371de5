package up

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// storedToken is a token with every field FileStorage keeps.
func storedToken(n int) *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  "access-" + string(rune('a'+n%26)),
		TokenType:    "Bearer",
		RefreshToken: "refresh-" + string(rune('a'+n%26)),
		Expiry:       time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func TestMemoryStorage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m := NewMemoryStorage()
	if _, err := m.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Load on empty storage: %v, want ErrNoToken", err)
	}
	if err := m.Delete(ctx); err != nil {
		t.Fatalf("Delete on empty storage: %v", err)
	}
	tok := storedToken(1)
	mustSave(t, m, tok)
	tok.AccessToken = "changed after Save"
	got, _ := m.Load(ctx)
	if got.AccessToken != "access-b" {
		t.Errorf("Load = %s; Save did not copy", got.AccessToken)
	}
	got.AccessToken = "changed after Load"
	if again, _ := m.Load(ctx); again.AccessToken != "access-b" {
		t.Errorf("Load returned the stored token itself")
	}
	if err := m.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Errorf("Load after Delete: %v", err)
	}
}

func TestMemoryStorageLock(t *testing.T) {
	t.Parallel()
	m := NewMemoryStorage()
	unlock, err := m.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := m.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lock: %v, want DeadlineExceeded", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil { // a second unlock must not release someone else's lock
		t.Fatal(err)
	}
	u2, err := m.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = u2() }()
	ctx2, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if _, err := m.Lock(ctx2); err == nil {
		t.Error("lock taken twice after a repeated unlock")
	}
}

func TestFileStorageRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "nested", "dir")
	path := filepath.Join(dir, "token.json")
	s := NewFileStorage(path)
	if _, err := s.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Load of a missing file: %v, want ErrNoToken", err)
	}
	if err := s.Delete(ctx); err != nil {
		t.Fatalf("Delete of a missing file: %v", err)
	}
	want := storedToken(0)
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken ||
		got.TokenType != want.TokenType || !got.Expiry.Equal(want.Expiry) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}

	var fields map[string]any
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "token_type", "refresh_token", "expiry"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("file lacks %q: %s", k, b)
		}
	}
	if len(fields) != 4 {
		t.Errorf("file has fields %v, want exactly 4", fields)
	}

	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
		}
	}
	assertOnlyFiles(t, dir, "token.json", "token.json.lock")

	if err := s.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, ErrNoToken) {
		t.Errorf("Load after Delete: %v", err)
	}
}

func TestFileStorageSaveReplacesLooseMode(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "token.json")
	writeFile(t, path, "{}", 0o644)
	if err := NewFileStorage(path).Save(t.Context(), storedToken(1)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after Save = %v, want 0600", fi.Mode().Perm())
	}
}

func TestFileStorageFailedSaveLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	// A non-empty directory where the file should go makes the rename fail.
	if err := os.MkdirAll(filepath.Join(path, "occupied"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := NewFileStorage(path).Save(t.Context(), storedToken(2))
	var se *StorageError
	if !errors.As(err, &se) || se.Op != "save" {
		t.Fatalf("Save = %v, want *StorageError", err)
	}
	assertOnlyFiles(t, dir, "token.json", "token.json.lock")
}

func TestFileStorageCorruptFile(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"garbage":   "\x00\x01not json",
		"truncated": `{"access_token": "abc", "refresh_tok`,
		"empty":     "",
		"no tokens": `{"token_type": "Bearer"}`,
		"array":     `["access_token"]`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "token.json")
			writeFile(t, path, content, 0o600)
			tok, err := NewFileStorage(path).Load(t.Context())
			var se *StorageError
			if !errors.As(err, &se) || se.Op != "load" || tok != nil {
				t.Fatalf("Load = %v, %v; want *StorageError", tok, err)
			}
			if errors.Is(err, ErrNoToken) {
				t.Error("a corrupt file reads as no token, hiding the damage")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestFileStorageLockExcludesAndHonorsContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token.json")
	a, b := NewFileStorage(path), NewFileStorage(path) // two values, one file
	unlock, err := a.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*FileStorage{"same value": a, "other value": b} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		if _, err := s.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: Lock while held = %v, want DeadlineExceeded", name, err)
		}
		cancel()
		// Save and Delete never take the lock: the SDK holds it around
		// them, so they neither wait for it nor deadlock on it.
		done := make(chan error, 1)
		go func() { done <- errors.Join(s.Save(t.Context(), storedToken(3)), s.Delete(t.Context())) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: Save and Delete while locked elsewhere: %v", name, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Save waited for the lock", name)
		}
	}
	// The holder saves and deletes with the deprecated mark, still honored.
	held := WithLockHeld(t.Context(), a)
	if err := a.Save(held, storedToken(4)); err != nil {
		t.Fatalf("Save under the held lock: %v", err)
	}
	if err := a.Delete(held); err != nil {
		t.Fatalf("Delete under the held lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(t.Context(), storedToken(5)); err != nil {
		t.Fatalf("Save after unlock: %v", err)
	}
}

func TestFileStorageWithClientRefresh(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	s := NewFileStorage(filepath.Join(t.TempDir(), "token.json"))
	cfg := serverConfig(t, srv)
	cfg.Storage = s
	tok, err := cfg.Exchange(t.Context(), authorize(t, cfg, "s"), "s")
	if err != nil {
		t.Fatal(err)
	}
	srv.ExpireAccessTokens()
	cl, err := cfg.ClientFromStorage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := getUser(t.Context(), cl); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("refresh with a FileStorage deadlocked")
	}
	cur, _ := cl.Token()
	stored, err := s.Load(t.Context())
	if err != nil || stored.AccessToken != cur.AccessToken || stored.AccessToken == tok.AccessToken {
		t.Errorf("stored %v (%v), want the refreshed token %s", stored, err, cur.AccessToken)
	}
	if err := cl.Disconnect(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(t.Context()); !errors.Is(err, ErrNoToken) {
		t.Errorf("Load after Disconnect: %v", err)
	}
}

func TestLockHeld(t *testing.T) {
	t.Parallel()
	a, b := NewFileStorage("a"), NewFileStorage("a")
	ctx := WithLockHeld(t.Context(), a)
	if !LockHeld(ctx, a) || LockHeld(ctx, b) || LockHeld(t.Context(), a) {
		t.Error("LockHeld confuses storages")
	}
	var unhashable sliceStorage
	if LockHeld(WithLockHeld(t.Context(), unhashable), unhashable) {
		t.Error("LockHeld reports true for a storage it cannot compare")
	}
}

// sliceStorage is a TokenStorage of a type that cannot be compared.
type sliceStorage []int

func (sliceStorage) Load(context.Context) (*oauth2.Token, error) { return nil, ErrNoToken }
func (sliceStorage) Save(context.Context, *oauth2.Token) error   { return nil }
func (sliceStorage) Delete(context.Context) error                { return nil }

// writeFile creates a file with content and mode, failing the test on error.
func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// assertOnlyFiles fails unless dir holds nothing but names (each optional).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	for _, e := range entries {
		if !allowed[e.Name()] {
			t.Errorf("unexpected file %s left in %s", e.Name(), dir)
		}
	}
}

func TestFileStorageZeroValue(t *testing.T) {
	t.Parallel()
	var s FileStorage
	if _, err := s.Load(t.Context()); err == nil || errors.Is(err, ErrNoToken) {
		t.Errorf("Load on a zero FileStorage: %v, want an error", err)
	}
	if err := s.Save(t.Context(), storedToken(1)); err == nil {
		t.Error("Save on a zero FileStorage succeeded")
	}
	if _, err := s.Lock(t.Context()); err == nil {
		t.Error("Lock on a zero FileStorage succeeded")
	}
}
