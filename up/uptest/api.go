package uptest

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/url"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// api implements the spec's operations. A change to the spec that the fake
// does not follow stops this package from compiling. Each operation on
// events is one line: the generic handler of its verb (list, get, ticks,
// image, remove, create, update; kinds.go) with its kind's entry in the
// table of kinds, and reply to give the answer the operation's generated
// types. The scopes an operation needs are checked before it runs, from the
// spec (serveAPI); what a token may see of the answer is decided by view.
type api struct{ s *Server }

var _ gen.StrictServerInterface = (*api)(nil)

func ownerOf(ctx context.Context) string {
	if g := grantOf(ctx); g != nil {
		return g.clientID
	}
	return ""
}

func emptyData() map[string]any { return map[string]any{} }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// The user.

func (a *api) GetUser(ctx context.Context, _ gen.GetUserRequestObject) (gen.GetUserResponseObject, error) {
	u := a.s.userOf(ctx).st.user // never changed after seeding
	return reply[gen.GetUserResponseObject](a.ok(ctx, http.StatusOK, viewOf(ctx).user(u)), gen.GetUser200JSONResponse{}, gen.GetUserdefaultJSONResponse{})
}

func (a *api) ListFriends(ctx context.Context, _ gen.ListFriendsRequestObject) (gen.ListFriendsResponseObject, error) {
	return reply[gen.ListFriendsResponseObject](a.ok(ctx, http.StatusOK, friendsOf(a.s.userOf(ctx))), gen.ListFriends200JSONResponse{}, gen.ListFriendsdefaultJSONResponse{})
}

func (a *api) GetTrends(ctx context.Context, req gen.GetTrendsRequestObject) (gen.GetTrendsResponseObject, error) {
	return reply[gen.GetTrendsResponseObject](a.trends(ctx, req.Params), gen.GetTrends200JSONResponse{}, gen.GetTrendsdefaultJSONResponse{})
}

func (a *api) GetGoals(ctx context.Context, _ gen.GetGoalsRequestObject) (gen.GetGoalsResponseObject, error) {
	st := a.s.userOf(ctx).st
	st.mu.Lock()
	g := st.goals
	st.mu.Unlock()
	return reply[gen.GetGoalsResponseObject](a.ok(ctx, http.StatusOK, g), gen.GetGoals200JSONResponse{}, gen.GetGoalsdefaultJSONResponse{})
}

func (a *api) UpdateGoals(ctx context.Context, req gen.UpdateGoalsRequestObject) (gen.UpdateGoalsResponseObject, error) {
	b := req.Body
	st := a.s.userOf(ctx).st
	st.mu.Lock()
	g := st.goals
	if b.MoveSteps != nil {
		g.MoveSteps = *b.MoveSteps
	}
	if b.SleepTotal != nil {
		g.SleepTotal = *b.SleepTotal
	}
	if b.BodyWeight != nil {
		g.BodyWeight = *b.BodyWeight
	}
	if b.BodyWeightIntent != nil {
		g.BodyWeightIntent = ptr(*b.BodyWeightIntent)
	}
	st.goals = g
	st.mu.Unlock()
	return reply[gen.UpdateGoalsResponseObject](a.ok(ctx, http.StatusOK, g), gen.UpdateGoals200JSONResponse{}, gen.UpdateGoalsdefaultJSONResponse{})
}

func (a *api) GetSettings(ctx context.Context, _ gen.GetSettingsRequestObject) (gen.GetSettingsResponseObject, error) {
	settings := a.s.userOf(ctx).st.settings // never changed after seeding
	return reply[gen.GetSettingsResponseObject](a.ok(ctx, http.StatusOK, settings), gen.GetSettings200JSONResponse{}, gen.GetSettingsdefaultJSONResponse{})
}

// GetTimeZone lists the zones in effect over the requested day, range or
// moment (now when none is given), each from when it took effect.
func (a *api) GetTimeZone(ctx context.Context, req gen.GetTimeZoneRequestObject) (gen.GetTimeZoneResponseObject, error) {
	return reply[gen.GetTimeZoneResponseObject](a.timeZones(ctx, req.Params), gen.GetTimeZone200JSONResponse{}, gen.GetTimeZonedefaultJSONResponse{})
}

func (a *api) timeZones(ctx context.Context, p gen.GetTimeZoneParams) outcome {
	st := a.s.userOf(ctx).st // zones never change after seeding
	now := a.s.now().Unix()
	from, to := now, now
	switch {
	case p.Date != nil:
		if !p.Date.Valid() {
			return a.failed(ctx, badRequest("date %d is not a day", int(*p.Date)))
		}
		from, to = p.Date.In(st.loc).Unix(), p.Date.AddDays(1).In(st.loc).Unix()-1
	case p.StartTime != nil:
		from = int64(*p.StartTime)
		if p.EndTime != nil {
			to = int64(*p.EndTime)
		}
	case p.EndTime != nil:
		from, to = int64(*p.EndTime), int64(*p.EndTime)
	case p.Timestamp != nil:
		from, to = int64(*p.Timestamp), int64(*p.Timestamp)
	}
	if to < from {
		return a.failed(ctx, badRequest("end_time is before start_time"))
	}
	items := []gen.TimeZone{}
	for i, z := range st.zones {
		until := int64(math.MaxInt64)
		if i+1 < len(st.zones) {
			until = int64(st.zones[i+1].Time)
		}
		if int64(z.Time) <= to && until > from {
			items = append(items, z)
		}
	}
	if len(items) == 0 && len(st.zones) > 0 {
		items = append(items, st.zones[0]) // a period before the history: the first zone known
	}
	return a.ok(ctx, http.StatusOK, gen.TimeZoneList{Items: items, Size: len(items)})
}

func (a *api) GetRefreshToken(ctx context.Context, req gen.GetRefreshTokenRequestObject) (gen.GetRefreshTokenResponseObject, error) {
	o := a.failed(ctx, forbidden("secret is not the app's client secret"))
	if g := grantOf(ctx); req.Body != nil && req.Body.Secret == a.s.clientSecretOf(g.clientID) {
		a.s.oauth.mu.Lock()
		refresh := g.refresh
		a.s.oauth.mu.Unlock()
		o = a.ok(ctx, http.StatusOK, gen.RefreshToken{RefreshToken: refresh})
	}
	return reply[gen.GetRefreshTokenResponseObject](o, gen.GetRefreshToken200JSONResponse{}, gen.GetRefreshTokendefaultJSONResponse{})
}

// Moves.

func (a *api) ListMoves(ctx context.Context, req gen.ListMovesRequestObject) (gen.ListMovesResponseObject, error) {
	return reply[gen.ListMovesResponseObject](moves.list(ctx, a, listQueryOf(req.Params)), gen.ListMoves200JSONResponse{}, gen.ListMovesdefaultJSONResponse{})
}

func (a *api) GetMove(ctx context.Context, req gen.GetMoveRequestObject) (gen.GetMoveResponseObject, error) {
	return reply[gen.GetMoveResponseObject](moves.get(ctx, a, req.XID), gen.GetMove200JSONResponse{}, gen.GetMovedefaultJSONResponse{})
}

func (a *api) ListMoveTicks(ctx context.Context, req gen.ListMoveTicksRequestObject) (gen.ListMoveTicksResponseObject, error) {
	return reply[gen.ListMoveTicksResponseObject](moves.tickList(ctx, a, req.XID), gen.ListMoveTicks200JSONResponse{}, gen.ListMoveTicksdefaultJSONResponse{})
}

func (a *api) GetMoveImage(ctx context.Context, req gen.GetMoveImageRequestObject) (gen.GetMoveImageResponseObject, error) {
	return reply[gen.GetMoveImageResponseObject](moves.image(ctx, a, req.XID), gen.GetMoveImage200ImagePNGResponse{}, gen.GetMoveImagedefaultJSONResponse{})
}

// Workouts.

func (a *api) ListWorkouts(ctx context.Context, req gen.ListWorkoutsRequestObject) (gen.ListWorkoutsResponseObject, error) {
	return reply[gen.ListWorkoutsResponseObject](workouts.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListWorkouts200JSONResponse{}, gen.ListWorkoutsdefaultJSONResponse{})
}

func (a *api) CreateWorkout(ctx context.Context, req gen.CreateWorkoutRequestObject) (gen.CreateWorkoutResponseObject, error) {
	return reply[gen.CreateWorkoutResponseObject](create(ctx, a, workouts, *req.Body, (*Server).createWorkout), gen.CreateWorkout201JSONResponse{}, gen.CreateWorkoutdefaultJSONResponse{})
}

func (a *api) GetWorkout(ctx context.Context, req gen.GetWorkoutRequestObject) (gen.GetWorkoutResponseObject, error) {
	return reply[gen.GetWorkoutResponseObject](workouts.get(ctx, a, req.XID), gen.GetWorkout200JSONResponse{}, gen.GetWorkoutdefaultJSONResponse{})
}

func (a *api) UpdateWorkout(ctx context.Context, req gen.UpdateWorkoutRequestObject) (gen.UpdateWorkoutResponseObject, error) {
	return reply[gen.UpdateWorkoutResponseObject](update(ctx, a, workouts, req.XID, *req.Body, (*Server).updateWorkout), gen.UpdateWorkout200JSONResponse{}, gen.UpdateWorkoutdefaultJSONResponse{})
}

func (a *api) DeleteWorkout(ctx context.Context, req gen.DeleteWorkoutRequestObject) (gen.DeleteWorkoutResponseObject, error) {
	return reply[gen.DeleteWorkoutResponseObject](workouts.remove(ctx, a, req.XID), gen.DeleteWorkout200JSONResponse{}, gen.DeleteWorkoutdefaultJSONResponse{})
}

func (a *api) ListWorkoutTicks(ctx context.Context, req gen.ListWorkoutTicksRequestObject) (gen.ListWorkoutTicksResponseObject, error) {
	return reply[gen.ListWorkoutTicksResponseObject](workouts.tickList(ctx, a, req.XID), gen.ListWorkoutTicks200JSONResponse{}, gen.ListWorkoutTicksdefaultJSONResponse{})
}

func (a *api) GetWorkoutImage(ctx context.Context, req gen.GetWorkoutImageRequestObject) (gen.GetWorkoutImageResponseObject, error) {
	return reply[gen.GetWorkoutImageResponseObject](workouts.image(ctx, a, req.XID), gen.GetWorkoutImage200ImagePNGResponse{}, gen.GetWorkoutImagedefaultJSONResponse{})
}

// Sleeps.

func (a *api) ListSleeps(ctx context.Context, req gen.ListSleepsRequestObject) (gen.ListSleepsResponseObject, error) {
	return reply[gen.ListSleepsResponseObject](sleeps.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListSleeps200JSONResponse{}, gen.ListSleepsdefaultJSONResponse{})
}

func (a *api) CreateSleep(ctx context.Context, req gen.CreateSleepRequestObject) (gen.CreateSleepResponseObject, error) {
	return reply[gen.CreateSleepResponseObject](create(ctx, a, sleeps, *req.Body, (*Server).createSleep), gen.CreateSleep201JSONResponse{}, gen.CreateSleepdefaultJSONResponse{})
}

func (a *api) GetSleep(ctx context.Context, req gen.GetSleepRequestObject) (gen.GetSleepResponseObject, error) {
	return reply[gen.GetSleepResponseObject](sleeps.get(ctx, a, req.XID), gen.GetSleep200JSONResponse{}, gen.GetSleepdefaultJSONResponse{})
}

func (a *api) DeleteSleep(ctx context.Context, req gen.DeleteSleepRequestObject) (gen.DeleteSleepResponseObject, error) {
	return reply[gen.DeleteSleepResponseObject](sleeps.remove(ctx, a, req.XID), gen.DeleteSleep200JSONResponse{}, gen.DeleteSleepdefaultJSONResponse{})
}

func (a *api) ListSleepTicks(ctx context.Context, req gen.ListSleepTicksRequestObject) (gen.ListSleepTicksResponseObject, error) {
	return reply[gen.ListSleepTicksResponseObject](sleeps.tickList(ctx, a, req.XID), gen.ListSleepTicks200JSONResponse{}, gen.ListSleepTicksdefaultJSONResponse{})
}

func (a *api) GetSleepImage(ctx context.Context, req gen.GetSleepImageRequestObject) (gen.GetSleepImageResponseObject, error) {
	return reply[gen.GetSleepImageResponseObject](sleeps.image(ctx, a, req.XID), gen.GetSleepImage200ImagePNGResponse{}, gen.GetSleepImagedefaultJSONResponse{})
}

// Meals.

func (a *api) ListMeals(ctx context.Context, req gen.ListMealsRequestObject) (gen.ListMealsResponseObject, error) {
	return reply[gen.ListMealsResponseObject](meals.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListMeals200JSONResponse{}, gen.ListMealsdefaultJSONResponse{})
}

func (a *api) CreateMeal(ctx context.Context, req gen.CreateMealRequestObject) (gen.CreateMealResponseObject, error) {
	return reply[gen.CreateMealResponseObject](create(ctx, a, meals, req, (*Server).createMealRequest), gen.CreateMeal201JSONResponse{}, gen.CreateMealdefaultJSONResponse{})
}

func (a *api) GetMeal(ctx context.Context, req gen.GetMealRequestObject) (gen.GetMealResponseObject, error) {
	return reply[gen.GetMealResponseObject](meals.get(ctx, a, req.XID), gen.GetMeal200JSONResponse{}, gen.GetMealdefaultJSONResponse{})
}

func (a *api) UpdateMeal(ctx context.Context, req gen.UpdateMealRequestObject) (gen.UpdateMealResponseObject, error) {
	return reply[gen.UpdateMealResponseObject](update(ctx, a, meals, req.XID, *req.Body, (*Server).updateMeal), gen.UpdateMeal200JSONResponse{}, gen.UpdateMealdefaultJSONResponse{})
}

func (a *api) DeleteMeal(ctx context.Context, req gen.DeleteMealRequestObject) (gen.DeleteMealResponseObject, error) {
	return reply[gen.DeleteMealResponseObject](meals.remove(ctx, a, req.XID), gen.DeleteMeal200JSONResponse{}, gen.DeleteMealdefaultJSONResponse{})
}

// Body events.

func (a *api) ListBodyEvents(ctx context.Context, req gen.ListBodyEventsRequestObject) (gen.ListBodyEventsResponseObject, error) {
	return reply[gen.ListBodyEventsResponseObject](bodies.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListBodyEvents200JSONResponse{}, gen.ListBodyEventsdefaultJSONResponse{})
}

func (a *api) CreateBodyEvent(ctx context.Context, req gen.CreateBodyEventRequestObject) (gen.CreateBodyEventResponseObject, error) {
	return reply[gen.CreateBodyEventResponseObject](create(ctx, a, bodies, *req.Body, (*Server).createBodyEvent), gen.CreateBodyEvent201JSONResponse{}, gen.CreateBodyEventdefaultJSONResponse{})
}

func (a *api) GetBodyEvent(ctx context.Context, req gen.GetBodyEventRequestObject) (gen.GetBodyEventResponseObject, error) {
	return reply[gen.GetBodyEventResponseObject](bodies.get(ctx, a, req.XID), gen.GetBodyEvent200JSONResponse{}, gen.GetBodyEventdefaultJSONResponse{})
}

func (a *api) DeleteBodyEvent(ctx context.Context, req gen.DeleteBodyEventRequestObject) (gen.DeleteBodyEventResponseObject, error) {
	return reply[gen.DeleteBodyEventResponseObject](bodies.remove(ctx, a, req.XID), gen.DeleteBodyEvent200JSONResponse{}, gen.DeleteBodyEventdefaultJSONResponse{})
}

// Heart rates.

func (a *api) ListHeartRates(ctx context.Context, req gen.ListHeartRatesRequestObject) (gen.ListHeartRatesResponseObject, error) {
	return reply[gen.ListHeartRatesResponseObject](hearts.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListHeartRates200JSONResponse{}, gen.ListHeartRatesdefaultJSONResponse{})
}

// Generic events.

func (a *api) ListGenericEvents(ctx context.Context, req gen.ListGenericEventsRequestObject) (gen.ListGenericEventsResponseObject, error) {
	return reply[gen.ListGenericEventsResponseObject](generics.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListGenericEvents200JSONResponse{}, gen.ListGenericEventsdefaultJSONResponse{})
}

func (a *api) CreateGenericEvent(ctx context.Context, req gen.CreateGenericEventRequestObject) (gen.CreateGenericEventResponseObject, error) {
	return reply[gen.CreateGenericEventResponseObject](create(ctx, a, generics, *req.Body, (*Server).createGenericEvent), gen.CreateGenericEvent201JSONResponse{}, gen.CreateGenericEventdefaultJSONResponse{})
}

func (a *api) GetGenericEvent(ctx context.Context, req gen.GetGenericEventRequestObject) (gen.GetGenericEventResponseObject, error) {
	return reply[gen.GetGenericEventResponseObject](generics.get(ctx, a, req.XID), gen.GetGenericEvent200JSONResponse{}, gen.GetGenericEventdefaultJSONResponse{})
}

func (a *api) UpdateGenericEvent(ctx context.Context, req gen.UpdateGenericEventRequestObject) (gen.UpdateGenericEventResponseObject, error) {
	return reply[gen.UpdateGenericEventResponseObject](update(ctx, a, generics, req.XID, *req.Body, (*Server).updateGenericEvent), gen.UpdateGenericEvent200JSONResponse{}, gen.UpdateGenericEventdefaultJSONResponse{})
}

func (a *api) DeleteGenericEvent(ctx context.Context, req gen.DeleteGenericEventRequestObject) (gen.DeleteGenericEventResponseObject, error) {
	return reply[gen.DeleteGenericEventResponseObject](generics.remove(ctx, a, req.XID), gen.DeleteGenericEvent200JSONResponse{}, gen.DeleteGenericEventdefaultJSONResponse{})
}

// Mood.

// GetMood returns the last mood the user logged on date (today by default),
// or an empty object.
func (a *api) GetMood(ctx context.Context, req gen.GetMoodRequestObject) (gen.GetMoodResponseObject, error) {
	st := a.s.userOf(ctx).data()
	day := wire.DateOf(a.s.now().In(st.loc))
	if req.Params.Date != nil {
		day = *req.Params.Date
	}
	var mood gen.Mood
	st.mu.Lock()
	for _, r := range st.moods.rows {
		if r.v.Date == day {
			mood = r.v
		}
	}
	st.mu.Unlock()
	return reply[gen.GetMoodResponseObject](a.ok(ctx, http.StatusOK, mood), gen.GetMood200JSONResponse{}, gen.GetMooddefaultJSONResponse{})
}

func (a *api) CreateMood(ctx context.Context, req gen.CreateMoodRequestObject) (gen.CreateMoodResponseObject, error) {
	return reply[gen.CreateMoodResponseObject](create(ctx, a, moods, *req.Body, (*Server).createMood), gen.CreateMood201JSONResponse{}, gen.CreateMooddefaultJSONResponse{})
}

func (a *api) GetMoodEvent(ctx context.Context, req gen.GetMoodEventRequestObject) (gen.GetMoodEventResponseObject, error) {
	return reply[gen.GetMoodEventResponseObject](moods.get(ctx, a, req.XID), gen.GetMoodEvent200JSONResponse{}, gen.GetMoodEventdefaultJSONResponse{})
}

func (a *api) DeleteMood(ctx context.Context, req gen.DeleteMoodRequestObject) (gen.DeleteMoodResponseObject, error) {
	return reply[gen.DeleteMoodResponseObject](moods.remove(ctx, a, req.XID), gen.DeleteMood200JSONResponse{}, gen.DeleteMooddefaultJSONResponse{})
}

// Band events.

// ListBandEvents lists sleep-mode events to tokens with sleep_read and
// stopwatch events to tokens with move_read (view.bandEvent); they filter
// by created_after, not updated_after.
func (a *api) ListBandEvents(ctx context.Context, req gen.ListBandEventsRequestObject) (gen.ListBandEventsResponseObject, error) {
	p := req.Params
	q := listQueryOf(gen.ListMovesParams{Date: p.Date, PageToken: p.PageToken, StartTime: p.StartTime, EndTime: p.EndTime, Limit: p.Limit})
	q.createdAfter = epochPtr(p.CreatedAfter)
	return reply[gen.ListBandEventsResponseObject](bandEvents.list(ctx, a, q), gen.ListBandEvents200JSONResponse{}, gen.ListBandEventsdefaultJSONResponse{})
}

// Cardiac events (API v1.0).

func (a *api) ListCardiacEvents(ctx context.Context, req gen.ListCardiacEventsRequestObject) (gen.ListCardiacEventsResponseObject, error) {
	return reply[gen.ListCardiacEventsResponseObject](cardiacs.list(ctx, a, listQueryOf(gen.ListMovesParams(req.Params))), gen.ListCardiacEvents200JSONResponse{}, gen.ListCardiacEventsdefaultJSONResponse{})
}

func (a *api) CreateCardiacEvent(ctx context.Context, req gen.CreateCardiacEventRequestObject) (gen.CreateCardiacEventResponseObject, error) {
	return reply[gen.CreateCardiacEventResponseObject](create(ctx, a, cardiacs, *req.Body, (*Server).createCardiacEvent), gen.CreateCardiacEvent201JSONResponse{}, gen.CreateCardiacEventdefaultJSONResponse{})
}

func (a *api) GetCardiacEvent(ctx context.Context, req gen.GetCardiacEventRequestObject) (gen.GetCardiacEventResponseObject, error) {
	return reply[gen.GetCardiacEventResponseObject](cardiacs.get(ctx, a, req.XID), gen.GetCardiacEvent200JSONResponse{}, gen.GetCardiacEventdefaultJSONResponse{})
}

func (a *api) DeleteCardiacEvent(ctx context.Context, req gen.DeleteCardiacEventRequestObject) (gen.DeleteCardiacEventResponseObject, error) {
	return reply[gen.DeleteCardiacEventResponseObject](cardiacs.remove(ctx, a, req.XID), gen.DeleteCardiacEvent200JSONResponse{}, gen.DeleteCardiacEventdefaultJSONResponse{})
}

// Webhooks and disconnection.

// SubscribePubSub registers the webhook of the token's app for the user;
// notifications then cover what the token may read.
func (a *api) SubscribePubSub(ctx context.Context, req gen.SubscribePubSubRequestObject) (gen.SubscribePubSubResponseObject, error) {
	o := a.failed(ctx, badRequest("webhook must be an absolute http or https URL"))
	if hook, ok := webhookURL(req.Params.Webhook); ok {
		g := grantOf(ctx)
		a.s.hooks.subscribe(g.clientID, g.user.XID(), hook, g.scopeSet)
		o = a.ok(ctx, http.StatusOK, emptyData())
	}
	return reply[gen.SubscribePubSubResponseObject](o, gen.SubscribePubSub200JSONResponse{}, gen.SubscribePubSubdefaultJSONResponse{})
}

// webhookURL checks that raw is an absolute http or https URL. UP wanted
// https; the fake also takes http, for receivers in tests.
func webhookURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	return u.String(), (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (a *api) UnsubscribePubSub(ctx context.Context, _ gen.UnsubscribePubSubRequestObject) (gen.UnsubscribePubSubResponseObject, error) {
	g := grantOf(ctx)
	a.s.hooks.unsubscribe(g.clientID, g.user.XID())
	return reply[gen.UnsubscribePubSubResponseObject](a.ok(ctx, http.StatusOK, emptyData()), gen.UnsubscribePubSub200JSONResponse{}, gen.UnsubscribePubSubdefaultJSONResponse{})
}

// Disconnect revokes every token of the user for the app and removes its webhook.
func (a *api) Disconnect(ctx context.Context, _ gen.DisconnectRequestObject) (gen.DisconnectResponseObject, error) {
	g := grantOf(ctx)
	a.s.revokeUser(g.user, g.clientID)
	a.s.hooks.unsubscribe(g.clientID, g.user.XID())
	return reply[gen.DisconnectResponseObject](a.ok(ctx, http.StatusOK, emptyData()), gen.Disconnect200JSONResponse{}, gen.DisconnectdefaultJSONResponse{})
}
