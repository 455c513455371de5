package up

import (
	"context"

	"golang.org/x/oauth2"
)

// Store keeps the tokens of any number of users, each under a key the
// application chooses (its own user ID, an account number, an e-mail
// address: any non-empty string). One Config with a Store serves every
// user of an application: the login callback (Config.ExchangeFor), the
// Client made for a request (Config.ClientFor), refresh and disconnect all
// name the user by key.
//
// UP rotates refresh tokens: a refresh token is spent by the refresh that
// uses it. Two holders of one user's token (two requests, two processes,
// two machines) that refresh at once therefore race, and the loser's
// refresh is refused. A Store prevents the race by running Update under a
// lock on the key that every holder of the Store respects, from reading
// the token, through the refresh, to storing the new one; the holder that
// waited finds the new token and adopts it. Without such a lock the SDK
// still recovers: a refresh refused with invalid_grant re-reads the store
// for a while (a second, or four round trips of the refused refresh if
// that is longer, up to ten seconds), and a token stored meanwhile by
// another holder is used instead.
//
// Implementations must be safe for concurrent use, must store copies (the
// caller may change a token after it was stored or loaded), and must never
// take their own lock again inside Update: the lock is taken once, by
// Update, and fn runs under it.
//
// The empty key names no user: the SDK never passes it (ExchangeFor and
// ClientFor refuse it with ErrEmptyKey before any request), and the stores
// of this package refuse it with an error matching ErrEmptyKey. They are
// MemoryStore, for one process, and FileStore, a file per user in a
// directory, locked across processes.
type Store interface {
	// Load returns key's token, or an error matching ErrNoToken when none
	// is stored. It does not wait for key's lock.
	Load(ctx context.Context, key string) (*oauth2.Token, error)

	// Update runs fn under key's lock with the token stored for key (nil
	// when there is none) and then stores what fn returns: a token to
	// replace the stored one (fn may return the token it was given, which
	// need not be written again), or nil to delete it. When fn returns an
	// error the store is left as it was and Update returns that error.
	//
	// fn runs at most once, with a context derived from ctx; the lock is
	// released when Update returns. Update gives up waiting for the lock
	// when ctx is done.
	Update(ctx context.Context, key string, fn UpdateFunc) error
}

// UpdateFunc decides a user's new token from the stored one (nil when none
// is stored): it returns the token to store, nil to delete the stored one,
// or an error to leave the store unchanged.
type UpdateFunc func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error)
