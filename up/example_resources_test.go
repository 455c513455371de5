package up_test

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// exampleNow is the fake server's clock in these examples, so that their
// output does not depend on the day they run.
var exampleNow = time.Date(2024, time.March, 15, 9, 0, 0, 0, time.UTC)

// exampleFake starts a fake UP server with a fixed clock and returns it with
// a Client for its user; scopes default to every scope.
func exampleFake(scopes ...string) (*uptest.Server, *up.Client) {
	s := uptest.New(uptest.WithSeed(7), uptest.WithDays(14), uptest.WithClock(func() time.Time { return exampleNow }))
	return s, up.ConfigFor(s).Client(s.MintToken(scopes...))
}

func ExampleClient_User() {
	s, client := exampleFake()
	defer s.Close()
	user, resp, err := client.User(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(user.XID == resp.Meta.UserXID, resp.Meta.Message, resp.Meta.Time.Equal(exampleNow))

	// Friends are fetched once; ReloadFriends fetches them again.
	friends, _, err := client.Friends(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(friends.Size, "friends")
	// Output:
	// true OK true
	// 3 friends
}

func ExampleClient_Workouts() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()

	// Every workout of the first week of March, page after page, oldest first.
	week := up.ListQuery{Range: up.Between(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)), Limit: 2}
	n := 0
	for w, err := range client.Workouts(ctx, week) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if w.Date < up.NewDate(2024, 2, 29) || w.Date > up.NewDate(2024, 3, 8) {
			fmt.Println("workout outside the week:", w.Date)
		}
		n++
	}
	fmt.Println(n > 0)
	// Output: true
}

func ExampleClient_CreateWorkout() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()

	start := exampleNow.Add(-time.Hour)
	w, resp, err := client.CreateWorkout(ctx, up.WorkoutCreate{
		SubType:       up.WorkoutRun,
		TimeCreated:   up.Ptr(up.EpochOf(start)),
		TimeCompleted: up.Ptr(up.EpochOf(start.Add(35 * time.Minute))),
		Title:         up.Ptr("Lunch run"),
		Distance:      up.Ptr(6100.0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, w.Title, w.SubType, w.Date)

	w, _, err = client.UpdateWorkout(ctx, w.XID, up.WorkoutUpdate{Intensity: up.Ptr(up.IntensityDifficult)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("intensity", w.Details.Intensity)

	if _, err := client.DeleteWorkout(ctx, w.XID); err != nil {
		fmt.Println(err)
		return
	}
	_, _, err = client.Workout(ctx, w.XID)
	fmt.Println("gone:", errors.Is(err, up.ErrNotFound))
	// Output:
	// 201 Lunch run run 2024-03-15
	// intensity difficult
	// gone: true
}

func ExampleClient_Moves() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()

	// One move per day: the one of 10 March, with its intraday series.
	page, err := client.MovesPage(ctx, up.ListQuery{Date: up.NewDate(2024, 3, 10)})
	if err != nil || len(page.Items) != 1 {
		fmt.Println(len(page.Items), err)
		return
	}
	move := page.Items[0]
	steps := 0
	for tick, err := range client.MoveTicks(ctx, move.XID) {
		if err != nil {
			fmt.Println(err)
			return
		}
		steps += tick.Steps
	}
	fmt.Println(move.Date, steps == move.Details.Steps)
	// Output: 2024-03-10 true
}

func ExampleClient_Sleeps() {
	s, client := exampleFake()
	defer s.Close()
	for sleep, err := range client.Sleeps(context.Background(), up.ListQuery{Date: up.NewDate(2024, 3, 12)}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		d := sleep.Details
		fmt.Println(sleep.Date, d.Duration-d.Awake == d.Light+d.Sound+d.Rem)
	}
	// Output: 2024-03-12 true
}

// A graph can be streamed rather than read into memory, here only as far
// as its PNG header.
func ExampleClient_OpenSleepImage() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()
	for sleep, err := range client.Sleeps(ctx, up.ListQuery{Date: up.NewDate(2024, 3, 12)}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		graph, _, err := client.OpenSleepImage(ctx, sleep.XID)
		if err != nil {
			fmt.Println(err)
			return
		}
		cfg, err := png.DecodeConfig(graph)
		_ = graph.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v: %d×%d PNG\n", sleep.Date, cfg.Width, cfg.Height)
	}
	// Output: 2024-03-12: 199×80 PNG
}

func ExampleClient_CreateMeal() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()
	meal, _, err := client.CreateMeal(ctx, up.MealCreate{
		Note:    "Breakfast",
		SubType: up.Ptr(up.MealBreakfast),
		Items: []up.MealItem{
			{Name: "Oatmeal", Amount: 1, Measurement: "cup", Type: up.ServingBowl, Calories: 150},
			{Name: "Coffee", SubType: up.MealItemDrink},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	meal, _, err = client.Meal(ctx, meal.XID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, item := range meal.Items.Items {
		fmt.Println(item.Name)
	}
	// Output:
	// Oatmeal
	// Coffee
}

func ExampleClient_CreateBodyEvent() {
	s, client := exampleFake()
	defer s.Close()
	ev, _, err := client.CreateBodyEvent(context.Background(), up.BodyEventCreate{Title: "Morning weigh-in", Weight: up.Ptr(71.8)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Title, *ev.Weight)
	// Output: Morning weigh-in 71.8
}

func ExampleClient_HeartRates() {
	s, client := exampleFake()
	defer s.Close()
	n := 0
	for hr, err := range client.HeartRates(context.Background(), up.ListQuery{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if hr.RestingHeartrate > 30 && hr.RestingHeartrate < 120 {
			n++
		}
	}
	fmt.Println(n > 7)
	// Output: true
}

func ExampleClient_CreateGenericEvent() {
	s, client := exampleFake()
	defer s.Close()
	ev, _, err := client.CreateGenericEvent(context.Background(), up.GenericEventCreate{
		Title:      "Read a chapter",
		Verb:       "read",
		Attributes: map[string]any{"pages": 24, "book": "Moby-Dick"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Verb, (ev.Attributes)["book"])
	// Output: read Moby-Dick
}

func ExampleClient_CreateMood() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()
	if _, _, err := client.CreateMood(ctx, up.MoodCreate{Title: "Energized", SubType: up.MoodEnergized}); err != nil {
		fmt.Println(err)
		return
	}
	mood, _, err := client.MoodOn(ctx, 0) // today's
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mood.Title, mood.SubType)
	// Output: Energized energized
}

func ExampleClient_BandEvents() {
	s, client := exampleFake("sleep_read") // sleep-mode events only
	defer s.Close()
	actions := map[up.BandEventAction]int{}
	for ev, err := range client.BandEvents(context.Background(), up.BandEventQuery{Date: up.NewDate(2024, 3, 12)}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		actions[ev.Action]++
	}
	fmt.Println(actions[up.BandEnterSleepMode] > 0, actions[up.BandEnterStopwatchMode])
	// Output: true 0
}

func ExampleClient_Trends() {
	s, client := exampleFake()
	defer s.Close()
	trends, _, err := client.Trends(context.Background(), up.TrendsQuery{Range: up.TrendUnitDay, RangeDuration: 7, BucketSize: up.TrendUnitDay})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Today has no data yet, as if the band had not synced; yesterday has.
	today, yesterday := trends.Data[len(trends.Data)-1], trends.Data[len(trends.Data)-2]
	fmt.Println(len(trends.Data), today.Date, today.Value.MSteps == nil, yesterday.Value.MSteps != nil)
	// Output: 7 2024-03-15 true true
}

func ExampleClient_UpdateGoals() {
	s, client := exampleFake()
	defer s.Close()
	goals, _, err := client.UpdateGoals(context.Background(), up.GoalsUpdate{MoveSteps: up.Ptr(12000)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(goals.MoveSteps)
	// Output: 12000
}

func ExampleClient_TimeZones() {
	s, client := exampleFake()
	defer s.Close()
	zones, _, err := client.TimeZones(context.Background(), up.TimeZoneQuery{Date: up.NewDate(2024, 3, 14)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(zones[len(zones)-1].TZ)
	// Output: America/Los_Angeles
}

func ExamplePage_Next() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()
	page, err := client.SleepsPage(ctx, up.ListQuery{Limit: 5})
	pages := 1
	for err == nil && page.HasNext() {
		saved := page.NextURL() // keep this to resume later with up.ResumePage
		_ = saved
		page, err = page.Next(ctx)
		pages++
	}
	fmt.Println(pages, err)
	// Output: 3 <nil>
}

func ExampleWebhookHandler() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()

	got := make(chan up.WebhookEvent, 1)
	hook := &up.WebhookHandler{
		ClientID: s.ClientID, ClientSecret: s.ClientSecret, // the app's; they prove a notification is UP's
		Handle: func(_ context.Context, n *up.Notification) {
			for _, ev := range n.Events {
				got <- ev
			}
		},
	}
	receiver := httptest.NewServer(hook)
	defer receiver.Close()
	if _, err := client.Subscribe(ctx, receiver.URL+"/up/notifications"); err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := client.CreateBodyEvent(ctx, up.BodyEventCreate{Title: "Weigh-in", Weight: up.Ptr(70.2)}); err != nil {
		fmt.Println(err)
		return
	}
	ev := <-got
	fmt.Println(ev.Type, ev.Action)
	// Output: body creation
}

func ExampleRetryPolicy() {
	s := uptest.New()
	defer s.Close()
	cfg := up.ConfigFor(s)
	cfg.Retry = &up.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond}
	client := cfg.Client(s.MintToken())

	// The API is busy once; the read is retried and succeeds.
	s.Inject(uptest.Fault{Path: "/users/@me", Kind: uptest.FaultStatus, Status: http.StatusServiceUnavailable, Count: 1})
	user, _, err := client.User(context.Background())
	fmt.Println(user != nil, err)
	// Output: true <nil>
}

// A walk through a long list can stop (a deploy, a crash) and go on later
// from the URL of its next page, kept meanwhile in a file or a database.
func ExampleResumePage() {
	s, client := exampleFake()
	defer s.Close()
	ctx := context.Background()

	first, err := client.MovesPage(ctx, up.ListQuery{Limit: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	saved := first.NextURL() // empty on the last page

	// Later, perhaps in another process with a Client of the same user:
	n := len(first.Items)
	for page, err := up.ResumePage[up.Move](ctx, client, saved); ; page, err = page.Next(ctx) {
		if err != nil {
			fmt.Println(err)
			return
		}
		n += len(page.Items)
		if !page.HasNext() {
			break
		}
	}
	fmt.Println(n, "moves")
	// Output: 14 moves
}

func ExampleClient_Settings() {
	s, client := exampleFake()
	defer s.Close()
	settings, _, err := client.Settings(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("moves shared:", settings.ShareMove, "sleeps shared:", settings.ShareSleep)
	// Output: moves shared: true sleeps shared: true
}
