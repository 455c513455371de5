package up

import (
	"context"
	"errors"
	"reflect"
	"sync"

	"golang.org/x/oauth2"
)

// TokenStorage keeps one user's token between runs of a program, so that a
// refreshed token is not lost: Exchange stores the token after login, the
// Client after every refresh, and Disconnect deletes it. It serves programs
// of one user, such as a command-line tool; an application serving many
// users keeps their tokens in a Store (Config.Store) instead.
//
// The SDK presents a TokenStorage as a Store of one user, so both take the
// same path: every change happens under the storage's Locker lock, when
// it has one, from reading the stored token to saving its successor.
//
// Implementations must be safe for concurrent use and must store copies:
// the caller may change a token after Save returns. They must not take
// their own Locker lock in Save or Delete: the SDK holds it already.
type TokenStorage interface {
	// Load returns the stored token, or an error matching ErrNoToken when
	// nothing is stored.
	Load(ctx context.Context) (*oauth2.Token, error)
	// Save replaces the stored token.
	Save(ctx context.Context, tok *oauth2.Token) error
	// Delete removes the stored token; it is no error if there is none.
	Delete(ctx context.Context) error
}

// Locker is an optional interface of a TokenStorage shared by several
// processes or Clients. The SDK holds the lock from reading the stored
// token, through the refresh, to saving the new one (and around the save
// after login and the delete after Disconnect), so that only one holder
// refreshes and the others adopt its token.
//
// Lock blocks until the lock is held or ctx is done. While it is held, the
// SDK calls Load, Save and Delete with a context made by WithLockHeld.
type Locker interface {
	Lock(ctx context.Context) (unlock func() error, err error)
}

// heldLockKey is the context key under which the SDK records the storage
// whose Locker lock it holds.
type heldLockKey struct{}

// WithLockHeld returns a context telling s that its Locker lock is held by
// the caller. The SDK passes it to Load, Save and Delete while it holds the
// lock.
//
// Deprecated: storages no longer lock inside Save or Delete, so they need
// not be told; the SDK takes the Locker lock around the whole
// read-refresh-save. The mark is still passed, and honored: FileStorage
// removes every leftover temporary file only under it.
func WithLockHeld(ctx context.Context, s TokenStorage) context.Context {
	return context.WithValue(ctx, heldLockKey{}, s)
}

// LockHeld reports whether ctx comes from WithLockHeld for s, that is from
// a caller that holds the Locker lock of s. s must be of a comparable type,
// such as a pointer; for any other type LockHeld reports false.
//
// Deprecated: storages no longer lock inside Save or Delete (see
// WithLockHeld); LockHeld still reports the mark.
func LockHeld(ctx context.Context, s TokenStorage) bool {
	held, _ := ctx.Value(heldLockKey{}).(TokenStorage)
	if held == nil || s == nil || !reflect.TypeOf(s).Comparable() {
		return false
	}
	return held == s
}

// storageStore presents a one-user TokenStorage as a Store in which every
// key names that one user, so that Config.Storage and Config.Store take
// one path. Update holds the storage's Locker lock, when it has one, and
// marks its context with WithLockHeld.
type storageStore struct{ s TokenStorage }

// Load returns the stored token.
func (a storageStore) Load(ctx context.Context, _ string) (*oauth2.Token, error) {
	return a.s.Load(ctx)
}

// Update runs fn under the Locker lock with the stored token and saves or
// deletes what it returns.
func (a storageStore) Update(ctx context.Context, _ string, fn UpdateFunc) error {
	if l, ok := a.s.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return storageErr("lock", err)
		}
		// An unlock failure leaves nothing for the caller to repair.
		defer func() { _ = unlock() }()
		ctx = WithLockHeld(ctx, a.s)
	}
	stored, err := a.s.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		stored = nil
	case err != nil:
		return storageErr("load", err)
	}
	next, err := fn(ctx, stored)
	switch {
	case err != nil:
		return err
	case next == nil:
		return storageErr("delete", a.s.Delete(ctx))
	case next == stored:
		return nil
	}
	return storageErr("save", a.s.Save(ctx, next))
}

// MemoryStorage is a TokenStorage in memory, for tests and for several
// Clients of one user in one process. It implements Locker, so those
// Clients refresh one at a time and share the result. For many users, see
// MemoryStore.
type MemoryStorage struct {
	mu   sync.Mutex
	tok  *oauth2.Token
	lock chan struct{} // held while a Client refreshes; created on first use
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{} }

// Load returns a copy of the stored token, or ErrNoToken.
func (m *MemoryStorage) Load(context.Context) (*oauth2.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return nil, ErrNoToken
	}
	return copyToken(m.tok), nil
}

// Save stores a copy of tok.
func (m *MemoryStorage) Save(_ context.Context, tok *oauth2.Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = copyToken(tok)
	return nil
}

// Delete forgets the stored token.
func (m *MemoryStorage) Delete(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tok = nil
	return nil
}

// Lock takes the refresh lock, waiting at most until ctx is done.
func (m *MemoryStorage) Lock(ctx context.Context) (func() error, error) {
	m.mu.Lock()
	if m.lock == nil {
		m.lock = make(chan struct{}, 1)
	}
	ch := m.lock
	m.mu.Unlock()
	return lockChan(ctx, ch)
}

// String describes the storage without its token.
func (m *MemoryStorage) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tok == nil {
		return "up.MemoryStorage{empty}"
	}
	return "up.MemoryStorage{holds a token}"
}

// GoString is String, so that %#v cannot print the token.
func (m *MemoryStorage) GoString() string { return m.String() }

// lockChan acquires a lock made of a channel with room for one value,
// giving up when ctx is done; the returned unlock may be called repeatedly.
func lockChan(ctx context.Context, ch chan struct{}) (func() error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() error {
		once.Do(func() { <-ch })
		return nil
	}, nil
}

// copyToken returns a copy of tok that the caller may change, or nil.
func copyToken(tok *oauth2.Token) *oauth2.Token {
	if tok == nil {
		return nil
	}
	c := *tok
	return &c
}

// The storages in this package lock for cross-Client refreshes.
var (
	_ Locker = (*MemoryStorage)(nil)
	_ Locker = (*FileStorage)(nil)
)
