package main

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/upapi/up-go/up"
)

func (a *app) logout(ctx context.Context, args []string) error {
	fs := a.flags("logout", "[--force]", `
Revoke the application's access for the user (DELETE
/users/@me/PartnerAppMembership) and delete the saved token. When UP says the
session has already ended (401, or a refresh it refuses), the local token is
deleted all the same. --force deletes it whatever UP answers. The token
file's lock file (the token file's name with ".lock") goes with the token.

With UP_ACCESS_TOKEN set, logout refuses: the other commands use that token
rather than the token file, and it is not saved anywhere up could delete it
from. Unset it to log out of the saved session.
`)
	c := connFlags(fs)
	force := fs.Bool("force", false, "delete the local token even if UP cannot be told")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	a.resolve(fs, c)
	if c.accessToken != "" {
		return usageErrorf("logout: %s is set, and the other commands use it rather than the token file: unset it to log out of the saved session (a token from the environment is saved nowhere up could delete it from)", envAccessToken)
	}
	client, st, err := a.client(ctx, c)
	if errors.Is(err, up.ErrNoToken) {
		if path, perr := c.tokenPath(); perr == nil {
			removeLockFile(ctx, up.NewFileStorage(path))
			a.printf(a.stderr, "Not logged in (no token in %s); nothing to do.\n", path)
			return nil
		}
	}
	if err != nil {
		return err
	}
	err = client.Disconnect(ctx)
	if err == nil {
		removeLockFile(ctx, st)
		a.printf(a.stderr, "Logged out: UP revoked the app's access, and the token in %s is deleted.\n", st.Path())
		return nil
	}
	ended := errors.Is(err, up.ErrLoginRequired) || errors.Is(err, up.ErrUnauthorized)
	if !ended && !*force {
		msg, code := describe(ctx, err)
		return failf(code, err, "could not log out: %s; the token in %s was kept (run 'up logout --force' to delete it anyway)", msg, st.Path())
	}
	if derr := st.Delete(ctx); derr != nil && !errors.Is(derr, os.ErrNotExist) {
		return derr
	}
	removeLockFile(ctx, st)
	if ended {
		a.printf(a.stderr, "The UP session had already ended; deleted the token in %s.\n", st.Path())
	} else {
		msg, _ := describe(ctx, err)
		a.printf(a.stderr, "Deleted the token in %s; UP could not be told (%s).\n", st.Path(), msg)
	}
	return nil
}

// removeLockFile removes the lock file of st (its path with ".lock"), which
// FileStorage creates so that processes sharing the token file refresh one
// at a time, and leaves in place; once the token is deleted nothing needs
// it. It is best effort: a lock file left behind costs nothing.
//
// It takes the lock first, so that no process is between reading the token
// file and writing it, and removes the lock file only if the token file is
// still absent then (a login in another process may have saved a new one
// meanwhile, whose users need the lock). The race that remains: a process
// that opened the lock file before it was removed and waits for it locks
// the removed file, while one that comes after creates a new one, and the
// two do not exclude each other. Such a waiter holds a token of the session
// just ended, which UP refuses to refresh (and which it would have saved
// again with the lock file kept, too), or it is a login saving a new
// token, which it does atomically either way; so the race costs nothing
// here. It would not exist if FileStorage checked, after locking, that the
// file it locked is still the one at its path.
func removeLockFile(ctx context.Context, st *up.FileStorage) {
	lockPath := st.Path() + ".lock"
	if _, err := os.Lstat(lockPath); err != nil {
		return
	}
	unlock, err := st.Lock(ctx)
	if err != nil {
		return
	}
	defer func() { _ = unlock() }()
	if _, err := os.Lstat(st.Path()); errors.Is(err, fs.ErrNotExist) {
		_ = os.Remove(lockPath)
	}
}
