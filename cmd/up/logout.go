package main

import (
	"context"
	"errors"
	"os"

	"github.com/upapi/up-go/up"
)

func (a *app) logout(ctx context.Context, args []string) error {
	fs := a.flags("logout", "[--force]", `
Revoke the application's access for the user (DELETE
/users/@me/PartnerAppMembership) and delete the saved token. When UP says the
session has already ended (401, or a refresh it refuses), the local token is
deleted all the same. --force deletes it whatever UP answers.
`)
	c := connFlags(fs)
	force := fs.Bool("force", false, "delete the local token even if UP cannot be told")
	if _, err := a.parse(fs, args, 0); err != nil {
		return err
	}
	a.resolve(fs, c)
	client, st, err := a.client(ctx, c)
	if errors.Is(err, up.ErrNoToken) {
		if path, perr := c.tokenPath(); perr == nil {
			a.printf(a.stdout, "Not logged in (no token in %s); nothing to do.\n", path)
			return nil
		}
	}
	if err != nil {
		return err
	}
	err = client.Disconnect(ctx)
	if err == nil {
		a.printf(a.stdout, "Logged out: UP revoked the app's access, and the token in %s is deleted.\n", st.Path())
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
	if ended {
		a.printf(a.stdout, "The UP session had already ended; deleted the token in %s.\n", st.Path())
	} else {
		msg, _ := describe(ctx, err)
		a.printf(a.stdout, "Deleted the token in %s; UP could not be told (%s).\n", st.Path(), msg)
	}
	return nil
}
