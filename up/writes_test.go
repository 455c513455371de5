package up_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// TestWorkoutRoundTrip creates, reads, updates and deletes a workout
// through the fake, checking the form each write sends.
func TestWorkoutRoundTrip(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	ctx := t.Context()
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	created, resp, err := c.CreateWorkout(ctx, up.WorkoutCreate{
		SubType:       up.WorkoutRun,
		TimeCreated:   up.Ptr(up.EpochOf(start)),
		TimeCompleted: up.Ptr(up.EpochOf(start.Add(40 * time.Minute))),
		Title:         up.Ptr("Morning run"),
		Distance:      up.Ptr(5123.5),
		Intensity:     up.Ptr(up.IntensityDifficult),
		PlaceLat:      up.Ptr(37.451572),
		Share:         up.Ptr(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || resp.Meta.UserXID != s.UserXID() {
		t.Errorf("create answered %d for user %q", resp.StatusCode, resp.Meta.UserXID)
	}
	req := lastRequest(t, s)
	want := map[string]string{
		"sub_type": "2", "time_created": epoch(start), "time_completed": epoch(start.Add(40 * time.Minute)),
		"title": "Morning run", "distance": "5123.5", "intensity": "4", "place_lat": "37.451572", "share": "false",
	}
	if req.Method != http.MethodPost || req.ContentType != "application/x-www-form-urlencoded" {
		t.Errorf("create sent %s %s", req.Method, req.ContentType)
	}
	for k, v := range want {
		if got := req.Form.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(req.Form) != len(want) {
		t.Errorf("form has %d fields (%v), want %d: unset fields must not be sent", len(req.Form), req.Form, len(want))
	}
	if created.Title != "Morning run" || created.Details.Intensity != up.IntensityDifficult {
		t.Errorf("created %+v", created)
	}

	updated, _, err := c.UpdateWorkout(ctx, created.XID, up.WorkoutUpdate{Title: up.Ptr("Evening run")})
	if err != nil {
		t.Fatal(err)
	}
	if req := lastRequest(t, s); req.Path != "/nudge/api/v.1.1/workouts/"+created.XID+"/partialUpdate" || len(req.Form) != 1 {
		t.Errorf("update sent %s with %v", req.Path, req.Form)
	}
	if updated.Title != "Evening run" || updated.Details.Intensity != 4 {
		t.Errorf("after update %+v: the title must change and nothing else", updated)
	}
	got, _, err := c.Workout(ctx, created.XID)
	if err != nil || got.Title != "Evening run" {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if _, err := c.DeleteWorkout(ctx, created.XID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Workout(ctx, created.XID); !errors.Is(err, up.ErrNotFound) {
		t.Errorf("after delete: %v, want ErrNotFound", err)
	}
}

// TestDeleteOthersForbidden checks the typed error for deleting an event
// this application did not create.
func TestDeleteOthersForbidden(t *testing.T) {
	t.Parallel()
	_, c := fakeClient(t, nil)
	w := first(t, c.Workouts(t.Context(), up.ListQuery{}))
	_, err := c.DeleteWorkout(t.Context(), w.XID)
	var apiErr *up.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, up.ErrForbidden) || apiErr.Meta == nil || apiErr.Meta.ErrorDetail == "" {
		t.Errorf("delete of a seeded workout: %v, want a 403 *APIError with detail", err)
	}
}

// TestOtherWrites round-trips every other writable resource.
func TestOtherWrites(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	ctx := t.Context()
	now := up.EpochOf(time.Now().Add(-time.Hour))

	sl, _, err := c.CreateSleep(ctx, up.SleepCreate{TimeCreated: now - 8*3600, TimeCompleted: up.Ptr(now)})
	if err != nil {
		t.Fatal("sleep:", err)
	}
	if _, err := c.DeleteSleep(ctx, sl.XID); err != nil {
		t.Fatal("delete sleep:", err)
	}

	items := []up.MealItem{{Name: "Oatmeal", Calories: 150.0}, {Name: "Coffee", SubType: up.MealItemDrink}}
	meal, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "Breakfast", SubType: up.Ptr(up.MealBreakfast), Items: items, TimeCreated: &now})
	if err != nil {
		t.Fatal("meal:", err)
	}
	if form := lastRequest(t, s).Form.Get("items"); form != `[{"calories":150,"name":"Oatmeal"},{"name":"Coffee","sub_type":1}]` {
		t.Errorf("items field %s", form)
	}
	meal, _, err = c.Meal(ctx, meal.XID)
	if err != nil || len(meal.Items.Items) != 2 || meal.Items.Items[1].Name != "Coffee" {
		t.Fatalf("meal read back %+v, %v", meal, err)
	}
	if meal, _, err = c.UpdateMeal(ctx, meal.XID, up.MealUpdate{Items: items[:1]}); err != nil || len(meal.Items.Items) != 1 {
		t.Fatalf("meal update %+v, %v", meal, err)
	}
	photo := &up.Photo{Name: "lunch.png", ContentType: "image/png", Data: pngBytes(t)}
	withPhoto, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "Lunch", Items: items, Photo: photo})
	if err != nil {
		t.Fatal("meal with photo:", err)
	}
	if req := lastRequest(t, s); req.Form.Get("photo") != "lunch.png" || req.Form.Get("note") != "Lunch" {
		t.Errorf("multipart meal sent %v (%s)", req.Form, req.ContentType)
	}
	for _, xid := range []string{meal.XID, withPhoto.XID} {
		if _, err := c.DeleteMeal(ctx, xid); err != nil {
			t.Fatal("delete meal:", err)
		}
	}

	body, _, err := c.CreateBodyEvent(ctx, up.BodyEventCreate{Title: "Weigh-in", Weight: up.Ptr(72.4), BodyFat: up.Ptr(18.5)})
	if err != nil || *body.Weight != 72.4 {
		t.Fatalf("body %+v, %v", body, err)
	}
	if _, err := c.DeleteBodyEvent(ctx, body.XID); err != nil {
		t.Fatal("delete body:", err)
	}

	ge, _, err := c.CreateGenericEvent(ctx, up.GenericEventCreate{Title: "Read", Verb: "read", Attributes: map[string]any{"pages": 30}})
	if err != nil || ge.Attributes == nil || (ge.Attributes)["pages"] != 30.0 {
		t.Fatalf("generic %+v, %v", ge, err)
	}
	if ge, _, err = c.UpdateGenericEvent(ctx, ge.XID, up.GenericEventUpdate{Note: up.Ptr("a good book")}); err != nil || ge.Note != "a good book" {
		t.Fatalf("generic update %+v, %v", ge, err)
	}
	if _, err := c.DeleteGenericEvent(ctx, ge.XID); err != nil {
		t.Fatal("delete generic:", err)
	}

	mood, _, err := c.CreateMood(ctx, up.MoodCreate{Title: "Pumped up", SubType: 2})
	if err != nil || mood.SubType != 2 {
		t.Fatalf("mood %+v, %v", mood, err)
	}
	if today, _, err := c.MoodOn(ctx, 0); err != nil || today.XID == "" || today.XID != mood.XID {
		t.Errorf("today's mood %+v, %v, want the one just recorded", today, err)
	}
	if _, err := c.DeleteMood(ctx, mood.XID); err != nil {
		t.Fatal("delete mood:", err)
	}

	card, _, err := c.CreateCardiacEvent(ctx, up.CardiacEventCreate{HeartRate: 64, SystolicPressure: up.Ptr(118)}) //nolint:staticcheck // deprecated, still served
	if err != nil {
		t.Fatal("cardiac:", err)
	}
	if _, err := c.DeleteCardiacEvent(ctx, card.XID); err != nil { //nolint:staticcheck // deprecated, still served
		t.Fatal("delete cardiac:", err)
	}

	goals, _, err := c.UpdateGoals(ctx, up.GoalsUpdate{MoveSteps: up.Ptr(12000)})
	if err != nil || goals.MoveSteps != 12000 {
		t.Fatalf("goals %+v, %v", goals, err)
	}
	rt, err := c.RetrieveRefreshToken(ctx)
	if err != nil || rt == "" {
		t.Fatalf("refresh token %q, %v", rt, err)
	}
	if req := lastRequest(t, s); req.Form.Get("secret") != "REDACTED" {
		t.Errorf("refreshToken sent %v, want the secret field", req.Form)
	}
}

// TestInputErrors checks that writes UP would refuse fail with an
// *InputError before any request.
func TestInputErrors(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	ctx := t.Context()
	now := up.EpochOf(time.Now())
	calls := map[string]func() error{
		"workout ends before it starts": func() error {
			_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 1, TimeCreated: up.Ptr(now), TimeCompleted: up.Ptr(now - 60)})
			return err
		},
		"empty update": func() error { _, _, err := c.UpdateWorkout(ctx, "x", up.WorkoutUpdate{}); return err },
		"meal without items": func() error {
			_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "n"})
			return err
		},
		"meal item without name": func() error {
			_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "n", Items: []up.MealItem{{}}})
			return err
		},
		"photo of another type": func() error {
			_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "n", Items: []up.MealItem{{Name: "a"}}, Photo: &up.Photo{ContentType: "image/gif", Data: []byte{1}}})
			return err
		},
		"body without measurement": func() error {
			_, _, err := c.CreateBodyEvent(ctx, up.BodyEventCreate{Title: "t"})
			return err
		},
		"mood out of range":     func() error { _, _, err := c.CreateMood(ctx, up.MoodCreate{Title: "t", SubType: 9}); return err },
		"mood without sub_type": func() error { _, _, err := c.CreateMood(ctx, up.MoodCreate{Title: "t"}); return err },
		"workout of no type": func() error {
			_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{TimeCreated: up.Ptr(now)})
			return err
		},
		"workout type 99": func() error { _, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 99}); return err },
		"workout intensity 6": func() error {
			_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: up.WorkoutRun, Intensity: up.Ptr(up.WorkoutIntensity(6))})
			return err
		},
		"update to workout type 0": func() error {
			_, _, err := c.UpdateWorkout(ctx, "x", up.WorkoutUpdate{SubType: up.Ptr(up.WorkoutType(0))})
			return err
		},
		"meal type 4": func() error {
			_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "n", SubType: up.Ptr(up.MealType(4)), Items: []up.MealItem{{Name: "a"}}})
			return err
		},
		"meal item of food type 5": func() error {
			_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "n", Items: []up.MealItem{{Name: "a", FoodType: 5}}})
			return err
		},
		"meal item served on a tray": func() error {
			_, _, err := c.UpdateMeal(ctx, "x", up.MealUpdate{Items: []up.MealItem{{Name: "a", Type: "tray"}}})
			return err
		},
		"generic without verb": func() error {
			_, _, err := c.CreateGenericEvent(ctx, up.GenericEventCreate{Title: "t"})
			return err
		},
		"not a webhook URL": func() error { _, err := c.Subscribe(ctx, "/relative"); return err },
		"NaN distance": func() error {
			_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 1, TimeCreated: up.Ptr(now), TimeCompleted: up.Ptr(now), Distance: up.Ptr(nan())})
			return err
		},
	}
	s.ResetRequests()
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var ie *up.InputError
			if err := call(); !errors.As(err, &ie) {
				t.Errorf("%v, want an *InputError", err)
			}
		})
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid writes", n)
	}
}

// TestWritesNotRetried checks that a create answered 503 is reported, not
// resent, even with a retry policy, while a read is retried.
func TestWritesNotRetried(t *testing.T) {
	t.Parallel()
	s := uptest.NewServer(t)
	cfg := fakeConfig(s)
	cfg.Retry = &up.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}
	c := cfg.Client(s.MintToken())
	ctx := t.Context()
	now := up.EpochOf(time.Now())

	s.Inject(uptest.Fault{Path: "/users/@me/workouts", Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable, Count: 1})
	s.ResetRequests()
	_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 1, TimeCreated: up.Ptr(now - 60), TimeCompleted: up.Ptr(now)})
	if !isStatus(err, http.StatusServiceUnavailable) {
		t.Errorf("create: %v, want the 503", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("create sent %d times, want once", n)
	}

	s.Inject(uptest.Fault{Path: "/users/@me/workouts", Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable, Count: 1})
	s.ResetRequests()
	if _, err := c.WorkoutsPage(ctx, up.ListQuery{}); err != nil {
		t.Errorf("read: %v, want success after one retry", err)
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("read sent %d times, want twice", n)
	}
}

// TestWriteResentAfterRefresh checks the one resend a write gets: after a
// 401, once the token is refreshed, since UP did not process it.
func TestWriteResentAfterRefresh(t *testing.T) {
	t.Parallel()
	s, c := fakeClient(t, nil)
	s.ExpireAccessTokens()
	s.ResetRequests()
	now := up.EpochOf(time.Now())
	w, _, err := c.CreateWorkout(t.Context(), up.WorkoutCreate{SubType: 1, TimeCreated: up.Ptr(now - 60), TimeCompleted: up.Ptr(now)})
	if err != nil {
		t.Fatal(err)
	}
	var posts int
	for _, r := range s.Requests() {
		if r.Method == http.MethodPost && r.Path == "/nudge/api/v.1.1/users/@me/workouts" {
			posts++
			if r.Form.Get("sub_type") != "1" {
				t.Errorf("resent form %v", r.Form)
			}
		}
	}
	if posts != 2 || s.TokenRequests()["refresh_token"] != 1 {
		t.Errorf("%d posts and %d refreshes, want 2 and 1", posts, s.TokenRequests()["refresh_token"])
	}
	if _, _, err := c.Workout(t.Context(), w.XID); err != nil {
		t.Error(err)
	}
}

func isStatus(err error, code int) bool {
	var apiErr *up.APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == code
}
