package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/upapi/up-go/up"
)

// metaJSON is the envelope's meta object as UP writes it.
type metaJSON struct {
	UserXID string `json:"user_xid"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Time    int64  `json:"time"`
}

func metaOf(m up.Meta) metaJSON {
	return metaJSON{UserXID: m.UserXID, Code: m.Code, Message: m.Message, Time: m.Time.Unix()}
}

func (a *app) whoami(ctx context.Context, args []string) error {
	fs := a.flags("whoami", "[--format table|json]", `
Show the profile of the user who owns the saved token (GET /users/@me), and
the meta object of UP's answer. Weight, height and gender need the
extended_read scope.
`)
	client, format, err := a.tableOrJSON(ctx, fs, args)
	if err != nil {
		return err
	}
	user, resp, err := client.User(ctx)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(a.stdout, struct {
			User *up.User `json:"user"`
			Meta metaJSON `json:"meta"`
		}{user, metaOf(resp.Meta)})
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			_, _ = fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("xid", user.XID)
	row("name", userName(user))
	if user.Gender != nil {
		row("gender", user.Gender.String())
	}
	if user.Height != 0 {
		row("height", fmt.Sprintf("%.2f m", user.Height))
	}
	if user.Weight != 0 {
		row("weight", fmt.Sprintf("%.1f kg", user.Weight))
	}
	row("image", user.Image)
	m := resp.Meta
	row("meta", fmt.Sprintf("%d %s at %s, user_xid %s", m.Code, m.Message, m.Time.UTC().Format(time.RFC3339), m.UserXID))
	return tw.Flush()
}

func (a *app) friends(ctx context.Context, args []string) error {
	fs := a.flags("friends", "[--format table|json]", `
List the XIDs of the user's friends (GET /users/@me/friends; scope friends_read).
`)
	client, format, err := a.tableOrJSON(ctx, fs, args)
	if err != nil {
		return err
	}
	list, _, err := client.Friends(ctx)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(a.stdout, list)
	}
	var b strings.Builder
	b.WriteString("xid\n")
	for _, f := range list.Items {
		b.WriteString(f.XID + "\n")
	}
	if _, err := io.WriteString(a.stdout, b.String()); err != nil {
		return err
	}
	a.printf(a.stderr, "(%s)\n", plural(len(list.Items), "friend"))
	return nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// userName is the user's full name, or their XID.
func userName(u *up.User) string {
	name := strings.TrimSpace(u.First + " " + u.Last)
	if name == "" {
		return u.XID
	}
	return name
}

// tableOrJSON parses the flags of a command that prints a table or JSON and
// takes no arguments, and returns the client and the chosen format.
func (a *app) tableOrJSON(ctx context.Context, fs *flag.FlagSet, args []string) (*up.Client, string, error) {
	c := connFlags(fs)
	format := fs.String("format", "table", "output `format`: table or json")
	if _, err := a.parse(fs, args, 0); err != nil {
		return nil, "", err
	}
	a.resolve(fs, c)
	if *format != "table" && *format != "json" {
		return nil, "", usageErrorf("%s: unknown --format %q%s (table or json)", fs.Name(), *format, didYouMean(*format, "", []string{"table", "json"}))
	}
	client, _, err := a.client(ctx, c)
	return client, *format, err
}
