package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/upapi/up-go/up"
)

// ticks is the intraday series of the events of one list resource (the
// ticks of moves and workouts, the phases of sleeps), which export writes
// one line per event, in the order of the events' own file.
type ticks struct {
	name   string // move_ticks
	events string // the resource whose events they are: moves
	// fetch gets the series of the event xid, every page of it, as the
	// line export writes.
	fetch func(ctx context.Context, c *up.Client, xid string) (tickLineResult, error)
}

// tickLine is a line of a tick file: an event's XID and its series as UP
// sent it; NotFound when UP answered 404 (the event was deleted after it
// was listed), with no ticks.
type tickLine[T any] struct {
	XID      string `json:"xid"`
	Ticks    []T    `json:"ticks"`
	NotFound bool   `json:"not_found,omitempty"`
}

// tickLineResult is an event's line, ready to write, and what it counts.
type tickLineResult struct {
	line     []byte // with its newline
	ticks    int
	pages    int // requests it took
	notFound bool
}

// tickSeries returns the tick series export writes, in the order of help.
func tickSeries() []*ticks {
	return []*ticks{
		{name: "move_ticks", events: "moves", fetch: fetchTicks((*up.Client).MoveTicksPage)},
		{name: "sleep_ticks", events: "sleeps", fetch: fetchTicks((*up.Client).SleepTicksPage)},
		{name: "workout_ticks", events: "workouts", fetch: fetchTicks((*up.Client).WorkoutTicksPage)},
	}
}

func tickNames() []string {
	var names []string
	for _, t := range tickSeries() {
		names = append(names, t.name)
	}
	return names
}

// lookupTicks returns the tick series called name, or nil.
func lookupTicks(name string) *ticks {
	for _, t := range tickSeries() {
		if t.name == name {
			return t
		}
	}
	return nil
}

// ticksOf returns the tick series of the events of resource name, or nil.
func ticksOf(name string) *ticks {
	for _, t := range tickSeries() {
		if t.events == name {
			return t
		}
	}
	return nil
}

// fetchTicks returns a fetch function for a series whose first page first
// gets.
func fetchTicks[T any](first func(c *up.Client, ctx context.Context, xid string) (*up.Page[T], error)) func(context.Context, *up.Client, string) (tickLineResult, error) {
	return func(ctx context.Context, c *up.Client, xid string) (tickLineResult, error) {
		line := tickLine[T]{XID: xid, Ticks: []T{}}
		var res tickLineResult
		page, err := first(c, ctx, xid)
		for {
			res.pages++
			if err != nil && res.pages == 1 && errors.Is(err, up.ErrNotFound) {
				line.NotFound, res.notFound = true, true
				break
			}
			if err != nil {
				return tickLineResult{}, err
			}
			line.Ticks = append(line.Ticks, page.Items...)
			if !page.HasNext() {
				break
			}
			page, err = page.Next(ctx)
		}
		b, err := json.Marshal(line)
		if err != nil {
			return tickLineResult{}, err
		}
		b = append(b, '\n')
		res.line, res.ticks = b, len(line.Ticks)
		return res, nil
	}
}
