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
	if derr := deleteToken(ctx, st); derr != nil {
		return derr
	}
	if ended {
		a.printf(a.stderr, "The UP session had already ended; deleted the token in %s.\n", st.Path())
	} else {
		msg, _ := describe(ctx, err)
		a.printf(a.stderr, "Deleted the token in %s; UP could not be told (%s).\n", st.Path(), msg)
	}
	return nil
}

// deleteToken deletes the token in st holding its lock, as the SDK's own
// writes do, so that no other process is between reading the token file and
// writing it, and then removes the lock file.
func deleteToken(ctx context.Context, st *up.FileStorage) error {
	unlock, err := st.Lock(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	if err := st.Delete(ctx); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	removeLockFileLocked(st)
	return nil
}

// removeLockFile removes the lock file of st (its path with ".lock"), which
// FileStorage creates so that processes sharing the token file refresh one
// at a time, and leaves in place; once the token is deleted nothing needs
// it. It is best effort: a lock file left behind costs nothing.
//
// It takes the lock first, so that no process is between reading the token
// file and writing it. A process that opened the lock file before it was
// removed and then locks it finds, as FileStorage checks after locking,
// that the file it locked is no longer the one at its path, and locks the
// new one instead; so removing the file excludes no one.
func removeLockFile(ctx context.Context, st *up.FileStorage) {
	if _, err := os.Lstat(st.Path() + ".lock"); err != nil {
		return
	}
	unlock, err := st.Lock(ctx)
	if err != nil {
		return
	}
	defer func() { _ = unlock() }()
	removeLockFileLocked(st)
}

// removeLockFileLocked removes st's lock file, which the caller holds, if
// the token file is still absent (a login in another process may have
// saved a new one meanwhile).
func removeLockFileLocked(st *up.FileStorage) {
	if _, err := os.Lstat(st.Path()); errors.Is(err, fs.ErrNotExist) {
		_ = os.Remove(st.Path() + ".lock")
	}
}
