package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/upapi/up-go/up"
)

// listQuery is what list and export ask UP for.
type listQuery struct {
	date         up.Date
	rng          up.TimeRange
	updatedAfter time.Time // for band events: created after
	limit        int
}

func (q listQuery) list() up.ListQuery {
	return up.ListQuery{Date: q.date, Range: q.rng, UpdatedAfter: q.updatedAfter, Limit: q.limit}
}

func (q listQuery) band() up.BandEventQuery {
	return up.BandEventQuery{Date: q.date, Range: q.rng, CreatedAfter: q.updatedAfter, Limit: q.limit}
}

// resource is a list endpoint of the API, whatever its item type.
type resource interface {
	Name() string
	// Deprecated says why the resource should not be used, or "".
	Deprecated() string
	// list writes the items q selects to w as they arrive, at most max
	// (0: all), and returns how many it wrote.
	list(ctx context.Context, c *up.Client, q listQuery, max int, format string, w io.Writer) (int, error)
	// startExport schedules the export of the resource, from where rs says.
	startExport(x *exporter, rs *resourceState)
}

// kind is a resource whose items are of type T.
type kind[T any] struct {
	name       string
	deprecated string
	iterate    func(context.Context, *up.Client, listQuery) iter.Seq2[T, error]
	first      func(context.Context, *up.Client, listQuery) (*up.Page[T], error)
	when       func(T) (up.Epoch, up.Date)
	columns    func(z *zones) []column[T]
	// xid is the item's XID, for the events that have ticks.
	xid func(T) string
	// perDay is about how many items a day a user who wears the band
	// has: export's guess of which resources have the most pages, until
	// their first page tells.
	perDay float64
}

func (k *kind[T]) Name() string       { return k.name }
func (k *kind[T]) Deprecated() string { return k.deprecated }

func (k *kind[T]) list(ctx context.Context, c *up.Client, q listQuery, max int, format string, w io.Writer) (int, error) {
	out, err := newWriter(format, w, k.columns(newZones()))
	if err != nil {
		return 0, err
	}
	// Nothing is printed before UP has answered: a failed first request
	// leaves stdout empty, without a header or an opening bracket.
	n := 0
	for item, err := range k.iterate(ctx, c, q) {
		if err != nil {
			if n > 0 {
				_ = out.end()
			}
			return n, err
		}
		if n == 0 {
			if err := out.begin(); err != nil {
				return n, err
			}
		}
		if err := out.write(item); err != nil {
			return n, err
		}
		n++
		if max > 0 && n >= max {
			break
		}
	}
	if n == 0 {
		if err := out.begin(); err != nil {
			return 0, err
		}
	}
	return n, out.end()
}

func (k *kind[T]) startExport(x *exporter, rs *resourceState) {
	startChain(x, k, rs)
}

// column is a column of the table and CSV formats.
type column[T any] struct {
	name string
	// width is the column's width in the table; 0 leaves it out of the
	// table (CSV only).
	width int
	// csv renders the value for CSV, plainly (seconds, full precision, RFC 3339).
	csv func(T) string
	// table renders it for people; nil means as csv does.
	table func(T) string
}

// resources returns every list resource, in the order of help and export.
func resources() []resource {
	return []resource{moves(), workouts(), sleeps(), meals(), bodyEvents(), heartRates(), genericEvents(), bandEvents(), cardiacEvents()}
}

func resourceNames() []string {
	var names []string
	for _, r := range resources() {
		names = append(names, r.Name())
	}
	return names
}

func lookupResource(name string) resource {
	i := slices.IndexFunc(resources(), func(r resource) bool { return r.Name() == name })
	if i < 0 {
		return nil
	}
	return resources()[i]
}

// common columns.

func xidCol[T any](xid func(T) string) column[T] {
	return column[T]{name: "xid", width: 22, csv: xid}
}

func dateCol[T any](date func(T) up.Date) column[T] {
	return column[T]{name: "date", width: 10, csv: func(v T) string { return date(v).String() }}
}

// timeCol shows a moment: RFC 3339 in CSV, the clock time in the table
// (with the date when withDate), both in the event's zone; nothing for the
// zero moment, which UP sends for one it does not know.
func timeCol[T any](z *zones, name string, width int, at func(T) up.Epoch, tz func(T) string, withDate bool) column[T] {
	layout := "15:04"
	if withDate {
		layout = "2006-01-02 15:04"
	}
	show := func(v T, layout string) string {
		e := at(v)
		if e == 0 {
			return ""
		}
		return e.Time().In(z.get(tz(v))).Format(layout)
	}
	return column[T]{
		name: name, width: width,
		csv:   func(v T) string { return show(v, time.RFC3339) },
		table: func(v T) string { return show(v, layout) },
	}
}

func strCol[T any](name string, width int, s func(T) string) column[T] {
	return column[T]{name: name, width: width, csv: s}
}

func intCol[T any](name string, width int, n func(T) int) column[T] {
	return column[T]{name: name, width: width, csv: func(v T) string { return strconv.Itoa(n(v)) }}
}

// durCol is a number of seconds, shown as 1h23m in the table.
func durCol[T any](name string, width int, n func(T) int) column[T] {
	return column[T]{
		name: name, width: width,
		csv:   func(v T) string { return strconv.Itoa(n(v)) },
		table: func(v T) string { return fmtDuration(n(v)) },
	}
}

// floatCol is a number, shown with prec decimals in the table.
func floatCol[T any](name string, width, prec int, f func(T) float64) column[T] {
	return optFloatCol(name, width, prec, func(v T) *float64 { x := f(v); return &x })
}

// optFloatCol is a number that may be absent (a body measurement not
// taken), shown as nothing then.
func optFloatCol[T any](name string, width, prec int, f func(T) *float64) column[T] {
	return column[T]{
		name: name, width: width,
		csv: func(v T) string {
			if p := f(v); p != nil {
				return strconv.FormatFloat(*p, 'f', -1, 64)
			}
			return ""
		},
		table: func(v T) string {
			if p := f(v); p != nil {
				return strconv.FormatFloat(*p, 'f', prec, 64)
			}
			return ""
		},
	}
}

func fmtDuration(sec int) string {
	// Whole numbers, not a time.Duration, which a huge value from the
	// server would overflow.
	h, m := sec/3600, sec%3600/60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// zones caches the time zones events name.
type zones struct{ m map[string]*time.Location }

func newZones() *zones { return &zones{m: map[string]*time.Location{}} }

// get returns the zone named tz, or UTC when there is none or it is unknown.
func (z *zones) get(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if loc, ok := z.m[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	z.m[name] = loc
	return loc
}

// The resources.

func moves() resource {
	d := func(m up.Move) up.MoveDetails { return m.Details }
	tz := func(m up.Move) string { return d(m).TZ }
	return &kind[up.Move]{
		name:   "moves",
		perDay: 1,
		xid:    func(m up.Move) string { return m.XID },
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.Move, error] {
			return c.Moves(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.Move], error) {
			return c.MovesPage(ctx, q.list())
		},
		when: func(m up.Move) (up.Epoch, up.Date) { return m.TimeCreated, m.Date },
		columns: func(z *zones) []column[up.Move] {
			return []column[up.Move]{
				xidCol(func(m up.Move) string { return m.XID }),
				dateCol(func(m up.Move) up.Date { return m.Date }),
				intCol("steps", 6, func(m up.Move) int { return d(m).Steps }),
				floatCol("km", 6, 2, func(m up.Move) float64 { return d(m).Km }),
				durCol("active_time", 11, func(m up.Move) int { return d(m).ActiveTime }),
				floatCol("calories", 8, 0, func(m up.Move) float64 { return d(m).Calories }),
				timeCol(z, "time_created", 0, func(m up.Move) up.Epoch { return m.TimeCreated }, tz, true),
				timeCol(z, "time_updated", 0, func(m up.Move) up.Epoch { return m.TimeUpdated }, tz, true),
				strCol("title", 0, func(m up.Move) string { return m.Title }),
				floatCol("distance", 0, 0, func(m up.Move) float64 { return d(m).Distance }),
				durCol("inactive_time", 0, func(m up.Move) int { return d(m).InactiveTime }),
				durCol("longest_active", 0, func(m up.Move) int { return d(m).LongestActive }),
				durCol("longest_idle", 0, func(m up.Move) int { return d(m).LongestIdle }),
				floatCol("bmr_day", 0, 0, func(m up.Move) float64 { return d(m).BMRDay }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func workouts() resource {
	d := func(w up.Workout) up.WorkoutDetails { return w.Details }
	tz := func(w up.Workout) string { return d(w).TZ }
	return &kind[up.Workout]{
		name:   "workouts",
		perDay: 1,
		xid:    func(w up.Workout) string { return w.XID },
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.Workout, error] {
			return c.Workouts(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.Workout], error) {
			return c.WorkoutsPage(ctx, q.list())
		},
		when: func(w up.Workout) (up.Epoch, up.Date) { return w.TimeCreated, w.Date },
		columns: func(z *zones) []column[up.Workout] {
			return []column[up.Workout]{
				xidCol(func(w up.Workout) string { return w.XID }),
				dateCol(func(w up.Workout) up.Date { return w.Date }),
				timeCol(z, "time_created", 12, func(w up.Workout) up.Epoch { return w.TimeCreated }, tz, false),
				strCol("title", 20, func(w up.Workout) string { return w.Title }),
				durCol("time", 6, func(w up.Workout) int { return d(w).Time }),
				intCol("steps", 6, func(w up.Workout) int { return d(w).Steps }),
				floatCol("km", 6, 2, func(w up.Workout) float64 { return d(w).Km }),
				floatCol("calories", 8, 0, func(w up.Workout) float64 { return d(w).Calories }),
				timeCol(z, "time_completed", 0, func(w up.Workout) up.Epoch { return w.TimeCompleted }, tz, true),
				timeCol(z, "time_updated", 0, func(w up.Workout) up.Epoch { return w.TimeUpdated }, tz, true),
				intCol("sub_type", 0, func(w up.Workout) int { return int(w.SubType) }),
				intCol("intensity", 0, func(w up.Workout) int { return int(d(w).Intensity) }),
				strCol("place_name", 0, func(w up.Workout) string { return w.PlaceName }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func sleeps() resource {
	d := func(s up.Sleep) up.SleepDetails { return s.Details }
	tz := func(s up.Sleep) string { return d(s).TZ }
	return &kind[up.Sleep]{
		name:   "sleeps",
		perDay: 1,
		xid:    func(s up.Sleep) string { return s.XID },
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.Sleep, error] {
			return c.Sleeps(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.Sleep], error) {
			return c.SleepsPage(ctx, q.list())
		},
		when: func(s up.Sleep) (up.Epoch, up.Date) { return s.TimeCreated, s.Date },
		columns: func(z *zones) []column[up.Sleep] {
			return []column[up.Sleep]{
				xidCol(func(s up.Sleep) string { return s.XID }),
				dateCol(func(s up.Sleep) up.Date { return s.Date }),
				strCol("title", 14, func(s up.Sleep) string { return s.Title }),
				durCol("duration", 8, func(s up.Sleep) int { return d(s).Duration }),
				durCol("light", 6, func(s up.Sleep) int { return d(s).Light }),
				durCol("sound", 6, func(s up.Sleep) int { return d(s).Sound }),
				intCol("awakenings", 10, func(s up.Sleep) int { return d(s).Awakenings }),
				intCol("quality", 7, func(s up.Sleep) int { return d(s).Quality }),
				timeCol(z, "time_created", 0, func(s up.Sleep) up.Epoch { return s.TimeCreated }, tz, true),
				timeCol(z, "time_completed", 0, func(s up.Sleep) up.Epoch { return s.TimeCompleted }, tz, true),
				timeCol(z, "asleep_time", 0, func(s up.Sleep) up.Epoch { return d(s).AsleepTime }, tz, true),
				timeCol(z, "awake_time", 0, func(s up.Sleep) up.Epoch { return d(s).AwakeTime }, tz, true),
				durCol("rem", 0, func(s up.Sleep) int { return d(s).Rem }),
				durCol("awake", 0, func(s up.Sleep) int { return d(s).Awake }),
				strCol("place_name", 0, func(s up.Sleep) string { return s.PlaceName }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func meals() resource {
	d := func(m up.Meal) up.MealDetails { return m.Details }
	tz := func(m up.Meal) string { return d(m).TZ }
	return &kind[up.Meal]{
		name:   "meals",
		perDay: 2.5,
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.Meal, error] {
			return c.Meals(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.Meal], error) {
			return c.MealsPage(ctx, q.list())
		},
		when: func(m up.Meal) (up.Epoch, up.Date) { return m.TimeCreated, m.Date },
		columns: func(z *zones) []column[up.Meal] {
			return []column[up.Meal]{
				xidCol(func(m up.Meal) string { return m.XID }),
				dateCol(func(m up.Meal) up.Date { return m.Date }),
				timeCol(z, "time_created", 12, func(m up.Meal) up.Epoch { return m.TimeCreated }, tz, false),
				strCol("title", 30, func(m up.Meal) string { return m.Title }),
				floatCol("calories", 8, 0, func(m up.Meal) float64 { return d(m).Calories }),
				floatCol("protein", 7, 1, func(m up.Meal) float64 { return d(m).Protein }),
				floatCol("carbohydrate", 12, 1, func(m up.Meal) float64 { return d(m).Carbohydrate }),
				floatCol("fat", 5, 1, func(m up.Meal) float64 { return d(m).Fat }),
				strCol("note", 0, func(m up.Meal) string { return m.Note }),
				intCol("sub_type", 0, func(m up.Meal) int { return int(m.SubType) }),
				floatCol("fiber", 0, 1, func(m up.Meal) float64 { return d(m).Fiber }),
				floatCol("sugar", 0, 1, func(m up.Meal) float64 { return d(m).Sugar }),
				floatCol("sodium", 0, 1, func(m up.Meal) float64 { return d(m).Sodium }),
				intCol("num_foods", 0, func(m up.Meal) int { return d(m).NumFoods }),
				intCol("num_drinks", 0, func(m up.Meal) int { return d(m).NumDrinks }),
				strCol("place_name", 0, func(m up.Meal) string { return m.PlaceName }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func bodyEvents() resource {
	tz := func(b up.BodyEvent) string { return b.Details.TZ }
	return &kind[up.BodyEvent]{
		name:   "body_events",
		perDay: 0.2,
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.BodyEvent, error] {
			return c.BodyEvents(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.BodyEvent], error) {
			return c.BodyEventsPage(ctx, q.list())
		},
		when: func(b up.BodyEvent) (up.Epoch, up.Date) { return b.TimeCreated, b.Date },
		columns: func(z *zones) []column[up.BodyEvent] {
			return []column[up.BodyEvent]{
				xidCol(func(b up.BodyEvent) string { return b.XID }),
				dateCol(func(b up.BodyEvent) up.Date { return b.Date }),
				strCol("title", 14, func(b up.BodyEvent) string { return b.Title }),
				optFloatCol("weight", 6, 1, func(b up.BodyEvent) *float64 { return b.Weight }),
				optFloatCol("body_fat", 8, 1, func(b up.BodyEvent) *float64 { return b.BodyFat }),
				optFloatCol("bmi", 5, 1, func(b up.BodyEvent) *float64 { return b.BMI }),
				timeCol(z, "time_created", 0, func(b up.BodyEvent) up.Epoch { return b.TimeCreated }, tz, true),
				optFloatCol("lean_mass", 0, 1, func(b up.BodyEvent) *float64 { return b.LeanMass }),
				optFloatCol("waistline", 0, 1, func(b up.BodyEvent) *float64 { return b.Waistline }),
				strCol("note", 0, func(b up.BodyEvent) string { return b.Note }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func heartRates() resource {
	tz := func(h up.HeartRate) string { return h.Details.TZ }
	return &kind[up.HeartRate]{
		name:   "heartrates",
		perDay: 1,
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.HeartRate, error] {
			return c.HeartRates(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.HeartRate], error) {
			return c.HeartRatesPage(ctx, q.list())
		},
		when: func(h up.HeartRate) (up.Epoch, up.Date) { return h.TimeCreated, h.Date },
		columns: func(z *zones) []column[up.HeartRate] {
			return []column[up.HeartRate]{
				xidCol(func(h up.HeartRate) string { return h.XID }),
				dateCol(func(h up.HeartRate) up.Date { return h.Date }),
				intCol("resting_heartrate", 17, func(h up.HeartRate) int { return h.RestingHeartrate }),
				timeCol(z, "time_created", 0, func(h up.HeartRate) up.Epoch { return h.TimeCreated }, tz, true),
				strCol("title", 0, func(h up.HeartRate) string { return h.Title }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func genericEvents() resource {
	tz := func(g up.GenericEvent) string { return g.Details.TZ }
	return &kind[up.GenericEvent]{
		name:   "generic_events",
		perDay: 0.2,
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.GenericEvent, error] {
			return c.GenericEvents(ctx, q.list())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.GenericEvent], error) {
			return c.GenericEventsPage(ctx, q.list())
		},
		when: func(g up.GenericEvent) (up.Epoch, up.Date) { return g.TimeCreated, g.Date },
		columns: func(z *zones) []column[up.GenericEvent] {
			return []column[up.GenericEvent]{
				xidCol(func(g up.GenericEvent) string { return g.XID }),
				dateCol(func(g up.GenericEvent) up.Date { return g.Date }),
				strCol("title", 30, func(g up.GenericEvent) string { return g.Title }),
				strCol("verb", 10, func(g up.GenericEvent) string { return g.Verb }),
				timeCol(z, "time_created", 0, func(g up.GenericEvent) up.Epoch { return g.TimeCreated }, tz, true),
				strCol("note", 0, func(g up.GenericEvent) string { return g.Note }),
				{name: "attributes", csv: func(g up.GenericEvent) string {
					if g.Attributes == nil {
						return ""
					}
					b, _ := json.Marshal(g.Attributes)
					return string(b)
				}},
				strCol("place_name", 0, func(g up.GenericEvent) string { return g.PlaceName }),
				strCol("tz", 0, tz),
			}
		},
	}
}

func bandEvents() resource {
	tz := func(b up.BandEvent) string { return b.TZ }
	return &kind[up.BandEvent]{
		name:   "bandevents",
		perDay: 3,
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[up.BandEvent, error] {
			return c.BandEvents(ctx, q.band())
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[up.BandEvent], error) {
			return c.BandEventsPage(ctx, q.band())
		},
		when: func(b up.BandEvent) (up.Epoch, up.Date) { return b.TimeCreated, b.Date },
		columns: func(z *zones) []column[up.BandEvent] {
			return []column[up.BandEvent]{
				dateCol(func(b up.BandEvent) up.Date { return b.Date }),
				timeCol(z, "time_created", 16, func(b up.BandEvent) up.Epoch { return b.TimeCreated }, tz, true),
				{name: "action", width: 22, csv: func(b up.BandEvent) string { return string(b.Action) }},
				strCol("tz", 0, tz),
			}
		},
	}
}

// cardiacEvent is the deprecated API v1.0 type, still served.
type cardiacEvent = up.CardiacEvent //nolint:staticcheck // cardiac events are deprecated, still listed and exported

func cardiacEvents() resource {
	tz := func(e cardiacEvent) string { return e.Details.TZ }
	return &kind[cardiacEvent]{
		name:       "cardiac_events",
		perDay:     0.1,
		deprecated: "cardiac_events are deprecated (UP API v1.0): UP v1.1 serves resting heart rates as heartrates",
		iterate: func(ctx context.Context, c *up.Client, q listQuery) iter.Seq2[cardiacEvent, error] {
			return c.CardiacEvents(ctx, q.list()) //nolint:staticcheck // deprecated, still served
		},
		first: func(ctx context.Context, c *up.Client, q listQuery) (*up.Page[cardiacEvent], error) {
			return c.CardiacEventsPage(ctx, q.list()) //nolint:staticcheck // deprecated, still served
		},
		when: func(e cardiacEvent) (up.Epoch, up.Date) { return e.TimeCreated, e.Date },
		columns: func(z *zones) []column[cardiacEvent] {
			return []column[cardiacEvent]{
				xidCol(func(e cardiacEvent) string { return e.XID }),
				dateCol(func(e cardiacEvent) up.Date { return e.Date }),
				intCol("heart_rate", 10, func(e cardiacEvent) int { return e.HeartRate }),
				intCol("systolic_pressure", 17, func(e cardiacEvent) int { return e.SystolicPressure }),
				intCol("diastolic_pressure", 18, func(e cardiacEvent) int { return e.DiastolicPressure }),
				timeCol(z, "time_created", 0, func(e cardiacEvent) up.Epoch { return e.TimeCreated }, tz, true),
				strCol("title", 0, func(e cardiacEvent) string { return e.Title }),
				strCol("tz", 0, tz),
			}
		},
	}
}
