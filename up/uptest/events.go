package uptest

import (
	"errors"
	"fmt"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// Event lists the types of event a test can add to the user's data with Add.
type Event interface {
	gen.Move | gen.Workout | gen.Sleep | gen.Meal | gen.BodyEvent | gen.HeartRate |
		gen.GenericEvent | gen.Mood | gen.CardiacEvent | gen.BandEvent //nolint:staticcheck // cardiac events are deprecated, still served
}

// Add stores event in the data of to (a *User, or a *Server for its default
// user) as if the band or UP's own app had recorded it, so that no app may
// delete it, and notifies registered webhooks of its creation. It
// fills what event leaves empty: an XID, time_created (now), date (in the
// user's zone), time_updated, type, a title and details.tz. A time_created
// already taken by an event of the same kind moves on by a second. Add
// returns the event as stored; it panics if the XID is taken.
func Add[T Event](to Target, event T) T {
	u := to.target()
	s, st := u.s, u.data()
	var out any
	switch v := any(event).(type) {
	case gen.Move:
		out = addEvent(u, moves, v, func(v *gen.Move, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "move")
			v.Details = withTZ(v.Details, d.tz, func(x *gen.MoveDetails) *string { return &x.TZ })
			if v.Title == "" {
				v.Title = thousands(v.Details.Steps) + " steps"
			}
		})
	case gen.Workout:
		out = addEvent(u, workouts, v, func(v *gen.Workout, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "workout")
			v.Title = orDefault(v.Title, workoutTitle(int(v.SubType)))
			v.Details = withTZ(v.Details, d.tz, func(x *gen.WorkoutDetails) *string { return &x.TZ })
			if v.TimeCompleted > v.TimeCreated {
				st.ticks[v.XID] = workoutTicks(rngFor(s.cfg.seed, "ticks "+v.XID), st.prof, int64(v.TimeCreated), int64(v.TimeCompleted), int(v.SubType))
			}
		})
	case gen.Sleep:
		out = addEvent(u, sleeps, v, func(v *gen.Sleep, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "sleep")
			if int64(v.TimeCompleted) > int64(v.TimeCreated)+1 {
				bed, getUp := int64(v.TimeCreated), int64(v.TimeCompleted)
				built, phases := buildSleep(rngFor(s.cfg.seed, "sleep "+v.XID), bed, getUp-min(600, (getUp-bed)/10), getUp)
				st.sleepTicks[v.XID] = phases
				if v.Details == (gen.SleepDetails{}) {
					v.Details = built.Details
				}
				v.Title = orDefault(v.Title, built.Title)
			}
			v.Details = withTZ(v.Details, d.tz, func(x *gen.SleepDetails) *string { return &x.TZ })
		})
	case gen.Meal:
		out = addEvent(u, meals, v, func(v *gen.Meal, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "meal")
			if v.Details == (gen.MealDetails{}) && v.Items.Items != nil {
				v.Details = mealDetails(v.Items.Items, d.tz)
			}
			v.Details = withTZ(v.Details, d.tz, func(x *gen.MealDetails) *string { return &x.TZ })
			v.Title = orDefault(v.Title, v.Note)
		})
	case gen.BodyEvent:
		out = addEvent(u, bodies, v, func(v *gen.BodyEvent, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "body")
			if v.Title == "" && v.Weight != nil {
				v.Title = fmt.Sprintf("%.1f kg", *v.Weight)
			}
			v.Details = withTZ(v.Details, d.tz, func(x *gen.TZDetails) *string { return &x.TZ })
		})
	case gen.HeartRate:
		out = addEvent(u, hearts, v, func(v *gen.HeartRate, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Title = orDefault(v.Title, "My resting heart rate on "+ordinalDate(v.Date))
			v.Details = withTZ(v.Details, d.tz, func(x *gen.TZDetails) *string { return &x.TZ })
		})
	case gen.GenericEvent:
		out = addEvent(u, generics, v, func(v *gen.GenericEvent, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Details = withTZ(v.Details, d.tz, func(x *gen.TZDetails) *string { return &x.TZ })
		})
	case gen.Mood:
		out = addEvent(u, moods, v, func(v *gen.Mood, d defaults) {
			v.XID = d.xid(v.XID)
			v.TimeCreated = d.created(v.TimeCreated)
			v.Date = d.date(v.Date)
			v.TimeUpdated = d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "mood")
			if v.Title == "" && v.SubType >= 1 && int(v.SubType) < len(moodTitles) {
				v.Title = moodTitles[v.SubType]
			}
			v.Details = withTZ(v.Details, d.tz, func(x *gen.TZDetails) *string { return &x.TZ })
		})
	case cardiacEvent:
		out = addEvent(u, cardiacs, v, func(v *cardiacEvent, d defaults) {
			v.XID, v.TimeCreated, v.Date, v.TimeUpdated = d.xid(v.XID), d.created(v.TimeCreated), d.date(v.Date), d.updated(v.TimeUpdated)
			v.Type = orDefault(v.Type, "cardiac")
			v.Title = orDefault(v.Title, "My heart rate on "+ordinalDate(v.Date))
			v.Details = withTZ(v.Details, d.tz, func(x *gen.TZDetails) *string { return &x.TZ })
		})
	case gen.BandEvent:
		st.mu.Lock()
		if v.TimeCreated == 0 {
			v.TimeCreated = wire.EpochOf(s.now())
		}
		v.TimeCreated = wire.Epoch(st.bands.freeCreated(int64(v.TimeCreated)))
		if v.Date == 0 {
			v.Date = st.dateOf(int64(v.TimeCreated))
		}
		if v.TZ == "" {
			v.TZ = st.tzName()
		}
		st.bands.insert(v, "")
		st.mu.Unlock()
		s.notify(u, "", "", string(v.Action), int64(v.TimeCreated))
		out = v
	}
	return out.(T)
}

// defaults fills the common fields of an added event.
type defaults struct {
	st  *store
	tz  string
	tbl interface{ freeCreated(int64) int64 }
	now int64
	// at is the time_created chosen, for date.
	at *int64
}

func (d defaults) xid(x string) string {
	if x == "" {
		return d.st.xids.next()
	}
	return x
}

func (d defaults) created(t wire.Epoch) wire.Epoch {
	at := int64(t)
	if at == 0 {
		at = d.now
	}
	at = d.tbl.freeCreated(at)
	*d.at = at
	return wire.Epoch(at)
}

func (d defaults) date(v wire.Date) wire.Date {
	if v != 0 {
		return v
	}
	return d.st.dateOf(*d.at)
}

func (d defaults) updated(t wire.Epoch) wire.Epoch {
	if t != 0 {
		return t
	}
	return wire.Epoch(max(d.now, *d.at))
}

func orDefault(s, v string) string {
	if s != "" {
		return s
	}
	return v
}

// withTZ returns details with its tz set to tz when it was empty.
func withTZ[D any](details D, tz string, field func(*D) *string) D {
	if f := field(&details); *f == "" {
		*f = tz
	}
	return details
}

func addEvent[T any, L listOf[T]](u *User, k *eventKind[T, L], v T, fill func(*T, defaults)) T {
	s, st := u.s, u.data()
	tbl := k.table(st)
	st.mu.Lock()
	if xid := tbl.meta(&v).xid; xid != "" {
		if _, taken := tbl.get(xid); taken {
			st.mu.Unlock()
			panic(fmt.Sprintf("uptest: Add: a %s with XID %q exists", k.kind, xid))
		}
	}
	var at int64
	fill(&v, defaults{st: st, tz: st.tzName(), tbl: tbl, now: s.now().Unix(), at: &at})
	xid := tbl.meta(&v).xid
	tbl.insert(v, "")
	st.mu.Unlock()
	s.notify(u, k.kind, xid, "creation", s.now().Unix())
	return v
}

// ErrNotFound is returned by Touch and Delete for an event that does not exist.
var ErrNotFound = errors.New("uptest: no such event")

// Touch marks the default user's event xid of kind as updated now (a
// second after its last update if the clock has not moved), as a sync from
// the band would, and notifies registered webhooks. User.Touch does it for
// another user.
func (s *Server) Touch(kind Kind, xid string) error { return s.touch(s.DefaultUser(), kind, xid) }

func (s *Server) touch(u *User, kind Kind, xid string) error {
	return s.change(u, kind, xid, "updation", func(st *store, tbl anyTable) bool { return tbl.touch(xid, s.now().Unix()) })
}

// Delete removes the default user's event xid of kind, whoever created it,
// and notifies registered webhooks. User.Delete does it for another user.
func (s *Server) Delete(kind Kind, xid string) error { return s.delete(s.DefaultUser(), kind, xid) }

func (s *Server) delete(u *User, kind Kind, xid string) error {
	return s.change(u, kind, xid, "deletion", func(st *store, tbl anyTable) bool {
		if !tbl.remove(xid) {
			return false
		}
		st.forget(xid)
		return true
	})
}

// change applies do, under the store's lock, to the table of kind in u's
// data, and notifies webhooks of action when do found the event xid.
func (s *Server) change(u *User, kind Kind, xid, action string, do func(st *store, tbl anyTable) bool) error {
	k := eventKinds[kind]
	ok := false
	if k != nil {
		st := u.data()
		st.mu.Lock()
		ok = do(st, k.rows(st))
		st.mu.Unlock()
	}
	if !ok {
		return fmt.Errorf("%w: %s %q", ErrNotFound, kind, xid)
	}
	s.notify(u, kind, xid, action, s.now().Unix())
	return nil
}
