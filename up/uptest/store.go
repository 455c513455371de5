package uptest

import (
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// A Kind names a type of event, as webhook notifications name it.
type Kind string

// The kinds of event the fake stores.
const (
	KindMove         Kind = "move"
	KindWorkout      Kind = "workout"
	KindSleep        Kind = "sleep"
	KindMeal         Kind = "meal"
	KindBody         Kind = "body"
	KindHeartRate    Kind = "heartrate"
	KindGenericEvent Kind = "generic_event"
	KindMood         Kind = "mood"
	KindCardiac      Kind = "cardiac"
)

// Cardiac events are API v1.0, deprecated in the spec but still served;
// these names keep the deprecation notices in one place.
type (
	cardiacEvent       = gen.CardiacEvent       //nolint:staticcheck // deprecated, still served
	cardiacEventCreate = gen.CardiacEventCreate //nolint:staticcheck // deprecated, still served
	cardiacEventList   = gen.CardiacEventList   //nolint:staticcheck // deprecated, still served
)

// rowMeta is what listing needs to know about an event.
type rowMeta struct {
	xid              string
	created, updated int64
	date             wire.Date
}

// A row is one stored event. Values are copied out of the store, so a row's
// value is replaced, never changed in place: whatever its pointer fields
// point to stays as it was when it was stored.
type row[T any] struct {
	v     T
	owner string // client ID of the app that created it; "" for the band and UP's own app
}

// A table holds the events of one kind, oldest first. Every time_created
// in a table is unique, so an epoch page_token is an unambiguous cursor.
type table[T any] struct {
	rows       []*row[T]
	byXID      map[string]*row[T]
	meta       func(*T) rowMeta
	setUpdated func(*T, wire.Epoch)
}

func newTable[T any](meta func(*T) rowMeta, setUpdated func(*T, wire.Epoch)) *table[T] {
	return &table[T]{byXID: make(map[string]*row[T]), meta: meta, setUpdated: setUpdated}
}

// anyTable is what deleting and touching need of a table, whatever its kind.
type anyTable interface {
	owner(xid string) (owner string, ok bool)
	touch(xid string, now int64) bool
	remove(xid string) bool
}

func (t *table[T]) owner(xid string) (string, bool) {
	r, ok := t.byXID[xid]
	if !ok {
		return "", false
	}
	return r.owner, true
}

// touch moves the event's time_updated to now, or a second past its last
// update when the clock has not moved, so every change is visible.
func (t *table[T]) touch(xid string, now int64) bool {
	r, ok := t.byXID[xid]
	if !ok {
		return false
	}
	v := r.v
	t.setUpdated(&v, wire.Epoch(bump(t.meta(&v).updated, now)))
	r.v = v
	return true
}

// bump is the time_updated of an event last updated at old and changed now.
func bump(old, now int64) int64 { return max(now, old+1) }

// freeCreated returns the first second at or after t that no event in the
// table was created at.
func (t *table[T]) freeCreated(at int64) int64 {
	for {
		i := sort.Search(len(t.rows), func(i int) bool { return t.meta(&t.rows[i].v).created >= at })
		if i == len(t.rows) || t.meta(&t.rows[i].v).created != at {
			return at
		}
		at++
	}
}

func (t *table[T]) insert(v T, owner string) *row[T] {
	r := &row[T]{v: v, owner: owner}
	m := t.meta(&v)
	i := sort.Search(len(t.rows), func(i int) bool { return t.meta(&t.rows[i].v).created > m.created })
	t.rows = slices.Insert(t.rows, i, r)
	t.byXID[m.xid] = r
	return r
}

func (t *table[T]) get(xid string) (*row[T], bool) {
	r, ok := t.byXID[xid]
	return r, ok
}

func (t *table[T]) remove(xid string) bool {
	r, ok := t.byXID[xid]
	if !ok {
		return false
	}
	delete(t.byXID, xid)
	t.rows = slices.DeleteFunc(t.rows, func(x *row[T]) bool { return x == r })
	return true
}

// listQuery holds the filters and paging of a list call.
type listQuery struct {
	date         *wire.Date
	start, end   *int64
	updatedAfter *int64
	createdAfter *int64
	pageToken    *int64
	limit        int
}

// timeFrame reports whether the query names a period, which turns the
// order from newest first to oldest first.
func (q listQuery) timeFrame() bool { return q.date != nil || q.start != nil || q.end != nil }

// list returns one page of the events matching q and, when more remain, the
// page_token of the next page.
func (t *table[T]) list(q listQuery, now int64, keep func(*T) bool) (page []T, next *int64) {
	asc := q.timeFrame()
	end := q.end
	if end == nil && q.start != nil {
		end = &now
	}
	match := func(m rowMeta) bool {
		switch {
		case q.date != nil && m.date != *q.date,
			q.start != nil && m.created < *q.start,
			end != nil && m.created > *end,
			q.updatedAfter != nil && m.updated <= *q.updatedAfter,
			q.createdAfter != nil && m.created <= *q.createdAfter,
			q.pageToken != nil && asc && m.created <= *q.pageToken,
			q.pageToken != nil && !asc && m.created >= *q.pageToken:
			return false
		}
		return true
	}
	page = []T{}
	n := len(t.rows)
	for k := range n {
		i := k
		if !asc {
			i = n - 1 - k
		}
		v := t.rows[i].v
		m := t.meta(&v)
		if !match(m) || (keep != nil && !keep(&v)) {
			continue
		}
		if len(page) == q.limit {
			last := t.meta(&page[len(page)-1]).created
			return page, &last
		}
		page = append(page, v)
	}
	return page, nil
}

// subscription is a webhook registered for one user by one app.
type subscription struct {
	url    string
	scopes map[string]bool
}

// store is one user's data: the profile, the history and the events apps
// add. One mutex guards what changes; the profile (user, birthday, prof,
// settings, zones) never changes after seedProfile.
type store struct {
	mu sync.Mutex

	loc      *time.Location
	user     gen.User
	birthday time.Time
	prof     profile // with bmrDay as of the day the store was seeded
	goals    gen.Goals
	settings gen.Settings
	zones    []gen.TimeZone

	moves    *table[gen.Move]
	workouts *table[gen.Workout]
	sleeps   *table[gen.Sleep]
	meals    *table[gen.Meal]
	bodies   *table[gen.BodyEvent]
	hearts   *table[gen.HeartRate]
	generics *table[gen.GenericEvent]
	moods    *table[gen.Mood]
	cardiacs *table[cardiacEvent]
	bands    *table[gen.BandEvent]

	ticks      map[string][]gen.Tick      // by move or workout XID
	sleepTicks map[string][]gen.SleepTick // by sleep XID
	photos     map[string][]byte          // meal photos by meal XID
	// seeded holds the day of each seeded event with ticks, which are made
	// again from that day's seed when asked (see replayDay).
	seeded map[string]wire.Date

	// xids makes the IDs of events created after seeding.
	xids *xidSource
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func newStore(loc *time.Location) *store {
	return &store{
		loc: loc,
		moves: newTable(func(v *gen.Move) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.Move, t wire.Epoch) { v.TimeUpdated = t }),
		workouts: newTable(func(v *gen.Workout) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.Workout, t wire.Epoch) { v.TimeUpdated = t }),
		sleeps: newTable(func(v *gen.Sleep) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.Sleep, t wire.Epoch) { v.TimeUpdated = t }),
		meals: newTable(func(v *gen.Meal) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.Meal, t wire.Epoch) { v.TimeUpdated = t }),
		bodies: newTable(func(v *gen.BodyEvent) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.BodyEvent, t wire.Epoch) { v.TimeUpdated = t }),
		hearts: newTable(func(v *gen.HeartRate) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.HeartRate, t wire.Epoch) { v.TimeUpdated = t }),
		generics: newTable(func(v *gen.GenericEvent) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.GenericEvent, t wire.Epoch) { v.TimeUpdated = t }),
		moods: newTable(func(v *gen.Mood) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *gen.Mood, t wire.Epoch) { v.TimeUpdated = t }),
		cardiacs: newTable(func(v *cardiacEvent) rowMeta {
			return rowMeta{v.XID, int64(v.TimeCreated), int64(v.TimeUpdated), v.Date}
		}, func(v *cardiacEvent, t wire.Epoch) { v.TimeUpdated = t }),
		bands: newTable(func(v *gen.BandEvent) rowMeta {
			// Band events have no XID; their moment identifies them.
			return rowMeta{strconv.FormatInt(int64(v.TimeCreated), 10), int64(v.TimeCreated), int64(v.TimeCreated), v.Date}
		}, func(*gen.BandEvent, wire.Epoch) {}),
		ticks:      make(map[string][]gen.Tick),
		sleepTicks: make(map[string][]gen.SleepTick),
		photos:     make(map[string][]byte),
		seeded:     make(map[string]wire.Date),
	}
}

// forget drops what is kept beside an event: its ticks and photo.
func (st *store) forget(xid string) {
	delete(st.ticks, xid)
	delete(st.sleepTicks, xid)
	delete(st.photos, xid)
	delete(st.seeded, xid)
}

// dateOf returns the day of epoch t in the user's time zone.
func (st *store) dateOf(t int64) wire.Date { return wire.DateOf(time.Unix(t, 0).In(st.loc)) }

// tzName is the user's time zone.
func (st *store) tzName() string { return st.loc.String() }

// earliest is the first day the user has data for.
func (st *store) earliest(today wire.Date) wire.Date {
	first := today
	if len(st.moves.rows) > 0 {
		first = min(first, st.moves.rows[0].v.Date)
	}
	if len(st.sleeps.rows) > 0 {
		first = min(first, st.sleeps.rows[0].v.Date)
	}
	if len(st.meals.rows) > 0 {
		first = min(first, st.meals.rows[0].v.Date)
	}
	return first
}
