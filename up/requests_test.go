package up

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/gen"
)

// errCaptured stops a call once its request is captured.
var errCaptured = errors.New("captured")

// wireRequest is what a request puts on the wire that the comparison
// checks: method, URL, content type and body.
type wireRequest struct {
	method, url, contentType string
	body                     []byte
}

// capture returns a Client of base whose requests are recorded in *got and
// never sent.
func capture(base string, got *wireRequest) *Client {
	cfg := &Config{BaseURL: base, HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		*got = wireRequest{method: r.Method, url: r.URL.String(), contentType: r.Header.Get("Content-Type")}
		if r.Body != nil {
			got.body, _ = io.ReadAll(r.Body)
			_ = r.Body.Close()
		}
		return nil, errCaptured
	})}}
	return cfg.ClientFromAccessToken("tok")
}

// sentBy returns the request req would put on the wire.
func sentBy(t *testing.T, req *http.Request, err error) wireRequest {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	s := wireRequest{method: req.Method, url: req.URL.String(), contentType: req.Header.Get("Content-Type")}
	if req.Body != nil {
		s.body, _ = io.ReadAll(req.Body)
	}
	return s
}

// operationCase is one operation: what the SDK sends for it and what the
// generated builder sends for the same arguments.
type operationCase struct {
	sdk func(ctx context.Context, c *Client) error
	gen func(server string) (*http.Request, error)
	// multipart bodies differ in their boundary: only the method, URL and
	// media type are compared.
	multipart bool
}

// TestRequestsMatchGenerated checks, for every operation the generated
// client can send, that the SDK's own request (built on the base URL parsed
// once, its query in the order of the spec) is the one the generated
// builder makes of the same arguments: method, URL, content type and form
// body. Arguments are drawn at random, with XIDs that need escaping, on
// several base URLs; and every generated builder must have a case, so an
// operation the spec adds or changes cannot go unchecked.
func TestRequestsMatchGenerated(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	bases := []string{DefaultBaseURL, "http://127.0.0.1:8080/nudge/api/v.1.1", "https://example.com:8443/a%20b/api/"}
	for round := range 40 {
		cases := operationCases(r)
		if round == 0 {
			checkEveryBuilderHasACase(t, cases)
		}
		base := bases[round%len(bases)]
		server := strings.TrimRight(base, "/") + "/"
		for name, tc := range cases {
			var got wireRequest
			err := tc.sdk(t.Context(), capture(base, &got))
			if !errors.Is(err, errCaptured) {
				t.Fatalf("%s: the SDK sent nothing: %v", name, err)
			}
			req, err := tc.gen(server)
			want := sentBy(t, req, err)
			if tc.multipart {
				got.body, want.body = nil, nil
				got.contentType, _, _ = strings.Cut(got.contentType, ";")
				want.contentType, _, _ = strings.Cut(want.contentType, ";")
			}
			if got.method != want.method || got.url != want.url || got.contentType != want.contentType || !sameForm(got.body, want.body) {
				t.Errorf("%s on %s:\n SDK       %s %s %q %s\n generated %s %s %q %s", name, base,
					got.method, got.url, got.contentType, got.body, want.method, want.url, want.contentType, want.body)
			}
		}
	}
}

// sameForm reports whether two form bodies hold the same fields, and a is
// in the canonical order and escaping of url.Values.Encode.
func sameForm(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	va, errA := url.ParseQuery(string(a))
	vb, errB := url.ParseQuery(string(b))
	return errA == nil && errB == nil && va.Encode() == string(a) && va.Encode() == vb.Encode()
}

// checkEveryBuilderHasACase reads the generated client for its request
// builders and fails for any operation without a case.
func checkEveryBuilderHasACase(t *testing.T, cases map[string]operationCase) {
	t.Helper()
	src, err := os.ReadFile("../gen/client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	builder := regexp.MustCompile(`(?m)^func New(\w+?)Request(?:WithBody)?\(`)
	for _, m := range builder.FindAllStringSubmatch(string(src), -1) {
		op := m[1]
		if op == "ReceiveNotificationCallback" { // UP's call to the application, not the application's
			continue
		}
		if _, ok := cases[op]; !ok {
			t.Errorf("the operation %s has no case in operationCases", op)
		}
	}
}

// xids are event XIDs, among them some that need escaping in a path.
var xids = []string{"40F7_htRRnQwoMjIFucJ2g", "a/b", "a b", "ä%", "?x=1#y", "a;b,c", "@me", "..x"}

// operationCases draws the arguments of every operation from r.
func operationCases(r *rand.Rand) map[string]operationCase {
	xid := xids[r.IntN(len(xids))]
	day := NewDate(2013+r.IntN(3), time.Month(1+r.IntN(12)), 1+r.IntN(28))
	start := time.Unix(1384963500+r.Int64N(1e7), 0)
	end := start.Add(time.Duration(1+r.IntN(1e6)) * time.Second)
	limit := []int{0, 1, 100, 5000}[r.IntN(4)]
	sentLimit := positiveOr(limit, DefaultPageSize)
	var q ListQuery
	var p listParams
	switch r.IntN(3) {
	case 0:
		q.Date, p.Date = day, &day
	case 1:
		q.Range = Between(start, end)
		p.StartTime, p.EndTime = Ptr(EpochOf(start)), Ptr(EpochOf(end))
	default:
		q.Range = Since(start)
		p.StartTime = Ptr(EpochOf(start))
	}
	if r.IntN(2) == 0 {
		q.UpdatedAfter, p.UpdatedAfter = start, Ptr(EpochOf(start))
	}
	q.Limit, p.Limit = limit, &sentLimit
	band := BandEventQuery{Date: q.Date, Range: q.Range, Limit: limit}
	bandP := gen.ListBandEventsParams{Date: p.Date, StartTime: p.StartTime, EndTime: p.EndTime, Limit: &sentLimit}
	if r.IntN(2) == 0 {
		band.CreatedAfter, bandP.CreatedAfter = end, Ptr(EpochOf(end))
	}
	trends := TrendsQuery{EndDate: day, Range: TrendUnitWeek, RangeDuration: 1 + r.IntN(100), BucketSize: TrendUnitDay}
	tz := TimeZoneQuery{Range: Between(start, end)}
	tzP := gen.GetTimeZoneParams{StartTime: Ptr(EpochOf(start)), EndTime: Ptr(EpochOf(end))}
	if r.IntN(2) == 0 {
		tz, tzP = TimeZoneQuery{At: end}, gen.GetTimeZoneParams{Timestamp: Ptr(EpochOf(end))}
	}
	workout := WorkoutCreate{
		SubType: WorkoutType(1 + r.IntN(28)), TimeCreated: Ptr(EpochOf(start)), TimeCompleted: Ptr(EpochOf(end)),
		Title: Ptr("Run & jump=1 ü"), Calories: Ptr(float64(r.IntN(1000)) + 0.25), Intensity: Ptr(IntensityHard),
		PlaceLat: Ptr(37.451572), PlaceLon: Ptr(-122.184435), Share: Ptr(r.IntN(2) == 0), TZ: Ptr("America/Los_Angeles"),
	}
	update := WorkoutUpdate{Title: Ptr("Hills"), Distance: Ptr(0.0), SubType: Ptr(WorkoutHike)}
	sleep := SleepCreate{TimeCreated: EpochOf(start), TimeCompleted: Ptr(EpochOf(end)), Share: Ptr(false)}
	body := BodyEventCreate{Title: "Weigh-in", Weight: Ptr(71.5), BodyFat: Ptr(18.0), Note: Ptr("after a run")}
	mood := MoodCreate{Title: "Good", SubType: MoodType(1 + r.IntN(8)), TimeCreated: Ptr(EpochOf(start))}
	cardiac := CardiacEventCreate{HeartRate: 60 + r.IntN(40), SystolicPressure: Ptr(120)}
	goals := GoalsUpdate{MoveSteps: Ptr(12000), BodyWeight: Ptr(70.5)}
	items := []MealItem{{Name: "Oatmeal", Calories: 150, Type: ServingBowl}, {Name: "Coffee", SubType: MealItemDrink}}
	itemsJSON, _ := encodeMealItems(items)
	meal := MealCreate{Note: "Breakfast", SubType: Ptr(MealBreakfast), Items: items, TimeCreated: Ptr(EpochOf(start)), Share: Ptr(true)}
	mealForm := gen.MealCreate{Note: meal.Note, SubType: meal.SubType, Items: itemsJSON, TimeCreated: meal.TimeCreated, Share: meal.Share}
	mealUpdate := MealUpdate{Note: Ptr("Brunch"), Items: items[:1]}
	oneItem, _ := encodeMealItems(items[:1])
	generic := GenericEventCreate{Title: "Read", Verb: "read", Attributes: map[string]any{"pages": 12}, Share: Ptr(true)}
	genericUpdate := GenericEventUpdate{Note: Ptr("a note")}
	photo := MealCreate{Note: "Lunch", Items: items[:1], Photo: &Photo{Name: "l.png", ContentType: "image/png", Data: []byte("\x89PNG")}}

	list := func(sdk func(ctx context.Context, c *Client) error, build func(string, gen.UserRef, listParams) (*http.Request, error)) operationCase {
		return operationCase{sdk: sdk, gen: func(s string) (*http.Request, error) { return build(s, "@me", p) }}
	}
	err2 := func(_ any, err error) error { return err }
	err3 := func(_, _ any, err error) error { return err }
	return map[string]operationCase{
		"GetUser": {sdk: func(ctx context.Context, c *Client) error { return err3(c.User(ctx)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetUserRequest(s, "@me") }},
		"ListFriends": {sdk: func(ctx context.Context, c *Client) error { return err3(c.ReloadFriends(ctx)) },
			gen: func(s string) (*http.Request, error) { return gen.NewListFriendsRequest(s, "@me") }},
		"GetTrends": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Trends(ctx, trends)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewGetTrendsRequest(s, "@me", &gen.GetTrendsParams{EndDate: &trends.EndDate, Range: &trends.Range,
					RangeDuration: &trends.RangeDuration, BucketSize: &trends.BucketSize})
			}},
		"GetGoals": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Goals(ctx)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetGoalsRequest(s, "@me") }},
		"UpdateGoals": {sdk: func(ctx context.Context, c *Client) error { return err3(c.UpdateGoals(ctx, goals)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewUpdateGoalsRequestWithFormdataBody(s, "@me", goals)
			}},
		"GetSettings": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Settings(ctx)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetSettingsRequest(s, "@me") }},
		"GetTimeZone": {sdk: func(ctx context.Context, c *Client) error { return err3(c.TimeZones(ctx, tz)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetTimeZoneRequest(s, "@me", &tzP) }},
		"GetRefreshToken": {sdk: func(ctx context.Context, c *Client) error {
			c.cfg.ClientSecret = "s3cret&x"
			return err2(c.RetrieveRefreshToken(ctx))
		},
			gen: func(s string) (*http.Request, error) {
				return gen.NewGetRefreshTokenRequestWithFormdataBody(s, "@me", gen.RefreshTokenRequest{Secret: "s3cret&x"})
			}},
		"Disconnect": {sdk: func(ctx context.Context, c *Client) error { return c.Disconnect(ctx) },
			gen: func(s string) (*http.Request, error) { return gen.NewDisconnectRequest(s, "@me") }},
		"SubscribePubSub": {sdk: func(ctx context.Context, c *Client) error {
			return err2(c.Subscribe(ctx, "https://myapp.example/up/hook?u=1&v=a b"))
		}, gen: func(s string) (*http.Request, error) {
			return gen.NewSubscribePubSubRequest(s, "@me", &gen.SubscribePubSubParams{Webhook: "https://myapp.example/up/hook?u=1&v=a b"})
		}},
		"UnsubscribePubSub": {sdk: func(ctx context.Context, c *Client) error { return err2(c.Unsubscribe(ctx)) },
			gen: func(s string) (*http.Request, error) { return gen.NewUnsubscribePubSubRequest(s, "@me") }},

		"ListMoves": list(func(ctx context.Context, c *Client) error { return err2(c.MovesPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListMovesRequest(s, u, (*gen.ListMovesParams)(&p))
			}),
		"GetMove": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Move(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetMoveRequest(s, xid) }},
		"GetMoveImage": {sdk: func(ctx context.Context, c *Client) error { return err3(c.MoveImage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetMoveImageRequest(s, xid) }},
		"ListMoveTicks": {sdk: func(ctx context.Context, c *Client) error { return err2(c.MoveTicksPage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewListMoveTicksRequest(s, xid) }},

		"ListWorkouts": list(func(ctx context.Context, c *Client) error { return err2(c.WorkoutsPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListWorkoutsRequest(s, u, (*gen.ListWorkoutsParams)(&p))
			}),
		"CreateWorkout": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateWorkout(ctx, workout)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateWorkoutRequestWithFormdataBody(s, "@me", workout)
			}},
		"GetWorkout": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Workout(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetWorkoutRequest(s, xid) }},
		"UpdateWorkout": {sdk: func(ctx context.Context, c *Client) error { return err3(c.UpdateWorkout(ctx, xid, update)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewUpdateWorkoutRequestWithFormdataBody(s, xid, update)
			}},
		"DeleteWorkout": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteWorkout(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteWorkoutRequest(s, xid) }},
		"GetWorkoutImage": {sdk: func(ctx context.Context, c *Client) error { return err3(c.WorkoutImage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetWorkoutImageRequest(s, xid) }},
		"ListWorkoutTicks": {sdk: func(ctx context.Context, c *Client) error { return err2(c.WorkoutTicksPage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewListWorkoutTicksRequest(s, xid) }},

		"ListSleeps": list(func(ctx context.Context, c *Client) error { return err2(c.SleepsPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListSleepsRequest(s, u, (*gen.ListSleepsParams)(&p))
			}),
		"CreateSleep": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateSleep(ctx, sleep)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateSleepRequestWithFormdataBody(s, "@me", sleep)
			}},
		"GetSleep": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Sleep(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetSleepRequest(s, xid) }},
		"DeleteSleep": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteSleep(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteSleepRequest(s, xid) }},
		"GetSleepImage": {sdk: func(ctx context.Context, c *Client) error { return err3(c.SleepImage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetSleepImageRequest(s, xid) }},
		"ListSleepTicks": {sdk: func(ctx context.Context, c *Client) error { return err2(c.SleepTicksPage(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewListSleepTicksRequest(s, xid) }},

		"ListMeals": list(func(ctx context.Context, c *Client) error { return err2(c.MealsPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListMealsRequest(s, u, (*gen.ListMealsParams)(&p))
			}),
		"CreateMeal": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateMeal(ctx, meal)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateMealRequestWithFormdataBody(s, "@me", mealForm)
			}},
		"GetMeal": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Meal(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetMealRequest(s, xid) }},
		"UpdateMeal": {sdk: func(ctx context.Context, c *Client) error { return err3(c.UpdateMeal(ctx, xid, mealUpdate)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewUpdateMealRequestWithFormdataBody(s, xid, gen.MealUpdate{Note: mealUpdate.Note, Items: &oneItem})
			}},
		"DeleteMeal": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteMeal(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteMealRequest(s, xid) }},

		"ListBodyEvents": list(func(ctx context.Context, c *Client) error { return err2(c.BodyEventsPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListBodyEventsRequest(s, u, (*gen.ListBodyEventsParams)(&p))
			}),
		"CreateBodyEvent": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateBodyEvent(ctx, body)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateBodyEventRequestWithFormdataBody(s, "@me", body)
			}},
		"GetBodyEvent": {sdk: func(ctx context.Context, c *Client) error { return err3(c.BodyEvent(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetBodyEventRequest(s, xid) }},
		"DeleteBodyEvent": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteBodyEvent(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteBodyEventRequest(s, xid) }},

		"ListHeartRates": list(func(ctx context.Context, c *Client) error { return err2(c.HeartRatesPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListHeartRatesRequest(s, u, (*gen.ListHeartRatesParams)(&p))
			}),

		"ListGenericEvents": list(func(ctx context.Context, c *Client) error { return err2(c.GenericEventsPage(ctx, q)) },
			func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
				return gen.NewListGenericEventsRequest(s, u, (*gen.ListGenericEventsParams)(&p))
			}),
		"CreateGenericEvent": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateGenericEvent(ctx, generic)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateGenericEventRequestWithFormdataBody(s, "@me", gen.GenericEventCreate{
					Title: generic.Title, Verb: generic.Verb, Attributes: Ptr(`{"pages":12}`), Share: generic.Share})
			}},
		"GetGenericEvent": {sdk: func(ctx context.Context, c *Client) error { return err3(c.GenericEvent(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetGenericEventRequest(s, xid) }},
		"UpdateGenericEvent": {sdk: func(ctx context.Context, c *Client) error {
			return err3(c.UpdateGenericEvent(ctx, xid, genericUpdate))
		}, gen: func(s string) (*http.Request, error) {
			return gen.NewUpdateGenericEventRequestWithFormdataBody(s, xid, gen.GenericEventUpdate{Note: genericUpdate.Note})
		}},
		"DeleteGenericEvent": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteGenericEvent(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteGenericEventRequest(s, xid) }},

		"GetMood": {sdk: func(ctx context.Context, c *Client) error { return err3(c.MoodOn(ctx, day)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewGetMoodRequest(s, "@me", &gen.GetMoodParams{Date: &day})
			}},
		"CreateMood": {sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateMood(ctx, mood)) },
			gen: func(s string) (*http.Request, error) { return gen.NewCreateMoodRequestWithFormdataBody(s, "@me", mood) }},
		"GetMoodEvent": {sdk: func(ctx context.Context, c *Client) error { return err3(c.Mood(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewGetMoodEventRequest(s, xid) }},
		"DeleteMood": {sdk: func(ctx context.Context, c *Client) error { return err2(c.DeleteMood(ctx, xid)) },
			gen: func(s string) (*http.Request, error) { return gen.NewDeleteMoodRequest(s, xid) }},

		"ListBandEvents": {sdk: func(ctx context.Context, c *Client) error { return err2(c.BandEventsPage(ctx, band)) },
			gen: func(s string) (*http.Request, error) { return gen.NewListBandEventsRequest(s, "@me", &bandP) }},

		"ListCardiacEvents": list(func(ctx context.Context, c *Client) error {
			return err2(c.CardiacEventsPage(ctx, q)) //nolint:staticcheck // deprecated, still sent
		}, func(s string, u gen.UserRef, p listParams) (*http.Request, error) {
			return gen.NewListCardiacEventsRequest(s, u, (*gen.ListCardiacEventsParams)(&p))
		}),
		"CreateCardiacEvent": {sdk: func(ctx context.Context, c *Client) error {
			return err3(c.CreateCardiacEvent(ctx, cardiac)) //nolint:staticcheck // deprecated, still sent
		}, gen: func(s string) (*http.Request, error) {
			return gen.NewCreateCardiacEventRequestWithFormdataBody(s, "@me", cardiac)
		}},
		"GetCardiacEvent": {sdk: func(ctx context.Context, c *Client) error {
			return err3(c.CardiacEvent(ctx, xid)) //nolint:staticcheck // deprecated, still sent
		}, gen: func(s string) (*http.Request, error) { return gen.NewGetCardiacEventRequest(s, xid) }},
		"DeleteCardiacEvent": {sdk: func(ctx context.Context, c *Client) error {
			return err2(c.DeleteCardiacEvent(ctx, xid)) //nolint:staticcheck // deprecated, still sent
		}, gen: func(s string) (*http.Request, error) { return gen.NewDeleteCardiacEventRequest(s, xid) }},

		// The multipart variant of CreateMeal, with a photo.
		"CreateMeal with a photo": {multipart: true,
			sdk: func(ctx context.Context, c *Client) error { return err3(c.CreateMeal(ctx, photo)) },
			gen: func(s string) (*http.Request, error) {
				return gen.NewCreateMealRequestWithBody(s, "@me", "multipart/form-data; boundary=x", bytes.NewReader(nil))
			}},
	}
}

// TestOperationCasesCoverXIDs checks that the XIDs the comparison draws
// include ones the path must escape, so that it compares escaping.
func TestOperationCasesCoverXIDs(t *testing.T) {
	t.Parallel()
	escaped := slices.ContainsFunc(xids, func(x string) bool { return url.PathEscape(x) != x })
	plain := slices.ContainsFunc(xids, func(x string) bool { return url.PathEscape(x) == x })
	if !escaped || !plain {
		t.Fatal(fmt.Sprint("xids must hold XIDs with and without escapes: ", xids))
	}
}
