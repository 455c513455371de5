package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/upapi/up-go/up"
)

const listHelp = `
List the items of one resource, page after page as UP sends them, printing
each as it arrives. RESOURCE is one of:

  %s

Select a day with --date, or a time range with --since (and --until); with
neither, UP lists everything, newest first (with a range: oldest first).
--updated-after keeps what changed after a moment (for bandevents: what was
created after it).

A time T is RFC 3339 (2015-06-01T08:00:00Z), a day YYYY-MM-DD or YYYYMMDD
(midnight, local time), or a span back from now: 7d, 36h, 90m.

Formats: table (a few columns), csv (a header and more columns), jsonl (each
item as UP sent it, one a line) and json (one array).
`

// defaultLimit is the page size list and export ask for.
const defaultLimit = 100

func (a *app) list(ctx context.Context, args []string) error {
	fs := a.flags("list", "RESOURCE [--date D | --since T [--until T]] [--updated-after T] [--limit N] [--max N] [--format F]",
		fmt.Sprintf(listHelp, strings.Join(resourceNames(), ", ")))
	c := connFlags(fs)
	date := fs.String("date", "", "one `day` in the user's time zone: YYYY-MM-DD or YYYYMMDD")
	since := fs.String("since", "", "items from time `T`")
	until := fs.String("until", "", "items until time `T` (with --since; default now)")
	updated := fs.String("updated-after", "", "items changed after time `T`")
	limit := fs.Int("limit", 0, fmt.Sprintf("items per page, `N` (default %d, or --max when smaller)", defaultLimit))
	maxItems := fs.Int("max", 0, "stop after `N` items (default: all)")
	format := fs.String("format", "table", "output `format`: "+strings.Join(formats, ", "))
	pos, err := a.parse(fs, args, 1)
	if err != nil {
		return err
	}
	a.resolve(fs, c)
	if len(pos) == 0 {
		return usageErrorf("list: name a resource: %s", strings.Join(resourceNames(), ", "))
	}
	name := strings.ReplaceAll(strings.ToLower(pos[0]), "-", "_")
	res := lookupResource(name)
	if res == nil {
		return unknownResource("list", pos[0], resourceNames())
	}
	if !slices.Contains(formats, *format) {
		return usageErrorf("list: unknown --format %q%s (formats: %s)", *format, didYouMean(*format, "", formats), strings.Join(formats, ", "))
	}
	q, err := a.query(*date, *since, *until, *updated)
	if err != nil {
		return err
	}
	switch {
	case *limit < 0 || *maxItems < 0:
		return usageErrorf("list: --limit and --max cannot be negative")
	case *limit > 0:
		q.limit = *limit
	case *maxItems > 0:
		q.limit = min(*maxItems, defaultLimit)
	default:
		q.limit = defaultLimit
	}
	if note := res.Deprecated(); note != "" {
		a.printf(a.stderr, "up: note: %s\n", note)
	}
	client, _, err := a.client(ctx, c)
	if err != nil {
		return err
	}
	n, err := res.list(ctx, client, q, *maxItems, *format, a.stdout)
	if err != nil {
		return err
	}
	if n == 0 {
		a.printf(a.stderr, "(no %s)\n", res.Name())
	}
	return nil
}

// query reads the selection flags of list.
func (a *app) query(date, since, until, updated string) (listQuery, error) {
	var q listQuery
	now := a.now()
	if date != "" {
		if since != "" || until != "" {
			return q, usageErrorf("--date cannot be combined with --since or --until")
		}
		d, err := up.ParseDate(date)
		if err != nil || !d.Valid() {
			return q, usageErrorf("--date %q is not a day: use YYYY-MM-DD or YYYYMMDD", date)
		}
		q.date = d
	}
	if until != "" && since == "" {
		return q, usageErrorf("--until needs --since")
	}
	var err error
	if q.rng.Start, err = a.timeArg("--since", since, now); err != nil {
		return q, err
	}
	if q.rng.End, err = a.timeArg("--until", until, now); err != nil {
		return q, err
	}
	if !q.rng.End.IsZero() && q.rng.End.Before(q.rng.Start) {
		return q, usageErrorf("--until %s is before --since %s", until, since)
	}
	if q.updatedAfter, err = a.timeArg("--updated-after", updated, now); err != nil {
		return q, err
	}
	return q, nil
}

// timeArg reads a time T: RFC 3339, a day (midnight in a.loc), or a span
// back from now such as 7d or 36h. "" is the zero time.
func (a *app) timeArg(flagName, s string, now time.Time) (time.Time, error) {
	t, err := parseTime(s, now, a.loc)
	if err != nil {
		return time.Time{}, usageErrorf("%s %q: %v", flagName, s, err)
	}
	return t, nil
}

func parseTime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if t.Unix() < 0 {
			return time.Time{}, fmt.Errorf("before 1970")
		}
		return t, nil
	}
	if d, err := up.ParseDate(s); err == nil && d.Valid() {
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc), nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.AddDate(0, 0, -days), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("not a time: use RFC 3339, YYYY-MM-DD, YYYYMMDD, or a span back from now such as 7d or 36h")
}
