package up

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/oauth2"
)

// checkKey refuses the empty key.
func checkKey(key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	return nil
}

// MemoryStore is a Store in memory, for tests and for applications that
// run as one process and need not keep tokens across restarts. Update holds
// a lock per key, so requests for one user refresh one at a time while
// other users proceed.
type MemoryStore struct {
	locks keyLocks

	mu   sync.Mutex
	toks map[string]*oauth2.Token
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load returns a copy of key's token, or an error matching ErrNoToken.
func (s *MemoryStore) Load(ctx context.Context, key string) (*oauth2.Token, error) {
	if err := checkKey(key); err != nil {
		return nil, &StorageError{Op: "load", Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.toks[key]
	if tok == nil {
		return nil, ErrNoToken
	}
	return copyToken(tok), nil
}

// Update runs fn under key's lock and stores a copy of what it returns
// (nil deletes); see Store.
func (s *MemoryStore) Update(ctx context.Context, key string, fn UpdateFunc) error {
	if err := checkKey(key); err != nil {
		return &StorageError{Op: "update", Err: err}
	}
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	s.mu.Lock()
	stored := copyToken(s.toks[key])
	s.mu.Unlock()
	next, err := fn(ctx, stored)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if next == nil {
		delete(s.toks, key)
		return nil
	}
	if s.toks == nil {
		s.toks = make(map[string]*oauth2.Token)
	}
	s.toks[key] = copyToken(next)
	return nil
}

// String describes the store without its tokens or keys.
func (s *MemoryStore) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("up.MemoryStore{%d tokens}", len(s.toks))
}

// GoString is String, so that %#v cannot print a token.
func (s *MemoryStore) GoString() string { return s.String() }

// keyLocks is a lock per key for the holders of one store in one process.
// A key's lock exists only while it is held or awaited. The zero value is
// ready to use.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

// keyLock is one key's lock.
type keyLock struct {
	ch   chan struct{} // holds a value while the lock is held
	refs int           // holders and waiters; the lock is dropped at zero
}

// lock takes key's lock, waiting at most until ctx is done. The returned
// unlock may be called more than once.
func (l *keyLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*keyLock)
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.m[key] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if k.refs--; k.refs == 0 {
			delete(l.m, key)
		}
	}
	select {
	case k.ch <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-k.ch
			release()
		})
	}, nil
}

// The stores in this package.
var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*FileStore)(nil)
	_ Store = storageStore{}
)
