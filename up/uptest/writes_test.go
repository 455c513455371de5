package uptest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/uptest"
	"github.com/upapi/up-go/up/wire"
)

func TestWorkoutRoundTrip(t *testing.T) {
	clock := newClock(start)
	s := uptest.NewServer(t, uptest.WithClock(clock.Now))
	tok := s.MintToken().AccessToken
	at := start.Add(-2 * time.Hour)
	form := workoutForm(at)
	form.Set("place_lat", "37.5")
	form.Set("place_lon", "-122.25")
	form.Set("calories", "321.5")
	resp, body := postForm(t, s, tok, "/users/@me/workouts", form)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var made gen.WorkoutEnvelope
	decodeStrict(t, body, &made)
	w := made.Data
	if made.Meta.Code != 201 || w.XID == "" || w.Title != "Run" || w.Type != "workout" || w.Date != 20150318 ||
		int64(w.TimeCreated) != at.Unix() || w.Details.Calories != 321.5 || w.PlaceLat != "37.5" || w.Details.TZ != "America/Los_Angeles" {
		t.Fatalf("created workout %+v", w)
	}

	var got gen.WorkoutEnvelope
	_, body = get(t, s, tok, "/workouts/"+w.XID)
	decodeStrict(t, body, &got)
	if a, b := mustJSON(got.Data), mustJSON(w); a != b {
		t.Errorf("GET after create:\n%s\nwant\n%s", a, b)
	}

	// partialUpdate changes what is sent and bumps time_updated, even on a frozen clock.
	resp, body = postForm(t, s, tok, "/workouts/"+w.XID+"/partialUpdate", url.Values{"title": {"Easy run"}, "intensity": {"2"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	var upd gen.WorkoutEnvelope
	decodeStrict(t, body, &upd)
	u := upd.Data
	if u.Title != "Easy run" || u.Details.Intensity != 2 || u.TimeUpdated <= w.TimeUpdated {
		t.Errorf("update: title %q intensity %v time_updated %d (was %d)", u.Title, u.Details.Intensity, u.TimeUpdated, w.TimeUpdated)
	}
	if u.Details.Calories != 321.5 || u.PlaceLat != "37.5" || u.TimeCreated != w.TimeCreated || u.SubType != 2 {
		t.Errorf("update changed fields it was not sent: %+v", u)
	}

	// The workout is listed for its date, then deleted.
	p := listPage(t, s, tok, "/users/@me/workouts?date=20150318")
	if len(p.Items) == 0 || p.Items[len(p.Items)-1].XID != w.XID {
		t.Errorf("workouts of the day %v lack the new one last", p.Items)
	}
	resp, body = do(t, http.MethodDelete, s.URL+"/workouts/"+w.XID, tok, nil, "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"data":{}`) {
		t.Errorf("delete: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, s, tok, "/workouts/"+w.XID)
	errorMeta(t, resp, body, http.StatusNotFound, "NOT_FOUND")
	resp, body = do(t, http.MethodDelete, s.URL+"/workouts/"+w.XID, tok, nil, "")
	errorMeta(t, resp, body, http.StatusNotFound, "NOT_FOUND")
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSeededEventsBelongToTheBand(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	for _, res := range []struct{ list, path string }{
		{"workouts", "/workouts/"}, {"sleeps", "/sleeps/"}, {"meals", "/meals/"}, {"body_events", "/body_events/"},
		{"generic_events", "/generic_events/"}, {"cardiac_events", "/cardiac_events/"},
	} {
		xid := firstXID(t, s, tok, res.list)
		resp, body := do(t, http.MethodDelete, s.URL+res.path+xid, tok, nil, "")
		meta := errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
		if !strings.Contains(meta.ErrorDetail, "not created by this app") {
			t.Errorf("delete %s: error_detail %q", res.list, meta.ErrorDetail)
		}
		if got := status(t, s, tok, res.path+xid); got != http.StatusOK {
			t.Errorf("%s %s gone after a refused delete: %d", res.list, xid, got)
		}
	}
	xid := firstXID(t, s, tok, "workouts")
	resp, body := postForm(t, s, tok, "/workouts/"+xid+"/partialUpdate", url.Values{"title": {"Mine now"}})
	errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
}

func TestMealWithPhoto(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	m := newMultipartMeal(t, url.Values{"note": {"Salad"}, "items": {mealItems}, "sub_type": {"2"}}, "salad.png", tinyPNG(t))
	resp, body := do(t, http.MethodPost, s.URL+"/users/@me/meals", tok, bytes.NewReader(m.body), m.contentType)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("multipart create: %d %s", resp.StatusCode, body)
	}
	var env gen.MealEnvelope
	decodeStrict(t, body, &env)
	meal := env.Data
	if meal.Note != "Salad" || meal.Title != "Salad" || meal.SubType != 2 || !strings.HasSuffix(meal.Image, "_photo.png") {
		t.Errorf("meal %+v", meal)
	}
	if meal.Items.Size != 2 || meal.Items.Items[0].Name != "Oatmeal" {
		t.Errorf("meal items %+v", meal.Items)
	}
	if meal.Details.NumFoods != 1 || meal.Details.NumDrinks != 1 || meal.Details.Calories != 160 {
		t.Errorf("meal details %+v", meal.Details)
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Form.Get("photo") != "salad.png" || last.Form.Get("note") != "Salad" || !strings.HasPrefix(last.ContentType, "multipart/form-data") {
		t.Errorf("logged request %+v", last)
	}
	// Listed meals carry no items; GET /meals/{xid} does.
	p := listPage(t, s, tok, "/users/@me/meals?limit=1")
	_, raw := get(t, s, tok, "/users/@me/meals?limit=1")
	if p.Items[0].XID != meal.XID || strings.Contains(string(raw), `"items":{`) {
		t.Errorf("listed meal %s", raw)
	}
}

func TestJSONFormFieldsAreValidated(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	for _, tc := range []struct {
		name, path string
		form       url.Values
		detail     string
	}{
		{"items not JSON", "/users/@me/meals", url.Values{"note": {"x"}, "items": {"[{oops"}}, `"items" is not a JSON document`},
		{"item without a name", "/users/@me/meals", url.Values{"note": {"x"}, "items": {`[{"amount":1}]`}}, `"items"`},
		{"no items at all", "/users/@me/meals", url.Values{"note": {"x"}, "items": {`[]`}}, `"items"`},
		{"food_type out of range", "/users/@me/meals", url.Values{"note": {"x"}, "items": {`[{"name":"a","food_type":9}]`}}, `"items"`},
		{"attributes not an object", "/users/@me/generic_events", url.Values{"title": {"x"}, "verb": {"y"}, "attributes": {`[1,2]`}}, `"attributes"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := postForm(t, s, tok, tc.path, tc.form)
			meta := errorMeta(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
			if !strings.Contains(meta.ErrorDetail, tc.detail) {
				t.Errorf("error_detail %q lacks %q", meta.ErrorDetail, tc.detail)
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		detail             string
	}{
		{"limit below 1", http.MethodGet, "/users/@me/moves?limit=0", nil, `parameter "limit"`},
		{"date not a number", http.MethodGet, "/users/@me/moves?date=yesterday", nil, `parameter "date"`},
		{"date not a day", http.MethodGet, "/users/@me/meals?date=20150231", nil, "not a day"},
		{"unknown trend unit", http.MethodGet, "/users/@me/trends?range=fortnight", nil, `parameter "range"`},
		{"workout without sub_type", "POST", "/users/@me/workouts", url.Values{"time_created": {"1"}, "time_completed": {"2"}}, "sub_type"},
		{"mood out of range", "POST", "/users/@me/mood", url.Values{"title": {"x"}, "sub_type": {"9"}}, "sub_type"},
		{"empty update", "POST", "/workouts/x/partialUpdate", url.Values{}, "request body"},
		{"pubsub without webhook", "POST", "/users/@me/pubsub", url.Values{}, `parameter "webhook"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp reply
			var body []byte
			if tc.method == http.MethodGet {
				resp, body = get(t, s, tok, tc.path)
			} else {
				resp, body = postForm(t, s, tok, tc.path, tc.form)
			}
			meta := errorMeta(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
			if !strings.Contains(meta.ErrorDetail, tc.detail) || strings.Contains(meta.ErrorDetail, "\n") {
				t.Errorf("error_detail %q, want one line naming %q", meta.ErrorDetail, tc.detail)
			}
			if strings.Contains(string(body), tok) {
				t.Error("the answer holds the access token")
			}
		})
	}
	// Checks the fake makes beyond the schema.
	resp, body := postForm(t, s, tok, "/users/@me/body_events", url.Values{"title": {"Nothing measured"}})
	errorMeta(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
	resp, body = postForm(t, s, tok, "/users/@me/workouts", url.Values{"sub_type": {"1"}, "time_created": {"100"}, "time_completed": {"50"}})
	errorMeta(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
	resp, body = postForm(t, s, tok, "/users/@me/mood", url.Values{"title": {"x"}, "sub_type": {"3"}, "tz": {"Mars/Olympus_Mons"}})
	errorMeta(t, resp, body, http.StatusBadRequest, "BAD_REQUEST")
}

func TestUnknownPathsAndMethods(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	resp, body := get(t, s, tok, "/users/@me/steps")
	errorMeta(t, resp, body, http.StatusNotFound, "NOT_FOUND")
	resp, body = do(t, http.MethodPut, s.URL+"/users/@me/moves", tok, nil, "")
	errorMeta(t, resp, body, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	resp, body = get(t, s, tok, "/moves/no-such-move")
	meta := errorMeta(t, resp, body, http.StatusNotFound, "NOT_FOUND")
	if meta.UserXID != s.UserXID() {
		t.Errorf("404 meta.user_xid %q, want the user's", meta.UserXID)
	}
}

func TestAddTouchDelete(t *testing.T) {
	clock := newClock(start)
	s := uptest.NewServer(t, uptest.WithClock(clock.Now))
	tok := s.MintToken().AccessToken
	at := wire.EpochOf(start.Add(-time.Hour))
	w := uptest.Add(s, gen.Workout{SubType: 13, TimeCreated: at, TimeCompleted: at + 1800})
	if w.XID == "" || w.Title != "Swim" || w.Date != 20150318 || w.Details.TZ != "America/Los_Angeles" {
		t.Fatalf("added %+v", w)
	}
	if got := status(t, s, tok, "/workouts/"+w.XID); got != http.StatusOK {
		t.Errorf("GET added workout: %d", got)
	}
	resp, body := get(t, s, tok, "/workouts/"+w.XID+"/ticks")
	var ticks gen.TickListEnvelope
	decodeStrict(t, body, &ticks)
	if resp.StatusCode != http.StatusOK || ticks.Data.Size != 3 {
		t.Errorf("ticks of an added 30-minute workout: %d items", ticks.Data.Size)
	}
	// A second event on the same second moves on by one.
	w2 := uptest.Add(s, gen.Workout{SubType: 1, TimeCreated: at})
	if w2.TimeCreated != at+1 {
		t.Errorf("second workout at %d, want %d", w2.TimeCreated, at+1)
	}

	if err := s.Touch(uptest.KindWorkout, w.XID); err != nil {
		t.Fatal(err)
	}
	var got gen.WorkoutEnvelope
	_, body = get(t, s, tok, "/workouts/"+w.XID)
	decodeStrict(t, body, &got)
	if got.Data.TimeUpdated <= w.TimeUpdated {
		t.Errorf("Touch left time_updated at %d", got.Data.TimeUpdated)
	}
	// An added event belongs to the band: the app cannot delete it, a test can.
	resp, body = do(t, http.MethodDelete, s.URL+"/workouts/"+w.XID, tok, nil, "")
	errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
	if err := s.Delete(uptest.KindWorkout, w.XID); err != nil {
		t.Fatal(err)
	}
	if got := status(t, s, tok, "/workouts/"+w.XID); got != http.StatusNotFound {
		t.Errorf("after Delete: %d", got)
	}
	if err := s.Delete(uptest.KindWorkout, w.XID); !errors.Is(err, uptest.ErrNotFound) {
		t.Errorf("second Delete: %v, want ErrNotFound", err)
	}
	if err := s.Touch(uptest.KindMeal, "nope"); !errors.Is(err, uptest.ErrNotFound) {
		t.Errorf("Touch of a missing meal: %v", err)
	}

	mood := uptest.Add(s, gen.Mood{SubType: 2})
	_, body = get(t, s, tok, "/users/@me/mood")
	var env gen.MoodEnvelope
	decodeStrict(t, body, &env)
	if env.Data.XID != mood.XID || env.Data.Title != "Pumped Up" {
		t.Errorf("today's mood %+v, want the added one", env.Data)
	}
}

func TestMoodOfADay(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithClock(func() time.Time { return start }))
	tok := s.MintToken().AccessToken
	_, body := get(t, s, tok, "/users/@me/mood")
	if !strings.Contains(string(body), `"data":{}`) {
		t.Errorf("today has no mood yet: %s", body)
	}
	resp, body := postForm(t, s, tok, "/users/@me/mood", url.Values{"title": {"Energized"}, "sub_type": {"3"}, "time_created": {strconv.FormatInt(start.Add(-24*time.Hour).Unix(), 10)}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create mood: %d %s", resp.StatusCode, body)
	}
	var env gen.MoodEnvelope
	_, body = get(t, s, tok, "/users/@me/mood?date=20150317")
	decodeStrict(t, body, &env)
	if env.Data.Title != "Energized" || env.Data.Date != 20150317 {
		t.Errorf("mood of 2015-03-17: %s", body)
	}
}

func TestGoalsAndRefreshToken(t *testing.T) {
	s := uptest.NewServer(t)
	minted := s.MintToken()
	tok := minted.AccessToken
	var before, after gen.GoalsEnvelope
	_, body := get(t, s, tok, "/users/@me/goals")
	decodeStrict(t, body, &before)
	_, body = postForm(t, s, tok, "/users/@me/goals", url.Values{"sleep_total": {"30000"}})
	decodeStrict(t, body, &after)
	if after.Data.SleepTotal != 30000 || after.Data.MoveSteps != before.Data.MoveSteps {
		t.Errorf("goals after setting sleep_total: %+v", after.Data)
	}

	resp, body := postForm(t, s, tok, "/users/@me/refreshToken", url.Values{"secret": {s.ClientSecret}})
	var rt gen.RefreshTokenEnvelope
	decodeStrict(t, body, &rt)
	if resp.StatusCode != http.StatusOK || rt.Data.RefreshToken != minted.RefreshToken {
		t.Errorf("refreshToken: %d %+v", resp.StatusCode, rt.Data)
	}
	resp, body = postForm(t, s, tok, "/users/@me/refreshToken", url.Values{"secret": {"guess"}})
	errorMeta(t, resp, body, http.StatusForbidden, "FORBIDDEN")
}

func TestTicksMatchTheirEvents(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	var mv gen.MoveEnvelope
	_, body := get(t, s, tok, "/moves/"+firstXID(t, s, tok, "moves"))
	decodeStrict(t, body, &mv)
	var ticks gen.TickListEnvelope
	_, body = get(t, s, tok, "/moves/"+mv.Data.XID+"/ticks")
	decodeStrict(t, body, &ticks)
	steps, hourly := 0, 0
	for i, tk := range ticks.Data.Items {
		steps += tk.Steps
		if i > 0 && tk.Time-ticks.Data.Items[i-1].Time != 600 {
			t.Fatalf("ticks %d and %d are not ten minutes apart", i-1, i)
		}
	}
	for _, h := range mv.Data.Details.HourlyTotals {
		hourly += h.Steps
	}
	if steps != mv.Data.Details.Steps || hourly != steps || mv.Data.Title != thousands(steps)+" steps" {
		t.Errorf("move steps %d, title %q, hourly totals %d, ticks %d", mv.Data.Details.Steps, mv.Data.Title, hourly, steps)
	}

	var sl gen.SleepEnvelope
	_, body = get(t, s, tok, "/sleeps/"+firstXID(t, s, tok, "sleeps"))
	decodeStrict(t, body, &sl)
	d := sl.Data.Details
	if d.Duration-d.Awake != d.Light+d.Sound+d.Rem {
		t.Errorf("sleep: duration %d - awake %d != light %d + sound %d + rem %d", d.Duration, d.Awake, d.Light, d.Sound, d.Rem)
	}
	var phases gen.SleepTickListEnvelope
	_, body = get(t, s, tok, "/sleeps/"+sl.Data.XID+"/ticks")
	decodeStrict(t, body, &phases)
	first := phases.Data.Items[0]
	if first.Time != sl.Data.TimeCreated || first.Depth != 1 || phases.Data.Items[1].Time != d.AsleepTime {
		t.Errorf("sleep ticks start %+v %+v, want awake at bedtime then asleep at %d", first, phases.Data.Items[1], d.AsleepTime)
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func TestDeterministicData(t *testing.T) {
	clock := func() time.Time { return start }
	a := uptest.NewServer(t, uptest.WithSeed(7), uptest.WithClock(clock))
	b := uptest.NewServer(t, uptest.WithSeed(7), uptest.WithClock(func() time.Time { return start.Add(5 * time.Hour) }))
	c := uptest.NewServer(t, uptest.WithSeed(8), uptest.WithClock(clock))
	if a.UserXID() != b.UserXID() || a.ClientID != b.ClientID || a.ClientSecret != b.ClientSecret {
		t.Error("same seed, different user or client")
	}
	if a.UserXID() == c.UserXID() {
		t.Error("different seeds, same user")
	}
	for _, res := range []string{"moves", "sleeps", "meals", "workouts", "bandevents"} {
		path := "/users/@me/" + res + "?limit=1000"
		_, ba := get(t, a, a.MintToken().AccessToken, path)
		_, bb := get(t, b, b.MintToken().AccessToken, path)
		_, bc := get(t, c, c.MintToken().AccessToken, path)
		if trimTime(ba) != trimTime(bb) {
			t.Errorf("%s: same seed and day, different data", res)
		}
		if trimTime(ba) == trimTime(bc) {
			t.Errorf("%s: different seeds, same data", res)
		}
	}
	// A day's data depends on the seed and that date only, not on today.
	later := uptest.NewServer(t, uptest.WithSeed(7), uptest.WithClock(func() time.Time { return start.AddDate(0, 0, 3) }))
	for _, res := range []string{"moves", "sleeps", "meals", "workouts"} {
		path := "/users/@me/" + res + "?date=20150310"
		_, ba := get(t, a, a.MintToken().AccessToken, path)
		_, bl := get(t, later, later.MintToken().AccessToken, path)
		if trimTime(ba) != trimTime(bl) {
			t.Errorf("%s of 10 March differ when today is three days later", res)
		}
	}
	// The days before today are the WithDays days, dated in Los Angeles.
	p := listPage(t, a, a.MintToken().AccessToken, "/users/@me/moves?limit=1000")
	if len(p.Items) != 30 || p.Items[0].Date != 20150317 || p.Items[29].Date != 20150216 {
		t.Errorf("%d moves from %d back to %d, want 30 from 20150317 to 20150216", len(p.Items), p.Items[0].Date, p.Items[len(p.Items)-1].Date)
	}
}

func TestTrends(t *testing.T) {
	s := uptest.NewServer(t, uptest.WithClock(func() time.Time { return start }))
	sleepOnly := s.MintToken("sleep_read").AccessToken
	_, body := get(t, s, sleepOnly, "/users/@me/trends?end_date=20150317&range=w&range_duration=2&bucket_size=w")
	var env gen.TrendsEnvelope
	decodeStrict(t, body, &env)
	// Two weeks back from Tuesday 17 March: buckets start Monday 2, 9 and 16 March.
	if len(env.Data.Data) != 3 || env.Data.Data[0].Date != 20150302 || env.Data.Data[2].Date != 20150316 {
		t.Fatalf("buckets %s", body)
	}
	for _, pt := range env.Data.Data {
		m := pt.Value
		if m.SDuration == nil || m.SSound == nil {
			t.Errorf("%d: no sleep metrics with sleep_read", pt.Date)
		}
		if m.MSteps != nil || m.ECalories != nil || m.Weight != nil {
			t.Errorf("%d: metrics beyond sleep_read: %s", pt.Date, mustJSON(m))
		}
	}
	all := s.MintToken().AccessToken
	_, body = get(t, s, all, "/users/@me/trends?end_date=20150317&range_duration=3")
	decodeStrict(t, body, &env)
	if len(env.Data.Data) != 3 || env.Data.Data[2].Date != 20150317 || env.Data.Earliest != 20150216 {
		t.Fatalf("daily trends %s", body)
	}
	var mv gen.MoveListEnvelope
	_, moves := get(t, s, all, "/users/@me/moves?date=20150317")
	decodeStrict(t, moves, &mv)
	if got := env.Data.Data[2].Value; got.MSteps == nil || int(*got.MSteps) != mv.Data.Items[0].Details.Steps || got.Weight == nil || got.ECalories == nil {
		t.Errorf("17 March trend %s, want the day's %d steps", mustJSON(got), mv.Data.Items[0].Details.Steps)
	}
}

// TestConcurrentUse drives one server from many goroutines, for the race
// detector: reads, writes, webhooks and test-side changes at once.
func TestConcurrentUse(t *testing.T) {
	s := uptest.NewServer(t)
	rc := newReceiver(t)
	tok := s.MintToken().AccessToken
	subscribe(t, s, tok, rc.srv.URL)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				at := start.Add(-time.Duration(g*100+i) * time.Hour)
				form := workoutForm(at)
				resp, body := postForm(t, s, tok, "/users/@me/workouts", form)
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("create: %d %s", resp.StatusCode, body)
					return
				}
				var env gen.WorkoutEnvelope
				_ = json.Unmarshal(body, &env)
				postForm(t, s, tok, "/workouts/"+env.Data.XID+"/partialUpdate", url.Values{"title": {"x"}})
				get(t, s, tok, "/users/@me/workouts?limit=5")
				get(t, s, tok, "/users/@me/trends")
				uptest.Add(s, gen.Mood{SubType: gen.MoodType(1 + i%8)})
				do(t, http.MethodDelete, s.URL+"/workouts/"+env.Data.XID, tok, nil, "")
				_ = s.Requests()
			}
		}()
	}
	wg.Wait()
	wait(t, s)
	if n := len(rc.notifications()); n != 8*10*4 {
		t.Errorf("%d notifications, want %d", n, 8*10*4)
	}
}
