package up

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

const (
	// refreshTimeout bounds a shared refresh, which outlives the request
	// that started it when that request gives up.
	refreshTimeout = time.Minute
	// expirySkew treats a token about to expire as expired already.
	expirySkew = 10 * time.Second
	// adoptWindow is how long, at least, a refresh refused with
	// invalid_grant keeps re-reading the store for the token of the holder
	// that won the race: that holder saves a few milliseconds after the
	// loser is refused. The winner's answer comes over the same network,
	// and its save goes to the same store, as the loser's refusal and
	// re-reads: so the wait grows to adoptRoundTrips times the refused
	// refresh's round trip, and to adoptReads times the slowest re-read,
	// whichever is longest, up to maxAdoptWindow. A refresh token that is
	// really dead costs this much before the caller learns that the user
	// must log in again: a second, unless the network or the store is
	// slow.
	adoptWindow     = time.Second
	adoptRoundTrips = 4
	adoptReads      = 10
	maxAdoptWindow  = saveRetryWindow
	// saveRetryWindow bounds how long a refresh tries again to store the
	// token it obtained when the store fails to save it: the refresh has
	// spent the stored refresh token, so until the successor is stored
	// every other holder of the user (another process, the next request's
	// Client) holds a dead token. The winner of a race without a lock may
	// save this late, so maxAdoptWindow waits as long. firstSaveRetry and
	// maxSaveRetryGap space the attempts.
	saveRetryWindow = 30 * time.Second
	firstSaveRetry  = 50 * time.Millisecond
	maxSaveRetryGap = 2 * time.Second
	// firstReread and maxRereadGap space the re-reads: 5ms, 10ms, 20ms
	// ... then every 250ms. Each waiting holder re-reads, so a storm of
	// refusals re-reads often; the gap is wider when a re-read itself
	// takes long (twice its time), so that on a slow machine the re-reads
	// leave the winner the time to save.
	firstReread  = 5 * time.Millisecond
	maxRereadGap = 250 * time.Millisecond
)

var (
	// errNoRefreshToken reports a token that cannot be refreshed; the
	// transport then hands the 401 to the caller as it is.
	errNoRefreshToken = fmt.Errorf("%w: the token has no refresh token", ErrLoginRequired)
	// errSourceUnchanged reports a TokenSource that, after a 401, returned
	// the same access token again.
	errSourceUnchanged = errors.New("up: the token source returned the rejected token again")
	// errDeletedMeanwhile reports a refresh that found the user's token
	// deleted from the store (a Disconnect) since the Client read it.
	errDeletedMeanwhile = fmt.Errorf("%w: the stored token was deleted (the user disconnected)", ErrNoToken)

	// errKeep and errSuperseded end an update without changing the store:
	// errKeep adopts a token another holder stored, errSuperseded gives way
	// to SetToken or Disconnect on the same Client.
	errKeep       = errors.New("up: keep the stored token")
	errSuperseded = errors.New("up: credentials replaced during the refresh")
)

// refusedError ends an update whose refresh UP refused with invalid_grant,
// leaving the store as it was, so that the wait for another holder's token
// happens after the user's lock is released.
type refusedError struct {
	err       error         // the token endpoint's refusal
	spent     *oauth2.Token // the token whose refresh token was refused
	roundTrip time.Duration // how long the refused refresh took
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// creds owns one user's credentials: the token in use, the user's place in
// a Store, and the refresh that every request meeting the same stale token
// shares. It is to a Client what oauth2.TokenSource is to oauth2.Transport:
// the transport asks it for a token and, after a 401, for a newer one, and
// knows nothing else.
//
// Every change to the stored token goes through Store.Update, under the
// user's lock: a refresh reads the stored token, adopts it if another holder
// already refreshed, or else refreshes and stores the result, all under that
// one lock. Without a lock the refusal that a race produces is repaired:
// see refreshIn.
type creds struct {
	cfg   *Config // the Client's copy: the token endpoint and OnSaveError
	store Store   // where the token is kept; nil keeps it only here
	key   string  // the user's key in store

	flight   singleflight.Group // one refresh per refused access token
	retrying atomic.Bool        // a failed save is being retried
	// saveRetry bounds saveAgain; zero means saveRetryWindow.
	saveRetry time.Duration

	mu      sync.Mutex
	src     oauth2.TokenSource // when set, supplies every token instead of tok
	tok     *oauth2.Token      // replaced, never changed; nil when there is none
	inStore *oauth2.Token      // what store holds, as far as is known; nil when unknown or nothing
	saveErr error              // why tok is not in store; nil when it is
	epoch   uint64             // counts replacements of tok, so a refresh can tell it was overtaken
}

// refreshed is what a refresh gives every caller waiting for it.
type refreshed struct {
	tok     *oauth2.Token // shared: copy it before handing it out
	saveErr error         // a *StorageError when tok could not be stored
}

// bind makes c the credentials of the user key in store, holding tok
// (copied; nil or empty means none); inStore says tok was read from store.
// It is called once, before c is in use.
func (c *creds) bind(store Store, key string, tok *oauth2.Token, inStore bool) {
	c.store, c.key, c.tok = store, key, usableToken(tok)
	if inStore {
		c.inStore = c.tok
	}
}

// usableToken returns a copy of tok, or nil when tok has neither an access
// nor a refresh token.
func usableToken(tok *oauth2.Token) *oauth2.Token {
	if tok == nil || (tok.AccessToken == "" && tok.RefreshToken == "") {
		return nil
	}
	return copyToken(tok)
}

// sourceToken asks a caller's TokenSource for a token, as a copy.
func sourceToken(src oauth2.TokenSource) (*oauth2.Token, error) {
	tok, err := src.Token()
	if err != nil {
		return nil, fmt.Errorf("up: token source: %w", err)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, ErrNoToken
	}
	if err := checkTokenType(tok.TokenType); err != nil {
		return nil, err
	}
	return copyToken(tok), nil
}

// current returns a copy of the token in use, or ErrNoToken.
func (c *creds) current() (*oauth2.Token, error) {
	src, tok := c.held()
	if src != nil {
		return sourceToken(src)
	}
	if tok == nil {
		return nil, ErrNoToken
	}
	return copyToken(tok), nil
}

// held returns the token source and the token in use (nil when none).
func (c *creds) held() (oauth2.TokenSource, *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.src, c.tok
}

// replace makes tok (copied; nil removes the token) the token in use
// without storing it, and drops any token source.
func (c *creds) replace(tok *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tok, c.src, c.saveErr = usableToken(tok), nil, nil
	c.epoch++
}

// pendingSaveError reports why the token in use is not stored yet.
func (c *creds) pendingSaveError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saveErr
}

// describe names what the credentials hold, without any secret.
func (c *creds) describe() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.src != nil:
		return "token source"
	case c.tok != nil:
		return "token"
	}
	return "no token"
}

// token returns the token to send a request with. A token with a refresh
// token is refreshed first when it has no access token or its expiry is
// known to have passed, by the same shared refresh a 401 starts. The token
// may be the one in use, which the caller must not change.
func (c *creds) token(ctx context.Context) (*oauth2.Token, error) {
	src, tok := c.held()
	switch {
	case src != nil:
		return sourceToken(src)
	case tok == nil:
		return nil, ErrNoToken
	case tok.RefreshToken != "" && (tok.AccessToken == "" || expired(tok)):
		r, err := c.refresh(ctx, tok.AccessToken, true)
		if err != nil {
			return nil, err
		}
		tok = r.tok
	}
	return bearerOnly(tok)
}

// bearerOnly returns tok, or a *TokenTypeError when tok is not a bearer
// token, the only kind this package knows how to send.
func bearerOnly(tok *oauth2.Token) (*oauth2.Token, error) {
	if err := checkTokenType(tok.TokenType); err != nil {
		return nil, err
	}
	return tok, nil
}

// renew returns a token to replace the access token failed, which the API
// has just refused.
func (c *creds) renew(ctx context.Context, failed string) (*oauth2.Token, error) {
	src, _ := c.held()
	if src == nil {
		r, err := c.refresh(ctx, failed, true)
		if err != nil {
			return nil, err
		}
		return bearerOnly(r.tok)
	}
	tok, err := sourceToken(src)
	if err != nil {
		return nil, err
	}
	if tok.AccessToken == failed {
		return nil, errSourceUnchanged
	}
	return tok, nil
}

// refreshNow refreshes the token in use on the caller's demand and returns
// a copy of the new one, with a *StorageError when it could not be stored.
func (c *creds) refreshNow(ctx context.Context) (*oauth2.Token, error) {
	src, tok := c.held()
	switch {
	case src != nil:
		return nil, errors.New("up: Refresh: the Client's TokenSource refreshes its own tokens")
	case tok == nil:
		return nil, ErrNoToken
	}
	r, err := c.refresh(ctx, tok.AccessToken, false)
	if err != nil {
		return nil, err
	}
	return copyToken(r.tok), r.saveErr
}

// refresh returns a token newer than the one whose access token is failed.
// If another has replaced that token already, it is returned at once;
// otherwise one refresh runs for every concurrent caller, and each waits
// for it until its own ctx is done. auto marks refreshes the caller did not
// ask for, whose save failures go to Config.OnSaveError.
func (c *creds) refresh(ctx context.Context, failed string, auto bool) (refreshed, error) {
	c.mu.Lock()
	tok, epoch := c.tok, c.epoch
	c.mu.Unlock()
	switch {
	case tok == nil:
		return refreshed{}, ErrNoToken
	case tok.AccessToken != failed:
		return refreshed{tok: tok}, nil
	}
	ch := c.flight.DoChan(failed, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		r, err := c.runRefresh(ctx, tok, epoch)
		if auto && err == nil && r.saveErr != nil && c.cfg.OnSaveError != nil {
			c.cfg.OnSaveError(ctx, r.saveErr)
		}
		return r, err
	})
	select {
	case res := <-ch:
		r, _ := res.Val.(refreshed)
		return r, res.Err
	case <-ctx.Done():
		return refreshed{}, ctx.Err()
	}
}

// runRefresh replaces old, the token of credential epoch epoch.
func (c *creds) runRefresh(ctx context.Context, old *oauth2.Token, epoch uint64) (refreshed, error) {
	c.mu.Lock()
	known, overtaken := c.inStore, c.epoch != epoch
	c.mu.Unlock()
	if overtaken {
		// A refresh that ended a moment ago, SetToken or Disconnect
		// replaced old while this caller was on its way.
		return c.inUse()
	}
	if c.store == nil {
		if old.RefreshToken == "" {
			return refreshed{}, errNoRefreshToken
		}
		fresh, err := c.cfg.refreshToken(ctx, old.RefreshToken)
		if err != nil {
			return refreshed{}, err
		}
		return c.install(epoch, fresh, nil, nil)
	}
	return c.refreshIn(ctx, old, known, epoch)
}

// refreshIn replaces old under the user's lock in the store: it adopts the
// stored token if another holder refreshed already, and otherwise
// refreshes and stores the new token. known is what the store held when
// last seen; if that has been deleted since, nothing is refreshed, so that
// a refresh never brings back a token that Disconnect removed.
//
// Without a lock two holders can refresh with the same refresh token, and
// UP refuses the second (invalid_grant). The refused holder then re-reads
// the store for a while (adoptWait) and adopts the token the winner
// stores; only when the stored token is still the refused one does it
// report ErrLoginRequired. It waits after Update has returned, never under
// the lock: under a lock no other holder could store a token meanwhile,
// and the user's other requests (with SQLite, every user's refreshes)
// would wait for the lock as long.
func (c *creds) refreshIn(ctx context.Context, old, known *oauth2.Token, epoch uint64) (refreshed, error) {
	var (
		ran     bool          // fn ran: the store was read under the lock
		seen    *oauth2.Token // the stored token fn was given
		chosen  *oauth2.Token // the token fn adopted or obtained
		fnErr   error         // why fn left the store as it was
		refused *refusedError // fnErr, when UP refused the refresh
	)
	err := c.store.Update(ctx, c.key, func(ctx context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		ran, seen = true, stored
		chosen, fnErr = c.decide(ctx, old, known, stored, epoch)
		if fnErr != nil {
			return nil, fnErr
		}
		return copyToken(chosen), nil
	})
	switch {
	case !ran:
		if ctx.Err() != nil {
			return refreshed{}, ctx.Err()
		}
		return refreshed{}, storageErr("update", err)
	case errors.Is(fnErr, errKeep):
		return c.install(epoch, chosen, chosen, nil)
	case errors.Is(fnErr, errSuperseded):
		return c.inUse()
	case errors.As(fnErr, &refused):
		if newer := c.awaitNewer(ctx, refused.spent, refused.roundTrip); newer != nil {
			return c.install(epoch, newer, newer, nil)
		}
		return refreshed{}, refused.err
	case fnErr != nil:
		return refreshed{}, fnErr
	case err != nil:
		// The new token is valid and UP has spent the old refresh token,
		// so the new one is used all the same, and its save is tried
		// again; if that fails too, before later requests.
		inStore, err := c.saveAgain(ctx, chosen, seen, err)
		return c.install(epoch, chosen, inStore, storageErr("save", err))
	}
	return c.install(epoch, chosen, chosen, nil)
}

// saveAgain tries again to store tok, a refreshed token whose save failed
// with err, over seen, the stored token the refresh started from: for
// c.saveRetry (saveRetryWindow when zero) at most, with a growing pause
// between attempts, until ctx is done. It returns what the store then holds
// as far as is known, and the last error, nil once tok is stored or the
// stored token changed meanwhile (a new login, a Disconnect), which then
// stands.
func (c *creds) saveAgain(ctx context.Context, tok, seen *oauth2.Token, err error) (*oauth2.Token, error) {
	window := c.saveRetry
	if window == 0 {
		window = saveRetryWindow
	}
	deadline := time.Now().Add(window)
	for pause := firstSaveRetry; ; pause = min(2*pause, maxSaveRetryGap) {
		if pause > time.Until(deadline) || !sleep(ctx, pause) {
			return seen, err
		}
		var now *oauth2.Token // the stored token, when it is not seen
		err = c.store.Update(ctx, c.key, func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
			if !sameToken(stored, seen) {
				now = stored
				return nil, errKeep
			}
			return copyToken(tok), nil
		})
		switch {
		case errors.Is(err, errKeep):
			return now, nil
		case err == nil:
			return tok, nil
		}
	}
}

// sleep waits for d, or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// decide runs under the user's lock with the stored token (nil when none):
// it returns the token to store (nil error), or a token to adopt with
// errKeep, or another error that leaves the store as it is.
func (c *creds) decide(ctx context.Context, old, known, stored *oauth2.Token, epoch uint64) (*oauth2.Token, error) {
	if c.overtaken(epoch) {
		return nil, errSuperseded
	}
	base := old
	switch {
	case stored == nil && known != nil:
		return nil, errDeletedMeanwhile
	case stored != nil && !sameToken(stored, old):
		if live(stored) {
			return stored, errKeep // another holder refreshed: adopt its token
		}
		if stored.RefreshToken != "" {
			base = stored // another holder rotated the refresh token
		}
	}
	if base.RefreshToken == "" {
		return nil, errNoRefreshToken
	}
	sent := time.Now()
	tok, err := c.cfg.refreshToken(ctx, base.RefreshToken)
	if c.overtaken(epoch) {
		return nil, errSuperseded // SetToken or Disconnect: the answer no longer matters
	}
	if invalidGrant(err) {
		return nil, &refusedError{err: err, spent: base, roundTrip: time.Since(sent)}
	}
	if err != nil {
		return nil, err
	}
	return tok, nil
}

// adoptWait is how long to wait for the winner's token after a refresh
// that took roundTrip was refused, the slowest re-read of the store
// having taken slowestRead: see adoptWindow.
func adoptWait(roundTrip, slowestRead time.Duration) time.Duration {
	return min(max(adoptWindow, adoptRoundTrips*roundTrip, adoptReads*slowestRead), maxAdoptWindow)
}

// awaitNewer re-reads the store after spent's refresh token was refused,
// in a refresh whose round trip took roundTrip, for as long as adoptWait
// says (the re-reads' own time counts), and returns a token another holder
// stored meanwhile, or nil if none came (or the token was deleted).
func (c *creds) awaitNewer(ctx context.Context, spent *oauth2.Token, roundTrip time.Duration) *oauth2.Token {
	start := time.Now()
	var slowest time.Duration
	for gap := firstReread; ; gap = min(2*gap, maxRereadGap) {
		began := time.Now()
		tok, err := c.store.Load(ctx, c.key)
		took := time.Since(began)
		switch {
		case err == nil && tok != nil && !sameToken(tok, spent):
			return tok
		case errors.Is(err, ErrNoToken):
			return nil
		}
		slowest = max(slowest, took)
		pause := min(max(gap, 2*took), time.Until(start.Add(adoptWait(roundTrip, slowest))))
		if pause <= 0 || !sleep(ctx, pause) {
			return nil
		}
	}
}

// overtaken reports whether the credentials were replaced since epoch.
func (c *creds) overtaken(epoch uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch != epoch
}

// install makes tok the token in use, unless the credentials were replaced
// since epoch, and records what the store now holds and why tok is not
// stored. It returns the token callers should use, or ErrNoToken when a
// Disconnect or SetToken(nil) removed it meanwhile.
func (c *creds) install(epoch uint64, tok, inStore *oauth2.Token, saveErr error) (refreshed, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return c.inUseLocked()
	}
	c.tok, c.inStore, c.saveErr = copyToken(tok), inStore, saveErr
	c.epoch++
	return refreshed{tok: c.tok, saveErr: saveErr}, nil
}

// inUse returns the token in use, or ErrNoToken.
func (c *creds) inUse() (refreshed, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inUseLocked()
}

// inUseLocked is inUse for a caller that holds c.mu.
func (c *creds) inUseLocked() (refreshed, error) {
	if c.tok == nil {
		return refreshed{}, ErrNoToken
	}
	return refreshed{tok: c.tok}, nil
}

// retryPendingSave tries once more to store a token whose save failed; one
// caller at a time tries, the others go on without waiting. If the stored
// token changed meanwhile (a new login, a Disconnect), that change stands.
func (c *creds) retryPendingSave(ctx context.Context) {
	if c.pendingSaveError() == nil || !c.retrying.CompareAndSwap(false, true) {
		return
	}
	defer c.retrying.Store(false)
	c.mu.Lock()
	tok, known, epoch := c.tok, c.inStore, c.epoch
	c.mu.Unlock()
	moved := false
	err := c.store.Update(ctx, c.key, func(_ context.Context, stored *oauth2.Token) (*oauth2.Token, error) {
		if !sameToken(stored, known) {
			moved = true
			return nil, errKeep
		}
		return copyToken(tok), nil
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	switch {
	case moved:
		c.saveErr = nil
	case err == nil:
		c.saveErr, c.inStore = nil, tok
	default:
		c.saveErr = storageErr("save", err)
	}
}

// forget removes the token, from the Client and from the store, under the
// user's lock: a refresh under way cannot store its token after this.
func (c *creds) forget(ctx context.Context) error {
	c.mu.Lock()
	c.tok, c.src, c.inStore, c.saveErr = nil, nil, nil, nil
	c.epoch++
	c.mu.Unlock()
	if c.store == nil {
		return nil
	}
	err := c.store.Update(ctx, c.key, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return nil, nil
	})
	return storageErr("delete", err)
}

// sameToken reports whether a and b are the same token (both nil, or equal
// access and refresh tokens).
func sameToken(a, b *oauth2.Token) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}

// live reports whether tok has an access token that has not expired, as
// far as its expiry tells.
func live(tok *oauth2.Token) bool { return tok.AccessToken != "" && !expired(tok) }

// expired reports whether tok has an expiry that has passed or is about to.
func expired(tok *oauth2.Token) bool {
	return !tok.Expiry.IsZero() && time.Until(tok.Expiry) < expirySkew
}

// invalidGrant reports whether err is the token endpoint's invalid_grant.
func invalidGrant(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code == "invalid_grant"
}
