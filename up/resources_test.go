package up_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// fakeClient starts a fake UP server and returns it with a Client holding
// a token with the given scopes (every scope when none are given).
func fakeClient(t *testing.T, scopes []string, opts ...uptest.Option) (*uptest.Server, *up.Client) {
	t.Helper()
	s := uptest.NewServer(t, opts...)
	return s, fakeConfig(s).Client(s.MintToken(scopes...))
}

// fakeConfig is the application Config of a fake server's client.
func fakeConfig(s *uptest.Server) *up.Config {
	cfg := up.ConfigFor(s)
	cfg.RedirectURL = "http://127.0.0.1/callback"
	return cfg
}

// lastRequest returns the last API request the fake received.
func lastRequest(t *testing.T, s *uptest.Server) uptest.Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return reqs[len(reqs)-1]
}

// first returns the first item an iterator yields.
func first[T any](t *testing.T, seq func(func(T, error) bool)) T {
	t.Helper()
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	t.Fatal("the list is empty")
	panic("unreachable")
}

// TestReadOperations calls every read method once and checks the request
// it sent and what it decoded.
func TestReadOperations(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	ctx := t.Context()
	week := up.Between(time.Now().AddDate(0, 0, -7), time.Now())
	move := first(t, c.Moves(ctx, up.ListQuery{}))
	workout := first(t, c.Workouts(ctx, up.ListQuery{}))
	sleep := first(t, c.Sleeps(ctx, up.ListQuery{}))
	meal := first(t, c.Meals(ctx, up.ListQuery{}))
	body := first(t, c.BodyEvents(ctx, up.ListQuery{}))
	generic := first(t, c.GenericEvents(ctx, up.ListQuery{}))
	cardiac := first(t, c.CardiacEvents(ctx, up.ListQuery{})) //nolint:staticcheck // deprecated, still served

	tests := []struct {
		name      string
		call      func() (any, error)
		path      string
		query     url.Values // every parameter the request must carry
		checkData func(t *testing.T, got any)
	}{
		{"User", func() (any, error) { u, _, err := c.User(ctx); return u, err }, "/users/@me", nil,
			func(t *testing.T, got any) {
				if u := got.(*up.User); u.XID != s.UserXID() || u.First == "" || u.Weight == 0 {
					t.Errorf("user = %+v", u)
				}
			}},
		{"MovesPage", func() (any, error) { return c.MovesPage(ctx, up.ListQuery{Range: week, Limit: 3}) }, "/users/@me/moves",
			url.Values{"start_time": {epoch(week.Start)}, "end_time": {epoch(week.End)}, "limit": {"3"}},
			func(t *testing.T, got any) { wantItems(t, got.(*up.Page[up.Move]).Items, 3) }},
		{"Move", func() (any, error) { m, _, err := c.Move(ctx, move.XID); return m, err }, "/moves/" + move.XID, nil,
			func(t *testing.T, got any) {
				if m := got.(*up.Move); m.XID != move.XID || m.Details.HourlyTotals == nil {
					t.Errorf("move = %+v", m)
				}
			}},
		{"MoveTicksPage", func() (any, error) { return c.MoveTicksPage(ctx, move.XID) }, "/moves/" + move.XID + "/ticks", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.Tick]).Items) }},
		{"MoveImage", func() (any, error) { v, _, err := c.MoveImage(ctx, move.XID); return v, err }, "/moves/" + move.XID + "/image", nil, wantPNG},
		{"WorkoutsPage", func() (any, error) {
			return c.WorkoutsPage(ctx, up.ListQuery{Date: workout.Date, UpdatedAfter: time.Unix(1, 0)})
		}, "/users/@me/workouts", url.Values{"date": {strconv.Itoa(int(workout.Date))}, "updated_after": {"1"}},
			func(t *testing.T, got any) {
				for _, w := range got.(*up.Page[up.Workout]).Items {
					if w.Date != workout.Date {
						t.Errorf("workout of %v in a list for %v", w.Date, workout.Date)
					}
				}
			}},
		{"Workout", func() (any, error) { w, _, err := c.Workout(ctx, workout.XID); return w, err }, "/workouts/" + workout.XID, nil,
			func(t *testing.T, got any) { wantXID(t, got.(*up.Workout).XID, workout.XID) }},
		{"WorkoutTicksPage", func() (any, error) { return c.WorkoutTicksPage(ctx, workout.XID) }, "/workouts/" + workout.XID + "/ticks", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.Tick]).Items) }},
		{"WorkoutImage", func() (any, error) { v, _, err := c.WorkoutImage(ctx, workout.XID); return v, err }, "/workouts/" + workout.XID + "/image", nil, wantPNG},
		{"SleepsPage", func() (any, error) { return c.SleepsPage(ctx, up.ListQuery{Limit: 2}) }, "/users/@me/sleeps", url.Values{"limit": {"2"}},
			func(t *testing.T, got any) { wantItems(t, got.(*up.Page[up.Sleep]).Items, 2) }},
		{"Sleep", func() (any, error) { v, _, err := c.Sleep(ctx, sleep.XID); return v, err }, "/sleeps/" + sleep.XID, nil,
			func(t *testing.T, got any) {
				if sl := got.(*up.Sleep); sl.Details.Sound == 0 {
					t.Errorf("sleep details = %+v, want sound", sl.Details)
				}
			}},
		{"SleepTicksPage", func() (any, error) { return c.SleepTicksPage(ctx, sleep.XID) }, "/sleeps/" + sleep.XID + "/ticks", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.SleepTick]).Items) }},
		{"SleepImage", func() (any, error) { v, _, err := c.SleepImage(ctx, sleep.XID); return v, err }, "/sleeps/" + sleep.XID + "/image", nil, wantPNG},
		{"MealsPage", func() (any, error) { return c.MealsPage(ctx, up.ListQuery{}) }, "/users/@me/meals", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.Meal]).Items) }},
		{"Meal", func() (any, error) { v, _, err := c.Meal(ctx, meal.XID); return v, err }, "/meals/" + meal.XID, nil,
			func(t *testing.T, got any) {
				if m := got.(*up.Meal); len(m.Items.Items) == 0 {
					t.Errorf("meal %s has no items", m.XID)
				}
			}},
		{"BodyEventsPage", func() (any, error) { return c.BodyEventsPage(ctx, up.ListQuery{}) }, "/users/@me/body_events", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.BodyEvent]).Items) }},
		{"BodyEvent", func() (any, error) { v, _, err := c.BodyEvent(ctx, body.XID); return v, err }, "/body_events/" + body.XID, nil,
			func(t *testing.T, got any) { wantXID(t, got.(*up.BodyEvent).XID, body.XID) }},
		{"HeartRatesPage", func() (any, error) { return c.HeartRatesPage(ctx, up.ListQuery{}) }, "/users/@me/heartrates", nil,
			func(t *testing.T, got any) {
				for _, h := range got.(*up.Page[up.HeartRate]).Items {
					if h.RestingHeartrate == 0 || h.RestingHeartrate < 30 {
						t.Errorf("heart rate %+v", h)
					}
				}
			}},
		{"GenericEventsPage", func() (any, error) { return c.GenericEventsPage(ctx, up.ListQuery{}) }, "/users/@me/generic_events", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.Page[up.GenericEvent]).Items) }},
		{"GenericEvent", func() (any, error) { v, _, err := c.GenericEvent(ctx, generic.XID); return v, err }, "/generic_events/" + generic.XID, nil,
			func(t *testing.T, got any) { wantXID(t, got.(*up.GenericEvent).XID, generic.XID) }},
		{"CardiacEvent", func() (any, error) { v, _, err := c.CardiacEvent(ctx, cardiac.XID); return v, err }, //nolint:staticcheck // deprecated, still served
			"/cardiac_events/" + cardiac.XID, nil,
			func(t *testing.T, got any) { wantXID(t, got.(*up.CardiacEvent).XID, cardiac.XID) }},
		{"Mood", func() (any, error) { v, _, err := c.MoodOn(ctx, 0); return v, err }, "/users/@me/mood", nil, nil},
		{"BandEventsPage", func() (any, error) {
			return c.BandEventsPage(ctx, up.BandEventQuery{Range: week, CreatedAfter: time.Unix(2, 0), Limit: 4})
		}, "/users/@me/bandevents", url.Values{"created_after": {"2"}, "limit": {"4"}, "start_time": {epoch(week.Start)}},
			func(t *testing.T, got any) { wantItems(t, got.(*up.Page[up.BandEvent]).Items, 4) }},
		{"Trends", func() (any, error) {
			v, _, err := c.Trends(ctx, up.TrendsQuery{Range: up.TrendUnitWeek, RangeDuration: 2, BucketSize: up.TrendUnitDay})
			return v, err
		}, "/users/@me/trends", url.Values{"range": {"w"}, "range_duration": {"2"}, "bucket_size": {"d"}},
			func(t *testing.T, got any) {
				if tr := got.(*up.Trends); len(tr.Data) < 7 {
					t.Errorf("%d daily points over two weeks", len(tr.Data))
				}
			}},
		{"Goals", func() (any, error) { v, _, err := c.Goals(ctx); return v, err }, "/users/@me/goals", nil,
			func(t *testing.T, got any) {
				if g := got.(*up.Goals); g.MoveSteps == 0 {
					t.Errorf("goals = %+v", g)
				}
			}},
		{"Settings", func() (any, error) { v, _, err := c.Settings(ctx); return v, err }, "/users/@me/settings", nil, nil},
		{"TimeZones", func() (any, error) { v, _, err := c.TimeZones(ctx, up.TimeZoneQuery{Range: week}); return v, err }, "/users/@me/timezone",
			url.Values{"start_time": {epoch(week.Start)}},
			func(t *testing.T, got any) { wantSome(t, got.([]up.TimeZone)) }},
		{"Friends", func() (any, error) { v, _, err := c.ReloadFriends(ctx); return v, err }, "/users/@me/friends", nil,
			func(t *testing.T, got any) { wantSome(t, got.(*up.FriendList).Items) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetRequests()
			got, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			req := lastRequest(t, s)
			if req.Method != http.MethodGet || req.Path != "/nudge/api/v.1.1"+tt.path || req.AuthScheme != "Bearer" {
				t.Errorf("request %s %s (auth %q), want GET %s with a bearer token", req.Method, req.Path, req.AuthScheme, tt.path)
			}
			q, _ := url.ParseQuery(req.RawQuery)
			for k, v := range tt.query {
				if !slices.Equal(q[k], v) {
					t.Errorf("query %s = %q, want %q (query %s)", k, q[k], v, req.RawQuery)
				}
			}
			if tt.checkData != nil {
				tt.checkData(t, got)
			}
		})
	}
}

func epoch(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func wantItems[T any](t *testing.T, items []T, n int) {
	t.Helper()
	if len(items) != n {
		t.Errorf("%d items, want %d", len(items), n)
	}
}

func wantSome[T any](t *testing.T, items []T) {
	t.Helper()
	if len(items) == 0 {
		t.Error("no items")
	}
}

func wantXID(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("XID %q, want %q", got, want)
	}
}

func wantPNG(t *testing.T, got any) {
	t.Helper()
	if _, err := png.Decode(bytes.NewReader(got.([]byte))); err != nil {
		t.Errorf("image is not a PNG: %v", err)
	}
}

// pngBytes returns a small valid PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func nan() float64 { return math.NaN() }
