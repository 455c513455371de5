package up

import (
	"context"
	"reflect"
	"sync"

	"golang.org/x/oauth2"
)

// TokenStorage keeps one user's token between runs of a program, so that a
// refreshed token is not lost. The Client saves after every refresh, Exchange
// saves after login and Disconnect deletes.
//
// Implementations must be safe for concurrent use and must store copies:
// the caller may change a token after Save returns.
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
// processes or Clients. A Client holds the lock from reading the stored
// token, through the refresh, to saving the new one, so that only one of
// them refreshes and the others adopt its token.
//
// Lock blocks until the lock is held or ctx is done. While the lock is
// held, the Client calls Load, Save and Delete with a context made by
// WithLockHeld, for which LockHeld reports true, so an implementation whose
// Save locks by itself knows to skip that and not deadlock. A storage that
// wraps another and forwards Lock to it must pass the mark on: when
// LockHeld(ctx, wrapper), call the inner storage with WithLockHeld(ctx, inner).
type Locker interface {
	Lock(ctx context.Context) (unlock func() error, err error)
}

// heldLockKey is the context key under which a Client records the storage
// whose Locker lock it holds.
type heldLockKey struct{}

// WithLockHeld returns a context telling s that its Locker lock is held by
// the caller. Code that calls Lock itself passes it to Load, Save and Delete
// until it unlocks, so that they do not wait for the lock it holds.
func WithLockHeld(ctx context.Context, s TokenStorage) context.Context {
	return context.WithValue(ctx, heldLockKey{}, s)
}

// LockHeld reports whether ctx comes from WithLockHeld for s, that is from
// a caller (such as a Client) that holds the Locker lock of s. Locker
// implementations use it in Save and Delete to avoid taking their own lock
// twice. s must be of a comparable type, such as a pointer; for any other
// type LockHeld reports false.
func LockHeld(ctx context.Context, s TokenStorage) bool {
	held, _ := ctx.Value(heldLockKey{}).(TokenStorage)
	if held == nil || s == nil || !reflect.TypeOf(s).Comparable() {
		return false
	}
	return held == s
}

// MemoryStorage is a TokenStorage in memory, for tests and for several
// Clients of one user in one process. It implements Locker, so those
// Clients refresh one at a time and share the result.
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
