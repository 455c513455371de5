package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/wire"
)

// chartDays is how many days the charts show, today included.
const chartDays = 30

// recentWorkouts is how many workouts the dashboard lists.
const recentWorkouts = 5

// profile is who the user is and where: the name for the header and the
// time zone in which the user's days begin.
type profile struct {
	First, Last string
	Zone        string
}

// location returns the user's time zone, or UTC when UP named none this
// program can load.
func (p profile) location() *time.Location {
	if loc, err := time.LoadLocation(p.Zone); err == nil && p.Zone != "" {
		return loc
	}
	return time.UTC
}

// daily is a figure per day: steps, or seconds asleep.
type daily map[wire.Date]int

// dashboardData is everything the dashboard shows, as fetched from UP.
type dashboardData struct {
	Profile  profile
	Steps    daily
	Sleep    daily
	Workouts []up.Workout
	Goals    up.Goals
}

// fetchers fetch each resource for one user; each takes the Client made
// for the request and the moment the charts end.
var fetchers = [numResources]func(ctx context.Context, c *up.Client, now time.Time, p profile) (any, error){
	resProfile:  fetchProfile,
	resMoves:    fetchMoves,
	resSleeps:   fetchSleeps,
	resWorkouts: fetchWorkouts,
	resGoals:    fetchGoals,
}

func fetchProfile(ctx context.Context, c *up.Client, now time.Time, _ profile) (any, error) {
	u, _, err := c.User(ctx)
	if err != nil {
		return nil, err
	}
	p := profile{First: u.First, Last: u.Last}
	zones, _, err := c.TimeZones(ctx, up.TimeZoneQuery{At: now})
	if err != nil {
		return nil, err
	}
	if len(zones) > 0 {
		p.Zone = zones[len(zones)-1].TZ
	}
	return p, nil
}

// chartStart returns the first instant of the first day the charts show, in
// the user's time zone.
func chartStart(now time.Time, loc *time.Location) time.Time {
	today := wire.DateOf(now.In(loc))
	return today.AddDays(-(chartDays - 1)).In(loc)
}

// sumDaily adds up figure over the events that list yields for the days the
// charts show, page after page, by the day UP dates each event.
func sumDaily[T any](ctx context.Context, now time.Time, p profile,
	list func(context.Context, up.ListQuery) iter.Seq2[T, error], figure func(T) (wire.Date, int)) (any, error) {
	sums := daily{}
	q := up.ListQuery{Range: up.Between(chartStart(now, p.location()), now), Limit: chartDays + 1}
	for e, err := range list(ctx, q) {
		if err != nil {
			return nil, err
		}
		day, n := figure(e)
		sums[day] += n
	}
	return sums, nil
}

func fetchMoves(ctx context.Context, c *up.Client, now time.Time, p profile) (any, error) {
	return sumDaily(ctx, now, p, c.Moves, func(m up.Move) (wire.Date, int) { return m.Date, m.Details.Steps })
}

func fetchSleeps(ctx context.Context, c *up.Client, now time.Time, p profile) (any, error) {
	return sumDaily(ctx, now, p, c.Sleeps, func(s up.Sleep) (wire.Date, int) { return s.Date, secondsAsleep(s.Details) })
}

// secondsAsleep is the time asleep of a sleep: its light, sound (deep) and
// REM phases, or, when UP sent no phases, the time in bed less the time
// awake.
func secondsAsleep(d up.SleepDetails) int {
	sound := d.Sound
	if sound == 0 {
		sound = d.Deep //nolint:staticcheck // v1.0 servers send deep in place of sound
	}
	if phases := d.Light + sound + d.Rem; phases > 0 {
		return phases
	}
	return max(d.Duration-d.Awake, 0)
}

func fetchWorkouts(ctx context.Context, c *up.Client, _ time.Time, _ profile) (any, error) {
	page, err := c.WorkoutsPage(ctx, up.ListQuery{Limit: recentWorkouts})
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}

func fetchGoals(ctx context.Context, c *up.Client, _ time.Time, _ profile) (any, error) {
	g, _, err := c.Goals(ctx)
	if err != nil {
		return nil, err
	}
	return *g, nil
}

// load returns the user's dashboard data: what the cache holds fresh, and
// the rest fetched from UP through c, all at once (c shares one refresh
// among the calls when the access token has expired).
func (a *App) load(ctx context.Context, key string, c *up.Client) (*dashboardData, error) {
	uc := a.cache.user(key)
	uc.fill.Lock()
	defer uc.fill.Unlock()
	now := a.now()
	need, gens := uc.stale(now, a.opts.CacheTTL)
	if len(need) > 0 {
		// The profile gives the time zone the day ranges need: fetch it first.
		if need[0] == resProfile {
			v, err := fetchProfile(ctx, c, now, profile{})
			if err != nil {
				return nil, err
			}
			uc.store(resProfile, v, gens[resProfile], now)
			a.metrics.fetched(need[:1])
			need = need[1:]
		}
		p, _ := uc.get(resProfile).(profile)
		errs := make([]error, len(need))
		var wg sync.WaitGroup
		for i, r := range need {
			wg.Go(func() {
				v, err := fetchers[r](ctx, c, now, p)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", r, err)
					return
				}
				uc.store(r, v, gens[r], now)
			})
		}
		wg.Wait()
		if err := firstError(errs); err != nil {
			return nil, err
		}
		a.metrics.fetched(need)
	}
	d := &dashboardData{}
	d.Profile, _ = uc.get(resProfile).(profile)
	d.Steps, _ = uc.get(resMoves).(daily)
	d.Sleep, _ = uc.get(resSleeps).(daily)
	d.Workouts, _ = uc.get(resWorkouts).([]up.Workout)
	d.Goals, _ = uc.get(resGoals).(up.Goals)
	return d, nil
}

// firstError returns the error that decides the page: one that asks the
// user to log in again before any other, so that a revoked user sees
// "connect again" rather than an error.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, up.ErrLoginRequired), errors.Is(err, up.ErrNoToken):
			return err
		case first == nil:
			first = err
		}
	}
	return first
}

// workoutNames are the kinds of workout UP knows, by sub_type; the form
// offers them and the lists name them.
var workoutNames = map[int]string{
	1: "Walk", 2: "Run", 3: "Weight lifting", 4: "Cross train", 5: "Nike training", 6: "Yoga", 7: "Pilates",
	8: "Body-weight exercise", 9: "CrossFit", 10: "P90X", 11: "Zumba", 12: "TRX", 13: "Swim", 14: "Bike",
	15: "Elliptical", 16: "Bar method", 17: "Kinect exercise", 18: "Tennis", 19: "Basketball", 20: "Golf",
	21: "Soccer", 22: "Ski or snowboard", 23: "Dance", 24: "Hike", 25: "Cross-country ski", 26: "Stationary bike",
	27: "Cardio", 28: "Game",
}

// workoutView is a workout as the pages show it.
type workoutView struct {
	XID       string
	Title     string
	Kind      string
	Start     string
	Duration  string
	Steps     string
	Calories  string
	Intensity string
}

var intensityNames = map[int]string{1: "easy", 2: "moderate", 3: "intermediate", 4: "difficult", 5: "hard"}

// viewWorkout describes w in the user's time zone.
func viewWorkout(w up.Workout, loc *time.Location) workoutView {
	v := workoutView{XID: w.XID, Title: w.Title, Start: w.TimeCreated.Time().In(loc).Format("Mon 2 Jan, 15:04")}
	v.Kind = workoutNames[int(w.SubType)]
	if v.Title == "" {
		v.Title = cmp.Or(v.Kind, "Workout")
	}
	d := w.Details
	if d.Time != 0 {
		v.Duration = formatDuration(time.Duration(d.Time) * time.Second)
	}
	if d.Steps != 0 {
		v.Steps = formatInt(d.Steps)
	}
	if d.Calories != 0 {
		v.Calories = formatInt(int(d.Calories + 0.5))
	}
	v.Intensity = intensityNames[int(d.Intensity)]
	if v.Duration == "" && w.TimeCompleted != 0 {
		v.Duration = formatDuration(w.TimeCompleted.Time().Sub(w.TimeCreated.Time()))
	}
	return v
}

// formatDuration writes d as "7 h 05 min" or "45 min".
func formatDuration(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

// formatInt writes n with thousands separators: 12,345.
func formatInt(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
