package uptest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/gen/spec"
	"github.com/upapi/up-go/up/uptest"
	"github.com/upapi/up-go/up/wire"
)

// firstXID lists resource and returns the XID of its newest item.
func firstXID(t *testing.T, s *uptest.Server, token, resource string) string {
	t.Helper()
	_, body := get(t, s, token, "/users/@me/"+resource+"?limit=1")
	var env struct {
		Data struct {
			Items []struct {
				XID string `json:"xid"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Data.Items) == 0 {
		t.Fatalf("no %s to test with: %v %s", resource, err, body)
	}
	return env.Data.Items[0].XID
}

// created makes an event through the API and returns its XID.
func created(t *testing.T, s *uptest.Server, token, resource string, form url.Values) string {
	t.Helper()
	resp, body := postForm(t, s, token, "/users/@me/"+resource, form)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create %s: %d %s", resource, resp.StatusCode, body)
	}
	var env struct {
		Data struct {
			XID string `json:"xid"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Data.XID == "" {
		t.Fatalf("create %s: no xid in %s", resource, body)
	}
	return env.Data.XID
}

func workoutForm(at time.Time) url.Values {
	return url.Values{"sub_type": {"2"}, "time_created": {strconv.FormatInt(at.Unix(), 10)},
		"time_completed": {strconv.FormatInt(at.Add(30*time.Minute).Unix(), 10)}}
}

const mealItems = `[{"name":"Oatmeal","amount":1,"measurement":"cup","sub_type":2,"food_type":1,"calories":158,"protein":6},{"name":"Coffee","sub_type":1,"calories":2}]`

// TestEveryOperation calls each operation of the spec with a token holding
// every scope and checks the status and that the answer decodes, without
// unknown fields, into the generated type.
func TestEveryOperation(t *testing.T) {
	s := uptest.NewServer(t)
	tok := s.MintToken().AccessToken
	c := client(t, s, tok)
	ctx := t.Context()
	now := time.Now()
	xid := map[string]string{}
	for _, r := range []string{"moves", "workouts", "sleeps", "meals", "body_events", "generic_events", "cardiac_events"} {
		xid[r] = firstXID(t, s, tok, r)
	}
	own := map[string]string{
		"workouts":       created(t, s, tok, "workouts", workoutForm(now.Add(-3*time.Hour))),
		"sleeps":         created(t, s, tok, "sleeps", url.Values{"time_created": {strconv.FormatInt(now.Add(-9*time.Hour).Unix(), 10)}, "time_completed": {strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)}}),
		"meals":          created(t, s, tok, "meals", url.Values{"note": {"Breakfast"}, "items": {mealItems}}),
		"body_events":    created(t, s, tok, "body_events", url.Values{"title": {"Weigh-in"}, "weight": {"70.5"}}),
		"generic_events": created(t, s, tok, "generic_events", url.Values{"title": {"Read"}, "verb": {"read"}, "attributes": {`{"pages":12}`}}),
		"mood":           created(t, s, tok, "mood", url.Values{"title": {"Good"}, "sub_type": {"4"}}),
		"cardiac_events": created(t, s, tok, "cardiac_events", url.Values{"heart_rate": {"64"}}),
	}
	today := wire.DateOf(now.In(mustZone(t)))
	ten := 10

	type answer struct {
		resp reply
		body []byte
	}
	wrap := func(resp interface{ StatusCode() int }, err error) answer {
		if err != nil {
			t.Fatal(err)
		}
		r, body := reflectAnswer(resp)
		return answer{r, body}
	}
	cases := []struct {
		op     string
		call   func() answer
		status int
		into   any // nil for a PNG
	}{
		{"getUser", func() answer { return wrap(c.GetUserWithResponse(ctx, "@me")) }, 200, &gen.UserEnvelope{}},
		{"listFriends", func() answer { return wrap(c.ListFriendsWithResponse(ctx, "@me")) }, 200, &gen.FriendListEnvelope{}},
		{"getTrends", func() answer {
			w, d := gen.TrendUnitWeek, gen.TrendUnitDay
			return wrap(c.GetTrendsWithResponse(ctx, "@me", &gen.GetTrendsParams{Range: &w, RangeDuration: new(2), BucketSize: &d}))
		}, 200, &gen.TrendsEnvelope{}},
		{"getGoals", func() answer { return wrap(c.GetGoalsWithResponse(ctx, "@me")) }, 200, &gen.GoalsEnvelope{}},
		{"updateGoals", func() answer {
			return wrap(c.UpdateGoalsWithFormdataBodyWithResponse(ctx, "@me", gen.GoalsUpdate{MoveSteps: new(12000)}))
		}, 200, &gen.GoalsEnvelope{}},
		{"getSettings", func() answer { return wrap(c.GetSettingsWithResponse(ctx, "@me")) }, 200, &gen.SettingsEnvelope{}},
		{"getTimeZone", func() answer {
			return wrap(c.GetTimeZoneWithResponse(ctx, "@me", &gen.GetTimeZoneParams{Date: &today}))
		}, 200, &gen.TimeZoneListEnvelope{}},
		{"getRefreshToken", func() answer {
			return wrap(c.GetRefreshTokenWithFormdataBodyWithResponse(ctx, "@me", gen.RefreshTokenRequest{Secret: s.ClientSecret}))
		}, 200, &gen.RefreshTokenEnvelope{}},
		{"listMoves", func() answer { return wrap(c.ListMovesWithResponse(ctx, "@me", &gen.ListMovesParams{Limit: &ten})) }, 200, &gen.MoveListEnvelope{}},
		{"getMove", func() answer { return wrap(c.GetMoveWithResponse(ctx, xid["moves"])) }, 200, &gen.MoveEnvelope{}},
		{"getMoveImage", func() answer { return wrap(c.GetMoveImageWithResponse(ctx, xid["moves"])) }, 200, nil},
		{"listMoveTicks", func() answer { return wrap(c.ListMoveTicksWithResponse(ctx, xid["moves"])) }, 200, &gen.TickListEnvelope{}},
		{"listWorkouts", func() answer { return wrap(c.ListWorkoutsWithResponse(ctx, "@me", &gen.ListWorkoutsParams{})) }, 200, &gen.WorkoutListEnvelope{}},
		{"createWorkout", func() answer {
			return wrap(c.CreateWorkoutWithFormdataBodyWithResponse(ctx, "@me", gen.WorkoutCreate{SubType: 14, TimeCreated: new(wire.EpochOf(now.Add(-5 * time.Hour))), TimeCompleted: new(wire.EpochOf(now.Add(-4 * time.Hour))), Intensity: new(gen.IntensityIntermediate)}))
		}, 201, &gen.WorkoutEnvelope{}},
		{"getWorkout", func() answer { return wrap(c.GetWorkoutWithResponse(ctx, xid["workouts"])) }, 200, &gen.WorkoutEnvelope{}},
		{"updateWorkout", func() answer {
			return wrap(c.UpdateWorkoutWithFormdataBodyWithResponse(ctx, own["workouts"], gen.WorkoutUpdate{Title: new("Tempo run")}))
		}, 200, &gen.WorkoutEnvelope{}},
		{"getWorkoutImage", func() answer { return wrap(c.GetWorkoutImageWithResponse(ctx, xid["workouts"])) }, 200, nil},
		{"listWorkoutTicks", func() answer { return wrap(c.ListWorkoutTicksWithResponse(ctx, xid["workouts"])) }, 200, &gen.TickListEnvelope{}},
		{"deleteWorkout", func() answer { return wrap(c.DeleteWorkoutWithResponse(ctx, own["workouts"])) }, 200, &gen.EmptyEnvelope{}},
		{"listSleeps", func() answer { return wrap(c.ListSleepsWithResponse(ctx, "@me", &gen.ListSleepsParams{})) }, 200, &gen.SleepListEnvelope{}},
		{"createSleep", func() answer {
			return wrap(c.CreateSleepWithFormdataBodyWithResponse(ctx, "@me", gen.SleepCreate{TimeCreated: wire.EpochOf(now.Add(-30 * time.Hour)), TimeCompleted: new(wire.EpochOf(now.Add(-22 * time.Hour)))}))
		}, 201, &gen.SleepEnvelope{}},
		{"getSleep", func() answer { return wrap(c.GetSleepWithResponse(ctx, xid["sleeps"])) }, 200, &gen.SleepEnvelope{}},
		{"getSleepImage", func() answer { return wrap(c.GetSleepImageWithResponse(ctx, xid["sleeps"])) }, 200, nil},
		{"listSleepTicks", func() answer { return wrap(c.ListSleepTicksWithResponse(ctx, xid["sleeps"])) }, 200, &gen.SleepTickListEnvelope{}},
		{"deleteSleep", func() answer { return wrap(c.DeleteSleepWithResponse(ctx, own["sleeps"])) }, 200, &gen.EmptyEnvelope{}},
		{"listMeals", func() answer { return wrap(c.ListMealsWithResponse(ctx, "@me", &gen.ListMealsParams{})) }, 200, &gen.MealListEnvelope{}},
		{"createMeal", func() answer {
			meal := newMultipartMeal(t, url.Values{"note": {"Lunch"}, "items": {mealItems}}, "photo.png", tinyPNG(t))
			return wrap(c.CreateMealWithBodyWithResponse(ctx, "@me", meal.contentType, bytes.NewReader(meal.body)))
		}, 201, &gen.MealEnvelope{}},
		{"getMeal", func() answer { return wrap(c.GetMealWithResponse(ctx, xid["meals"])) }, 200, &gen.MealEnvelope{}},
		{"updateMeal", func() answer {
			return wrap(c.UpdateMealWithFormdataBodyWithResponse(ctx, own["meals"], gen.MealUpdate{Note: new("Big breakfast")}))
		}, 200, &gen.MealEnvelope{}},
		{"deleteMeal", func() answer { return wrap(c.DeleteMealWithResponse(ctx, own["meals"])) }, 200, &gen.EmptyEnvelope{}},
		{"listBodyEvents", func() answer { return wrap(c.ListBodyEventsWithResponse(ctx, "@me", &gen.ListBodyEventsParams{})) }, 200, &gen.BodyEventListEnvelope{}},
		{"createBodyEvent", func() answer {
			return wrap(c.CreateBodyEventWithFormdataBodyWithResponse(ctx, "@me", gen.BodyEventCreate{Title: "Scale", BodyFat: new(21.5)}))
		}, 201, &gen.BodyEventEnvelope{}},
		{"getBodyEvent", func() answer { return wrap(c.GetBodyEventWithResponse(ctx, xid["body_events"])) }, 200, &gen.BodyEventEnvelope{}},
		{"deleteBodyEvent", func() answer { return wrap(c.DeleteBodyEventWithResponse(ctx, own["body_events"])) }, 200, &gen.EmptyEnvelope{}},
		{"listHeartRates", func() answer { return wrap(c.ListHeartRatesWithResponse(ctx, "@me", &gen.ListHeartRatesParams{})) }, 200, &gen.HeartRateListEnvelope{}},
		{"listGenericEvents", func() answer {
			return wrap(c.ListGenericEventsWithResponse(ctx, "@me", &gen.ListGenericEventsParams{}))
		}, 200, &gen.GenericEventListEnvelope{}},
		{"createGenericEvent", func() answer {
			return wrap(c.CreateGenericEventWithFormdataBodyWithResponse(ctx, "@me", gen.GenericEventCreate{Title: "Ran", Verb: "ran", Attributes: new(`{"km":5}`)}))
		}, 201, &gen.GenericEventEnvelope{}},
		{"getGenericEvent", func() answer { return wrap(c.GetGenericEventWithResponse(ctx, xid["generic_events"])) }, 200, &gen.GenericEventEnvelope{}},
		{"updateGenericEvent", func() answer {
			return wrap(c.UpdateGenericEventWithFormdataBodyWithResponse(ctx, own["generic_events"], gen.GenericEventUpdate{Note: new("on paper")}))
		}, 200, &gen.GenericEventEnvelope{}},
		{"deleteGenericEvent", func() answer { return wrap(c.DeleteGenericEventWithResponse(ctx, own["generic_events"])) }, 200, &gen.EmptyEnvelope{}},
		{"getMood", func() answer { return wrap(c.GetMoodWithResponse(ctx, "@me", &gen.GetMoodParams{})) }, 200, &gen.MoodEnvelope{}},
		{"createMood", func() answer {
			return wrap(c.CreateMoodWithFormdataBodyWithResponse(ctx, "@me", gen.MoodCreate{Title: "Meh", SubType: 5}))
		}, 201, &gen.MoodEnvelope{}},
		{"getMoodEvent", func() answer { return wrap(c.GetMoodEventWithResponse(ctx, own["mood"])) }, 200, &gen.MoodEnvelope{}},
		{"deleteMood", func() answer { return wrap(c.DeleteMoodWithResponse(ctx, own["mood"])) }, 200, &gen.EmptyEnvelope{}},
		{"listBandEvents", func() answer { return wrap(c.ListBandEventsWithResponse(ctx, "@me", &gen.ListBandEventsParams{})) }, 200, &gen.BandEventListEnvelope{}},
		{"listCardiacEvents", func() answer {
			return wrap(c.ListCardiacEventsWithResponse(ctx, "@me", &gen.ListCardiacEventsParams{})) //nolint:staticcheck // deprecated, still served
		}, 200, &gen.CardiacEventListEnvelope{}}, //nolint:staticcheck // deprecated, still served
		{"createCardiacEvent", func() answer {
			return wrap(c.CreateCardiacEventWithFormdataBodyWithResponse(ctx, "@me", gen.CardiacEventCreate{HeartRate: 70, SystolicPressure: new(120)})) //nolint:staticcheck // deprecated, still served
		}, 201, &gen.CardiacEventEnvelope{}}, //nolint:staticcheck // deprecated, still served
		{"getCardiacEvent", func() answer { return wrap(c.GetCardiacEventWithResponse(ctx, xid["cardiac_events"])) }, 200, &gen.CardiacEventEnvelope{}}, //nolint:staticcheck // deprecated, still served
		{"deleteCardiacEvent", func() answer { return wrap(c.DeleteCardiacEventWithResponse(ctx, own["cardiac_events"])) }, 200, &gen.EmptyEnvelope{}},  //nolint:staticcheck // deprecated, still served
		{"subscribePubSub", func() answer {
			return wrap(c.SubscribePubSubWithResponse(ctx, "@me", &gen.SubscribePubSubParams{Webhook: "https://example.com/hook"}))
		}, 200, &gen.EmptyEnvelope{}},
		{"unsubscribePubSub", func() answer { return wrap(c.UnsubscribePubSubWithResponse(ctx, "@me")) }, 200, &gen.EmptyEnvelope{}},
		{"disconnect", func() answer { return wrap(c.DisconnectWithResponse(ctx, "@me")) }, 200, &gen.EmptyEnvelope{}},
	}

	// The table covers every operation of the spec.
	doc, err := spec.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var want, have []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			want = append(want, strings.ToLower(op.OperationID))
		}
	}
	for _, tc := range cases {
		have = append(have, strings.ToLower(tc.op))
	}
	slices.Sort(want)
	slices.Sort(have)
	if !slices.Equal(want, have) {
		t.Fatalf("operations tested %v\nspec operations %v", have, want)
	}

	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			a := tc.call()
			if a.resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", a.resp.StatusCode, tc.status, a.body)
			}
			if tc.into == nil {
				if ct := a.resp.Header.Get("Content-Type"); ct != "image/png" {
					t.Errorf("Content-Type %q, want image/png", ct)
				}
				img, err := png.Decode(bytes.NewReader(a.body))
				if err != nil || img.Bounds().Dx() == 0 {
					t.Errorf("not a PNG: %v", err)
				}
				return
			}
			decodeStrict(t, a.body, tc.into)
			var env struct {
				Meta gen.Meta        `json:"meta"`
				Data json.RawMessage `json:"data"`
			}
			_ = json.Unmarshal(a.body, &env)
			if env.Meta.Code != tc.status || env.Meta.Message != "OK" || env.Meta.UserXID != s.UserXID() || env.Meta.Time == 0 {
				t.Errorf("meta %+v", env.Meta)
			}
			if len(env.Data) == 0 {
				t.Error("no data")
			}
		})
	}
	// Disconnect ran last: the token is revoked.
	if got := status(t, s, tok, "/users/@me"); got != http.StatusUnauthorized {
		t.Errorf("after disconnect: %d, want 401", got)
	}
}

// reflectAnswer reads the Body and HTTPResponse every generated response
// has; the generated client has read and closed the body.
func reflectAnswer(r any) (reply, []byte) {
	rv := reflect.ValueOf(r).Elem()
	resp := rv.FieldByName("HTTPResponse").Interface().(*http.Response) //nolint:bodyclose // read and closed by the generated client
	return replyOf(resp), rv.FieldByName("Body").Bytes()
}

// tinyPNG is a valid one-pixel PNG.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

type multipartMeal struct {
	body        []byte
	contentType string
}

func newMultipartMeal(t *testing.T, fields url.Values, photoName string, photo []byte) multipartMeal {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if photo != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="photo"; filename=%q`, photoName))
		h.Set("Content-Type", "image/png")
		pw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(photo)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return multipartMeal{body: buf.Bytes(), contentType: mw.FormDataContentType()}
}
