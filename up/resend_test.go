package up_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upapi/up-go/up"
	"github.com/upapi/up-go/up/uptest"
)

// clientWrite is one method of Client that changes data on UP.
type clientWrite struct {
	name   string // the Client method
	method string // its HTTP method
	call   func(ctx context.Context, t *testing.T, c *up.Client) error
}

// clientWrites is every method of Client that sends something other than a
// GET; TestEveryClientMethodIsClassified keeps it complete.
var clientWrites = []clientWrite{
	{"CreateWorkout", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		now := up.EpochOf(time.Now().Add(-time.Hour))
		_, _, err := c.CreateWorkout(ctx, up.WorkoutCreate{SubType: 2, TimeCreated: up.Ptr(now - 1800), TimeCompleted: up.Ptr(now)})
		return err
	}},
	{"UpdateWorkout", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.UpdateWorkout(ctx, "xid-1", up.WorkoutUpdate{Title: up.Ptr("Run")})
		return err
	}},
	{"DeleteWorkout", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteWorkout(ctx, "xid-1")
		return err
	}},
	{"CreateSleep", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		now := up.EpochOf(time.Now().Add(-time.Hour))
		_, _, err := c.CreateSleep(ctx, up.SleepCreate{TimeCreated: now - 8*3600, TimeCompleted: up.Ptr(now)})
		return err
	}},
	{"DeleteSleep", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteSleep(ctx, "xid-1")
		return err
	}},
	{"CreateMeal", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "Lunch", Items: []up.MealItem{{Name: "Soup"}}})
		return err
	}},
	{"CreateMeal", http.MethodPost, func(ctx context.Context, t *testing.T, c *up.Client) error { // multipart, with a photo
		photo := &up.Photo{Name: "lunch.png", ContentType: "image/png", Data: pngBytes(t)}
		_, _, err := c.CreateMeal(ctx, up.MealCreate{Note: "Lunch", Items: []up.MealItem{{Name: "Soup"}}, Photo: photo})
		return err
	}},
	{"UpdateMeal", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.UpdateMeal(ctx, "xid-1", up.MealUpdate{Note: up.Ptr("Dinner")})
		return err
	}},
	{"DeleteMeal", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteMeal(ctx, "xid-1")
		return err
	}},
	{"CreateBodyEvent", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.CreateBodyEvent(ctx, up.BodyEventCreate{Title: "Weigh-in", Weight: up.Ptr(70.2)})
		return err
	}},
	{"DeleteBodyEvent", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteBodyEvent(ctx, "xid-1")
		return err
	}},
	{"CreateCardiacEvent", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.CreateCardiacEvent(ctx, up.CardiacEventCreate{HeartRate: 64}) //nolint:staticcheck // deprecated, still served
		return err
	}},
	{"DeleteCardiacEvent", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteCardiacEvent(ctx, "xid-1") //nolint:staticcheck // deprecated, still served
		return err
	}},
	{"CreateGenericEvent", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.CreateGenericEvent(ctx, up.GenericEventCreate{Title: "Read", Verb: "read"})
		return err
	}},
	{"UpdateGenericEvent", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.UpdateGenericEvent(ctx, "xid-1", up.GenericEventUpdate{Note: up.Ptr("a good book")})
		return err
	}},
	{"DeleteGenericEvent", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteGenericEvent(ctx, "xid-1")
		return err
	}},
	{"CreateMood", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.CreateMood(ctx, up.MoodCreate{Title: "Energized", SubType: 3})
		return err
	}},
	{"DeleteMood", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.DeleteMood(ctx, "xid-1")
		return err
	}},
	{"UpdateGoals", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, _, err := c.UpdateGoals(ctx, up.GoalsUpdate{MoveSteps: up.Ptr(12000)})
		return err
	}},
	{"RetrieveRefreshToken", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.RetrieveRefreshToken(ctx)
		return err
	}},
	{"Subscribe", http.MethodPost, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.Subscribe(ctx, "https://myapp.example/up/webhook")
		return err
	}},
	{"Unsubscribe", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		_, err := c.Unsubscribe(ctx)
		return err
	}},
	{"Disconnect", http.MethodDelete, func(ctx context.Context, _ *testing.T, c *up.Client) error {
		return c.Disconnect(ctx)
	}},
}

// clientReads are the methods of Client that only GET from UP, and
// clientLocal those that send no request to the API (accessors, printing,
// and Refresh, which calls the token endpoint only): TestPrism calls every
// method but these.
var (
	clientReads = []string{
		"BandEvents", "BandEventsPage", "BodyEvent", "BodyEvents", "BodyEventsPage", "CardiacEvent", "CardiacEvents",
		"CardiacEventsPage", "Friends", "GenericEvent", "GenericEvents", "GenericEventsPage", "Goals", "HeartRates",
		"HeartRatesPage", "Meal", "Meals", "MealsPage", "Mood", "MoodEvent", "MoodOn", "Move", "MoveImage", "MoveTicks",
		"MoveTicksPage", "Moves", "MovesPage", "OpenMoveImage", "OpenSleepImage", "OpenWorkoutImage", "ReloadFriends",
		"Settings", "Sleep", "SleepImage", "SleepTicks", "SleepTicksPage", "Sleeps", "SleepsPage", "TimeZones",
		"Trends", "User", "Workout", "WorkoutImage", "WorkoutTicks", "WorkoutTicksPage", "Workouts", "WorkoutsPage",
	}
	clientLocal = []string{"API", "BaseURL", "Format", "GoString", "HTTPClient", "LogValue", "PendingSaveError", "Refresh", "SetToken", "String", "Token"}
)

// TestEveryClientMethodIsClassified fails when Client gains a method that
// is in none of clientWrites, clientReads and clientLocal, so that no
// write escapes TestWritesResentOnceAfterRefresh.
func TestEveryClientMethodIsClassified(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[*up.Client]()
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		isWrite := slices.ContainsFunc(clientWrites, func(w clientWrite) bool { return w.name == name })
		if !isWrite && !slices.Contains(clientReads, name) && !slices.Contains(clientLocal, name) {
			t.Errorf("Client.%s is not classified: add it to clientWrites (with a call) or, if it only reads, to clientReads", name)
		}
	}
}

// TestWritesResentOnceAfterRefresh calls every write of Client against an
// API that answers 401 whatever the token. A POST, which is not
// idempotent, reaches UP twice at most (the first try, and one resend
// after a refresh); a DELETE, which is, three times, as a read would. The
// 401 is returned as an *APIError.
func TestWritesResentOnceAfterRefresh(t *testing.T) {
	t.Parallel()
	for _, w := range clientWrites {
		t.Run(w.name, func(t *testing.T) {
			s := uptest.NewServer(t)
			c := fakeConfig(s).Client(s.MintToken())
			s.Inject(uptest.Fault{Kind: uptest.FaultUnauthorized})
			err := w.call(t.Context(), t, c)
			if !errors.Is(err, up.ErrUnauthorized) {
				t.Fatalf("error = %v, want an *APIError matching ErrUnauthorized", err)
			}
			wantSends, wantRefreshes := 3, 2
			if w.method == http.MethodPost {
				wantSends, wantRefreshes = 2, 1
			}
			sends := 0
			for _, r := range s.Requests() {
				if strings.HasPrefix(r.Path, "/nudge/api/") {
					if r.Method != w.method {
						t.Errorf("request %s %s, want %s", r.Method, r.Path, w.method)
					}
					sends++
				}
			}
			if sends != wantSends {
				t.Errorf("the request reached UP %d times, want %d", sends, wantSends)
			}
			if got := s.TokenRequests()["refresh_token"]; got != wantRefreshes {
				t.Errorf("%d refreshes, want %d", got, wantRefreshes)
			}
		})
	}
}
