package up

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

const (
	// refreshTimeout bounds a shared refresh, which outlives the request
	// that started it when that request gives up.
	refreshTimeout = time.Minute
	// expirySkew treats a token about to expire as expired already.
	expirySkew = 10 * time.Second
)

var (
	// errNoRefreshToken reports a token that cannot be refreshed; the
	// transport then hands the 401 to the caller as it is.
	errNoRefreshToken = fmt.Errorf("%w: the token has no refresh token", ErrLoginRequired)
	// errSourceUnchanged reports a TokenSource that, after a 401, returned
	// the same access token again.
	errSourceUnchanged = errors.New("up: the token source returned the rejected token again")
)

// refreshResult is what a refresh gives every caller waiting for it.
type refreshResult struct {
	tok     *oauth2.Token
	saveErr error // a *StorageError when the new token could not be saved
	err     error // why there is no new token
}

// refreshCall is one refresh shared by all callers that met the same token.
type refreshCall struct {
	done chan struct{} // closed when res is set
	res  refreshResult
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
	return copyToken(tok), nil
}

// requestToken returns the token to send a request with, refreshing first
// when there is a refresh token but no access token. The token may be the
// Client's own, which is replaced but never changed: the caller must not
// change it either.
func (cl *Client) requestToken(ctx context.Context) (*oauth2.Token, error) {
	cl.mu.Lock()
	src, tok := cl.src, cl.tok
	cl.mu.Unlock()
	switch {
	case src != nil:
		return sourceToken(src)
	case tok == nil:
		return nil, ErrNoToken
	case tok.AccessToken == "":
		res := cl.refresh(ctx, "", true)
		return res.tok, res.err
	}
	return tok, nil
}

// renew returns a token to replace the access token failed, which the API
// has just refused.
func (cl *Client) renew(ctx context.Context, failed string) (*oauth2.Token, error) {
	cl.mu.Lock()
	src := cl.src
	cl.mu.Unlock()
	if src == nil {
		res := cl.refresh(ctx, failed, true)
		return res.tok, res.err
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

// refresh returns a token newer than the one whose access token is failed.
// If the Client already holds a different one, that is returned at once;
// otherwise one refresh runs for all concurrent callers and each waits for
// it until its own ctx is done. auto marks refreshes the caller did not ask
// for, whose save failures go to Config.OnSaveError.
func (cl *Client) refresh(ctx context.Context, failed string, auto bool) refreshResult {
	cl.mu.Lock()
	if cl.tok == nil {
		cl.mu.Unlock()
		return refreshResult{err: ErrNoToken}
	}
	if cl.tok.AccessToken != failed {
		tok := copyToken(cl.tok)
		cl.mu.Unlock()
		return refreshResult{tok: tok}
	}
	call := cl.inflight
	if call == nil {
		call = &refreshCall{done: make(chan struct{})}
		cl.inflight = call
		go cl.runRefresh(context.WithoutCancel(ctx), call, copyToken(cl.tok), cl.gen, auto)
	}
	cl.mu.Unlock()

	select {
	case <-call.done:
		res := call.res
		res.tok = copyToken(res.tok)
		return res
	case <-ctx.Done():
		return refreshResult{err: ctx.Err()}
	}
}

// runRefresh performs call for old, the token of credential generation gen,
// and publishes the result.
func (cl *Client) runRefresh(ctx context.Context, call *refreshCall, old *oauth2.Token, gen uint64, auto bool) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	res := cl.refreshStored(ctx, call, old, gen)

	cl.mu.Lock()
	if cl.inflight == call {
		cl.inflight = nil
	}
	cl.mu.Unlock()
	call.res = res
	close(call.done)

	if auto && res.saveErr != nil && cl.cfg.OnSaveError != nil {
		cl.cfg.OnSaveError(ctx, res.saveErr)
	}
}

// refreshStored holds the storage lock while it reads the stored token,
// adopts it if another process already refreshed, or else refreshes and
// saves the result.
func (cl *Client) refreshStored(ctx context.Context, call *refreshCall, old *oauth2.Token, gen uint64) refreshResult {
	var res refreshResult
	res.err = cl.withStorageLock(ctx, func(ctx context.Context) error {
		base := old
		if stored := cl.loadNewer(ctx, old.AccessToken); stored != nil {
			if stored.AccessToken != "" && !expired(stored) {
				res.tok, _ = cl.install(call, gen, stored)
				return nil
			}
			if stored.RefreshToken != "" {
				base = stored // another process rotated the refresh token
			}
		}
		if base.RefreshToken == "" {
			return errNoRefreshToken
		}
		tok, err := cl.cfg.refreshToken(ctx, base.RefreshToken)
		if err != nil {
			return err
		}
		var installedGen uint64
		res.tok, installedGen = cl.install(call, gen, tok)
		if installedGen != 0 && cl.cfg.Storage != nil {
			if err := cl.cfg.Storage.Save(ctx, copyToken(tok)); err != nil {
				res.saveErr = storageErr("save", err)
				cl.markUnsaved(installedGen, res.saveErr)
			}
		}
		return nil
	})
	if res.err == nil && res.tok == nil {
		res.err = ErrNoToken // disconnected while refreshing
	}
	if res.err != nil {
		res.tok, res.saveErr = nil, nil
	}
	return res
}

// loadNewer returns the stored token when it differs from the access token
// failed, or nil. A storage that cannot be read is passed over: the refresh
// goes ahead and its save reports the storage's trouble.
func (cl *Client) loadNewer(ctx context.Context, failed string) *oauth2.Token {
	if cl.cfg.Storage == nil {
		return nil
	}
	tok, err := cl.cfg.Storage.Load(ctx)
	if err != nil || tok == nil || tok.AccessToken == failed {
		return nil
	}
	return tok
}

// install makes tok the Client's token, unless the credentials changed
// (SetToken, Disconnect) since generation gen, and ends call's turn as the
// refresh under way. It returns the token callers should now use and the new
// generation, or 0 when tok was not installed.
func (cl *Client) install(call *refreshCall, gen uint64, tok *oauth2.Token) (*oauth2.Token, uint64) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.inflight == call {
		cl.inflight = nil
	}
	if cl.gen != gen {
		return copyToken(cl.tok), 0
	}
	cl.tok = copyToken(tok)
	cl.gen++
	cl.saveErr = nil
	return copyToken(tok), cl.gen
}

// markUnsaved records that the token of generation gen could not be saved.
func (cl *Client) markUnsaved(gen uint64, err error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.gen == gen {
		cl.saveErr = err
	}
}

// retryPendingSave tries once more to save a token whose save failed; one
// caller at a time tries, the others go on without waiting.
func (cl *Client) retryPendingSave(ctx context.Context) {
	if cl.PendingSaveError() == nil || !cl.retrying.CompareAndSwap(false, true) {
		return
	}
	defer cl.retrying.Store(false)
	_ = cl.withStorageLock(ctx, func(ctx context.Context) error {
		cl.mu.Lock()
		tok, gen, pending := copyToken(cl.tok), cl.gen, cl.saveErr != nil
		cl.mu.Unlock()
		if !pending || tok == nil {
			return nil
		}
		err := storageErr("save", cl.cfg.Storage.Save(ctx, tok))
		cl.mu.Lock()
		if cl.gen == gen {
			cl.saveErr = err
		}
		cl.mu.Unlock()
		return nil
	})
}

// withStorageLock runs fn holding the Storage's Locker lock, if it has one,
// and then the Client's store mutex; fn gets a context marked with LockHeld.
// When the lock cannot be taken for a reason other than ctx, fn runs without
// it and the storage's own errors tell the rest.
func (cl *Client) withStorageLock(ctx context.Context, fn func(context.Context) error) error {
	if l, ok := cl.cfg.Storage.(Locker); ok {
		unlock, err := l.Lock(ctx)
		switch {
		case err == nil:
			// An unlock failure leaves nothing for the Client to repair.
			defer func() { _ = unlock() }()
			ctx = WithLockHeld(ctx, cl.cfg.Storage)
		case ctx.Err() != nil:
			return ctx.Err()
		}
	}
	cl.storeMu.Lock()
	defer cl.storeMu.Unlock()
	return fn(ctx)
}

// expired reports whether tok has an expiry that has passed or is about to.
func expired(tok *oauth2.Token) bool {
	return !tok.Expiry.IsZero() && time.Until(tok.Expiry) < expirySkew
}
