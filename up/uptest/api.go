package uptest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// api implements the spec's operations. A change to the spec that the fake
// does not follow stops this package from compiling.
type api struct{ s *Server }

var _ gen.StrictServerInterface = (*api)(nil)

func (a *api) meta(code int) gen.Meta {
	return gen.Meta{UserXID: a.s.store.user.XID, Message: "OK", Code: code, Time: wire.EpochOf(a.s.now())}
}

func (a *api) fail(ctx context.Context, e *apiError) failure {
	return failure{Body: a.s.errorEnvelope(grantOf(ctx), e), StatusCode: e.status}
}

// has reports whether the call's token grants scope.
func has(ctx context.Context, scope string) bool {
	g := grantOf(ctx)
	return g != nil && g.scopeSet[scope]
}

func ownerOf(ctx context.Context) string {
	if g := grantOf(ctx); g != nil {
		return g.clientID
	}
	return ""
}

func emptyData() *map[string]any { return &map[string]any{} }

// query gathers a list call's parameters.
func query(date *wire.Date, token *int64, start, end, changed *wire.Epoch, limit *int) listQuery {
	epoch := func(e *wire.Epoch) *int64 {
		if e == nil {
			return nil
		}
		v := int64(*e)
		return &v
	}
	q := listQuery{date: date, pageToken: token, start: epoch(start), end: epoch(end), updatedAfter: epoch(changed), limit: 10}
	if limit != nil {
		q.limit = *limit
	}
	return q
}

// nextLink is links.next: a path relative to the host that names the user by
// XID and repeats the filters, with the page_token and limit of the next page.
func (a *api) nextLink(resource string, q listQuery, next int64) string {
	v := url.Values{}
	set := func(k string, p *int64) {
		if p != nil {
			v.Set(k, strconv.FormatInt(*p, 10))
		}
	}
	if q.date != nil {
		v.Set("date", strconv.Itoa(int(*q.date)))
	}
	set("start_time", q.start)
	set("end_time", q.end)
	set("updated_after", q.updatedAfter)
	set("created_after", q.createdAfter)
	link := fmt.Sprintf("%s/users/%s/%s?", basePath, a.s.store.user.XID, resource)
	if enc := v.Encode(); enc != "" {
		link += enc + "&"
	}
	return link + fmt.Sprintf("page_token=%d&limit=%d", next, q.limit)
}

// listOf returns a page of tbl and its links, with the place of each event
// removed when the token lacks location_read.
func listOf[T any](ctx context.Context, a *api, tbl *table[T], resource string, q listQuery, keep func(*T) bool, scrub func(*T)) ([]T, *gen.Links, *apiError) {
	if q.date != nil && !q.date.Valid() {
		return nil, nil, badRequest("date %d is not a day", int(*q.date))
	}
	st := a.s.store
	st.mu.Lock()
	items, next := tbl.list(q, a.s.now().Unix(), keep)
	st.mu.Unlock()
	for i := range items {
		hidePlace(ctx, &items[i], scrub)
	}
	if next == nil {
		return items, nil, nil
	}
	return items, &gen.Links{Next: ptr(a.nextLink(resource, q, *next))}, nil
}

// getOf returns the event xid of tbl, its place removed when the token lacks
// location_read.
func getOf[T any](ctx context.Context, a *api, tbl *table[T], xid string, scrub func(*T)) (T, bool) {
	st := a.s.store
	st.mu.Lock()
	r, ok := tbl.get(xid)
	var v T
	if ok {
		v = r.v
	}
	st.mu.Unlock()
	if ok {
		hidePlace(ctx, &v, scrub)
	}
	return v, ok
}

// hidePlace removes from v, with scrub, what only a token with location_read
// may see. A nil scrub is for resources that carry no place.
func hidePlace[T any](ctx context.Context, v *T, scrub func(*T)) {
	if scrub != nil && !has(ctx, "location_read") {
		scrub(v)
	}
}

// Scrubbers remove what only location_read may see.

func scrubWorkout(v *gen.Workout) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName, v.Route = nil, nil, nil, nil, nil
	if v.Details != nil && v.Details.PlaceAcc != nil {
		d := *v.Details
		d.PlaceAcc = nil
		v.Details = &d
	}
}

func scrubSleep(v *gen.Sleep) { v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil }

func scrubMeal(v *gen.Meal) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil
	if v.Details != nil && v.Details.Accuracy != nil {
		d := *v.Details
		d.Accuracy = nil
		v.Details = &d
	}
}

// scrubListedMeal drops the items of a listed meal, whatever the scopes: only
// GET /meals/{xid} carries them.
func scrubListedMeal(v *gen.Meal) { v.Items = nil }

func scrubBody(v *gen.BodyEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil
}

func scrubHeart(v *gen.HeartRate) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil
}

func scrubGeneric(v *gen.GenericEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil
}

func scrubCardiac(v *cardiacEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = nil, nil, nil, nil
}

// The user.

func (a *api) GetUser(ctx context.Context, _ gen.GetUserRequestObject) (gen.GetUserResponseObject, error) {
	u := a.s.store.user // never changed after seeding
	if !has(ctx, "extended_read") {
		u.Weight, u.Height, u.Gender = nil, nil, nil
	}
	return gen.GetUser200JSONResponse{Meta: a.meta(http.StatusOK), Data: u}, nil
}

func (a *api) ListFriends(context.Context, gen.ListFriendsRequestObject) (gen.ListFriendsResponseObject, error) {
	items := make([]gen.Friend, 0, len(a.s.store.friends))
	for _, f := range a.s.store.friends {
		items = append(items, gen.Friend{XID: f})
	}
	return gen.ListFriends200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.FriendList{Items: items, Size: len(items)}}, nil
}

func (a *api) GetTrends(ctx context.Context, req gen.GetTrendsRequestObject) (gen.GetTrendsResponseObject, error) {
	t, e := a.s.trends(ctx, req.Params)
	if e != nil {
		return gen.GetTrendsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.GetTrends200JSONResponse{Meta: a.meta(http.StatusOK), Data: t}, nil
}

func (a *api) GetGoals(context.Context, gen.GetGoalsRequestObject) (gen.GetGoalsResponseObject, error) {
	st := a.s.store
	st.mu.Lock()
	g := st.goals
	st.mu.Unlock()
	return gen.GetGoals200JSONResponse{Meta: a.meta(http.StatusOK), Data: g}, nil
}

func (a *api) UpdateGoals(_ context.Context, req gen.UpdateGoalsRequestObject) (gen.UpdateGoalsResponseObject, error) {
	b := req.Body
	st := a.s.store
	st.mu.Lock()
	g := st.goals
	if b.MoveSteps != nil {
		g.MoveSteps = ptr(*b.MoveSteps)
	}
	if b.SleepTotal != nil {
		g.SleepTotal = ptr(*b.SleepTotal)
	}
	if b.BodyWeight != nil {
		g.BodyWeight = ptr(*b.BodyWeight)
	}
	if b.BodyWeightIntent != nil {
		g.BodyWeightIntent = ptr(*b.BodyWeightIntent)
	}
	st.goals = g
	st.mu.Unlock()
	return gen.UpdateGoals200JSONResponse{Meta: a.meta(http.StatusOK), Data: g}, nil
}

func (a *api) GetSettings(context.Context, gen.GetSettingsRequestObject) (gen.GetSettingsResponseObject, error) {
	return gen.GetSettings200JSONResponse{Meta: a.meta(http.StatusOK), Data: a.s.store.settings}, nil
}

// GetTimeZone lists the zones in effect over the requested day, range or
// moment (now when none is given), each from when it took effect.
func (a *api) GetTimeZone(ctx context.Context, req gen.GetTimeZoneRequestObject) (gen.GetTimeZoneResponseObject, error) {
	st, p := a.s.store, req.Params
	now := a.s.now().Unix()
	from, to := now, now
	switch {
	case p.Date != nil:
		if !p.Date.Valid() {
			return gen.GetTimeZonedefaultJSONResponse(a.fail(ctx, badRequest("date %d is not a day", int(*p.Date)))), nil
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
		return gen.GetTimeZonedefaultJSONResponse(a.fail(ctx, badRequest("end_time is before start_time"))), nil
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
	return gen.GetTimeZone200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.TimeZoneList{Items: items, Size: len(items)}}, nil
}

func (a *api) GetRefreshToken(ctx context.Context, req gen.GetRefreshTokenRequestObject) (gen.GetRefreshTokenResponseObject, error) {
	g := grantOf(ctx)
	if req.Body == nil || req.Body.Secret != a.s.clientSecretOf(g.clientID) {
		return gen.GetRefreshTokendefaultJSONResponse(a.fail(ctx, forbidden("secret is not the app's client secret"))), nil
	}
	a.s.oauth.mu.Lock()
	refresh := g.refresh
	a.s.oauth.mu.Unlock()
	return gen.GetRefreshToken200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.RefreshToken{RefreshToken: refresh}}, nil
}

// Moves.

func (a *api) ListMoves(ctx context.Context, req gen.ListMovesRequestObject) (gen.ListMovesResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.moves, "moves", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, nil)
	if e != nil {
		return gen.ListMovesdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListMoves200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.MoveList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) GetMove(ctx context.Context, req gen.GetMoveRequestObject) (gen.GetMoveResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.moves, req.XID, nil)
	if !ok {
		return gen.GetMovedefaultJSONResponse(a.fail(ctx, notFound("move", req.XID))), nil
	}
	return gen.GetMove200JSONResponse{Meta: a.meta(http.StatusOK), Data: v}, nil
}

func (a *api) ListMoveTicks(ctx context.Context, req gen.ListMoveTicksRequestObject) (gen.ListMoveTicksResponseObject, error) {
	ticks, ok := a.ticksOf(a.s.store.moves, req.XID)
	if !ok {
		return gen.ListMoveTicksdefaultJSONResponse(a.fail(ctx, notFound("move", req.XID))), nil
	}
	return gen.ListMoveTicks200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.TickList{Items: ticks, Size: len(ticks)}}, nil
}

func (a *api) GetMoveImage(ctx context.Context, req gen.GetMoveImageRequestObject) (gen.GetMoveImageResponseObject, error) {
	ticks, ok := a.ticksOf(a.s.store.moves, req.XID)
	if !ok {
		return gen.GetMoveImagedefaultJSONResponse(a.fail(ctx, notFound("move", req.XID))), nil
	}
	b := tickChart(ticks)
	return gen.GetMoveImage200ImagePNGResponse{PNGImagePNGResponse: gen.PNGImagePNGResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}}, nil
}

// ticksOf returns the ticks of an event of tbl.
func (a *api) ticksOf(tbl interface{ owner(string) (string, bool) }, xid string) ([]gen.Tick, bool) {
	st := a.s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := tbl.owner(xid); !ok {
		return nil, false
	}
	return append([]gen.Tick{}, st.ticks[xid]...), true
}

// Workouts.

func (a *api) ListWorkouts(ctx context.Context, req gen.ListWorkoutsRequestObject) (gen.ListWorkoutsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.workouts, "workouts", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubWorkout)
	if e != nil {
		return gen.ListWorkoutsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListWorkouts200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.WorkoutList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateWorkout(ctx context.Context, req gen.CreateWorkoutRequestObject) (gen.CreateWorkoutResponseObject, error) {
	v, e := a.s.createWorkout(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateWorkoutdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubWorkout)
	return gen.CreateWorkout201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetWorkout(ctx context.Context, req gen.GetWorkoutRequestObject) (gen.GetWorkoutResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.workouts, req.XID, scrubWorkout)
	if !ok {
		return gen.GetWorkoutdefaultJSONResponse(a.fail(ctx, notFound("workout", req.XID))), nil
	}
	return gen.GetWorkout200JSONResponse{WorkoutResultJSONResponse: gen.WorkoutResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) UpdateWorkout(ctx context.Context, req gen.UpdateWorkoutRequestObject) (gen.UpdateWorkoutResponseObject, error) {
	v, e := a.s.updateWorkout(ownerOf(ctx), req.XID, *req.Body)
	if e != nil {
		return gen.UpdateWorkoutdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubWorkout)
	return gen.UpdateWorkout200JSONResponse{WorkoutResultJSONResponse: gen.WorkoutResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteWorkout(ctx context.Context, req gen.DeleteWorkoutRequestObject) (gen.DeleteWorkoutResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindWorkout, req.XID); e != nil {
		return gen.DeleteWorkoutdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteWorkout200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

func (a *api) ListWorkoutTicks(ctx context.Context, req gen.ListWorkoutTicksRequestObject) (gen.ListWorkoutTicksResponseObject, error) {
	ticks, ok := a.ticksOf(a.s.store.workouts, req.XID)
	if !ok {
		return gen.ListWorkoutTicksdefaultJSONResponse(a.fail(ctx, notFound("workout", req.XID))), nil
	}
	return gen.ListWorkoutTicks200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.TickList{Items: ticks, Size: len(ticks)}}, nil
}

func (a *api) GetWorkoutImage(ctx context.Context, req gen.GetWorkoutImageRequestObject) (gen.GetWorkoutImageResponseObject, error) {
	ticks, ok := a.ticksOf(a.s.store.workouts, req.XID)
	if !ok {
		return gen.GetWorkoutImagedefaultJSONResponse(a.fail(ctx, notFound("workout", req.XID))), nil
	}
	b := tickChart(ticks)
	return gen.GetWorkoutImage200ImagePNGResponse{PNGImagePNGResponse: gen.PNGImagePNGResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}}, nil
}

// Sleeps.

func (a *api) ListSleeps(ctx context.Context, req gen.ListSleepsRequestObject) (gen.ListSleepsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.sleeps, "sleeps", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubSleep)
	if e != nil {
		return gen.ListSleepsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListSleeps200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.SleepList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateSleep(ctx context.Context, req gen.CreateSleepRequestObject) (gen.CreateSleepResponseObject, error) {
	v, e := a.s.createSleep(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateSleepdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.CreateSleep201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetSleep(ctx context.Context, req gen.GetSleepRequestObject) (gen.GetSleepResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.sleeps, req.XID, scrubSleep)
	if !ok {
		return gen.GetSleepdefaultJSONResponse(a.fail(ctx, notFound("sleep", req.XID))), nil
	}
	return gen.GetSleep200JSONResponse{SleepResultJSONResponse: gen.SleepResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteSleep(ctx context.Context, req gen.DeleteSleepRequestObject) (gen.DeleteSleepResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindSleep, req.XID); e != nil {
		return gen.DeleteSleepdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteSleep200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

func (a *api) sleepTicksOf(xid string) ([]gen.SleepTick, *gen.Sleep) {
	st := a.s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.sleeps.get(xid)
	if !ok {
		return nil, nil
	}
	v := r.v
	return append([]gen.SleepTick{}, st.sleepTicks[xid]...), &v
}

func (a *api) ListSleepTicks(ctx context.Context, req gen.ListSleepTicksRequestObject) (gen.ListSleepTicksResponseObject, error) {
	ticks, sl := a.sleepTicksOf(req.XID)
	if sl == nil {
		return gen.ListSleepTicksdefaultJSONResponse(a.fail(ctx, notFound("sleep", req.XID))), nil
	}
	return gen.ListSleepTicks200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.SleepTickList{Items: ticks, Size: len(ticks)}}, nil
}

func (a *api) GetSleepImage(ctx context.Context, req gen.GetSleepImageRequestObject) (gen.GetSleepImageResponseObject, error) {
	ticks, sl := a.sleepTicksOf(req.XID)
	if sl == nil {
		return gen.GetSleepImagedefaultJSONResponse(a.fail(ctx, notFound("sleep", req.XID))), nil
	}
	b := sleepChart(ticks, int64(deref(sl.TimeCompleted)))
	return gen.GetSleepImage200ImagePNGResponse{PNGImagePNGResponse: gen.PNGImagePNGResponse{Body: bytes.NewReader(b), ContentLength: int64(len(b))}}, nil
}

// Meals.

func (a *api) ListMeals(ctx context.Context, req gen.ListMealsRequestObject) (gen.ListMealsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.meals, "meals", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubMeal)
	if e != nil {
		return gen.ListMealsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	for i := range items {
		scrubListedMeal(&items[i])
	}
	return gen.ListMeals200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.MealList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateMeal(ctx context.Context, req gen.CreateMealRequestObject) (gen.CreateMealResponseObject, error) {
	var body gen.MealCreate
	var photo *filePart
	switch {
	case req.FormdataBody != nil:
		body = *req.FormdataBody
	case req.MultipartBody != nil:
		mp, err := readMealMultipart(req.MultipartBody)
		if err != nil {
			return gen.CreateMealdefaultJSONResponse(a.fail(ctx, badRequest("%v", err))), nil
		}
		body = mp.fields
		photo = mp.photo
	default:
		return gen.CreateMealdefaultJSONResponse(a.fail(ctx, badRequest("send the meal as a form"))), nil
	}
	v, e := a.s.createMeal(ownerOf(ctx), body, photo)
	if e != nil {
		return gen.CreateMealdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubMeal)
	return gen.CreateMeal201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetMeal(ctx context.Context, req gen.GetMealRequestObject) (gen.GetMealResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.meals, req.XID, scrubMeal)
	if !ok {
		return gen.GetMealdefaultJSONResponse(a.fail(ctx, notFound("meal", req.XID))), nil
	}
	return gen.GetMeal200JSONResponse{MealResultJSONResponse: gen.MealResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) UpdateMeal(ctx context.Context, req gen.UpdateMealRequestObject) (gen.UpdateMealResponseObject, error) {
	v, e := a.s.updateMeal(ownerOf(ctx), req.XID, *req.Body)
	if e != nil {
		return gen.UpdateMealdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubMeal)
	return gen.UpdateMeal200JSONResponse{MealResultJSONResponse: gen.MealResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteMeal(ctx context.Context, req gen.DeleteMealRequestObject) (gen.DeleteMealResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindMeal, req.XID); e != nil {
		return gen.DeleteMealdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteMeal200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Body events.

func (a *api) ListBodyEvents(ctx context.Context, req gen.ListBodyEventsRequestObject) (gen.ListBodyEventsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.bodies, "body_events", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubBody)
	if e != nil {
		return gen.ListBodyEventsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListBodyEvents200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.BodyEventList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateBodyEvent(ctx context.Context, req gen.CreateBodyEventRequestObject) (gen.CreateBodyEventResponseObject, error) {
	v, e := a.s.createBodyEvent(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateBodyEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubBody)
	return gen.CreateBodyEvent201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetBodyEvent(ctx context.Context, req gen.GetBodyEventRequestObject) (gen.GetBodyEventResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.bodies, req.XID, scrubBody)
	if !ok {
		return gen.GetBodyEventdefaultJSONResponse(a.fail(ctx, notFound("body event", req.XID))), nil
	}
	return gen.GetBodyEvent200JSONResponse{BodyEventResultJSONResponse: gen.BodyEventResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteBodyEvent(ctx context.Context, req gen.DeleteBodyEventRequestObject) (gen.DeleteBodyEventResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindBody, req.XID); e != nil {
		return gen.DeleteBodyEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteBodyEvent200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Heart rates.

func (a *api) ListHeartRates(ctx context.Context, req gen.ListHeartRatesRequestObject) (gen.ListHeartRatesResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.hearts, "heartrates", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubHeart)
	if e != nil {
		return gen.ListHeartRatesdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListHeartRates200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.HeartRateList{Items: items, Size: len(items), Links: links}}, nil
}

// Generic events.

func (a *api) ListGenericEvents(ctx context.Context, req gen.ListGenericEventsRequestObject) (gen.ListGenericEventsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.generics, "generic_events", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubGeneric)
	if e != nil {
		return gen.ListGenericEventsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListGenericEvents200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.GenericEventList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateGenericEvent(ctx context.Context, req gen.CreateGenericEventRequestObject) (gen.CreateGenericEventResponseObject, error) {
	v, e := a.s.createGenericEvent(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateGenericEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubGeneric)
	return gen.CreateGenericEvent201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetGenericEvent(ctx context.Context, req gen.GetGenericEventRequestObject) (gen.GetGenericEventResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.generics, req.XID, scrubGeneric)
	if !ok {
		return gen.GetGenericEventdefaultJSONResponse(a.fail(ctx, notFound("generic event", req.XID))), nil
	}
	return gen.GetGenericEvent200JSONResponse{GenericEventResultJSONResponse: gen.GenericEventResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) UpdateGenericEvent(ctx context.Context, req gen.UpdateGenericEventRequestObject) (gen.UpdateGenericEventResponseObject, error) {
	v, e := a.s.updateGenericEvent(ownerOf(ctx), req.XID, *req.Body)
	if e != nil {
		return gen.UpdateGenericEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubGeneric)
	return gen.UpdateGenericEvent200JSONResponse{GenericEventResultJSONResponse: gen.GenericEventResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteGenericEvent(ctx context.Context, req gen.DeleteGenericEventRequestObject) (gen.DeleteGenericEventResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindGenericEvent, req.XID); e != nil {
		return gen.DeleteGenericEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteGenericEvent200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Mood.

// GetMood returns the last mood the user logged on date (today by default),
// or an empty object.
func (a *api) GetMood(ctx context.Context, req gen.GetMoodRequestObject) (gen.GetMoodResponseObject, error) {
	st := a.s.store
	day := wire.DateOf(a.s.now().In(st.loc))
	if req.Params.Date != nil {
		day = *req.Params.Date
	}
	var mood gen.Mood
	st.mu.Lock()
	for _, r := range st.moods.rows {
		if deref(r.v.Date) == day {
			mood = r.v
		}
	}
	st.mu.Unlock()
	return gen.GetMood200JSONResponse{MoodResultJSONResponse: gen.MoodResultJSONResponse{Meta: a.meta(http.StatusOK), Data: mood}}, nil
}

func (a *api) CreateMood(ctx context.Context, req gen.CreateMoodRequestObject) (gen.CreateMoodResponseObject, error) {
	v, e := a.s.createMood(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateMooddefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.CreateMood201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetMoodEvent(ctx context.Context, req gen.GetMoodEventRequestObject) (gen.GetMoodEventResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.moods, req.XID, nil)
	if !ok {
		return gen.GetMoodEventdefaultJSONResponse(a.fail(ctx, notFound("mood", req.XID))), nil
	}
	return gen.GetMoodEvent200JSONResponse{MoodResultJSONResponse: gen.MoodResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteMood(ctx context.Context, req gen.DeleteMoodRequestObject) (gen.DeleteMoodResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindMood, req.XID); e != nil {
		return gen.DeleteMooddefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteMood200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Band events.

// ListBandEvents lists sleep-mode events to tokens with sleep_read and
// stopwatch events to tokens with move_read.
func (a *api) ListBandEvents(ctx context.Context, req gen.ListBandEventsRequestObject) (gen.ListBandEventsResponseObject, error) {
	p := req.Params
	q := query(p.Date, p.PageToken, p.StartTime, p.EndTime, nil, p.Limit)
	if p.CreatedAfter != nil {
		v := int64(*p.CreatedAfter)
		q.createdAfter = &v
	}
	sleep, move := has(ctx, "sleep_read"), has(ctx, "move_read")
	keep := func(b *gen.BandEvent) bool {
		switch b.Action {
		case gen.BandEventActionEnterSleepMode, gen.BandEventActionExitSleepMode:
			return sleep
		default:
			return move
		}
	}
	items, links, e := listOf(ctx, a, a.s.store.bands, "bandevents", q, keep, nil)
	if e != nil {
		return gen.ListBandEventsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListBandEvents200JSONResponse{Meta: a.meta(http.StatusOK), Data: gen.BandEventList{Items: items, Size: len(items), Links: links}}, nil
}

// Cardiac events (API v1.0).

func (a *api) ListCardiacEvents(ctx context.Context, req gen.ListCardiacEventsRequestObject) (gen.ListCardiacEventsResponseObject, error) {
	p := req.Params
	items, links, e := listOf(ctx, a, a.s.store.cardiacs, "cardiac_events", query(p.Date, p.PageToken, p.StartTime, p.EndTime, p.UpdatedAfter, p.Limit), nil, scrubCardiac)
	if e != nil {
		return gen.ListCardiacEventsdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.ListCardiacEvents200JSONResponse{Meta: a.meta(http.StatusOK), Data: cardiacEventList{Items: items, Size: len(items), Links: links}}, nil
}

func (a *api) CreateCardiacEvent(ctx context.Context, req gen.CreateCardiacEventRequestObject) (gen.CreateCardiacEventResponseObject, error) {
	v, e := a.s.createCardiacEvent(ownerOf(ctx), *req.Body)
	if e != nil {
		return gen.CreateCardiacEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	hidePlace(ctx, &v, scrubCardiac)
	return gen.CreateCardiacEvent201JSONResponse{Meta: a.meta(http.StatusCreated), Data: v}, nil
}

func (a *api) GetCardiacEvent(ctx context.Context, req gen.GetCardiacEventRequestObject) (gen.GetCardiacEventResponseObject, error) {
	v, ok := getOf(ctx, a, a.s.store.cardiacs, req.XID, scrubCardiac)
	if !ok {
		return gen.GetCardiacEventdefaultJSONResponse(a.fail(ctx, notFound("cardiac event", req.XID))), nil
	}
	return gen.GetCardiacEvent200JSONResponse{CardiacEventResultJSONResponse: gen.CardiacEventResultJSONResponse{Meta: a.meta(http.StatusOK), Data: v}}, nil
}

func (a *api) DeleteCardiacEvent(ctx context.Context, req gen.DeleteCardiacEventRequestObject) (gen.DeleteCardiacEventResponseObject, error) {
	if e := a.s.deleteEvent(ownerOf(ctx), KindCardiac, req.XID); e != nil {
		return gen.DeleteCardiacEventdefaultJSONResponse(a.fail(ctx, e)), nil
	}
	return gen.DeleteCardiacEvent200JSONResponse{DeletedJSONResponse: gen.DeletedJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Webhooks and disconnection.

// SubscribePubSub registers the webhook of the token's app for the user;
// notifications then cover what the token may read.
func (a *api) SubscribePubSub(ctx context.Context, req gen.SubscribePubSubRequestObject) (gen.SubscribePubSubResponseObject, error) {
	hook, ok := webhookURL(req.Params.Webhook)
	if !ok {
		return gen.SubscribePubSubdefaultJSONResponse(a.fail(ctx, badRequest("webhook must be an absolute http or https URL"))), nil
	}
	g := grantOf(ctx)
	a.s.hooks.subscribe(g.clientID, g.userXID, hook, g.scopeSet)
	return gen.SubscribePubSub200JSONResponse{DoneJSONResponse: gen.DoneJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
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
	a.s.hooks.unsubscribe(g.clientID, g.userXID)
	return gen.UnsubscribePubSub200JSONResponse{DoneJSONResponse: gen.DoneJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// Disconnect revokes every token of the user for the app and removes its webhook.
func (a *api) Disconnect(ctx context.Context, _ gen.DisconnectRequestObject) (gen.DisconnectResponseObject, error) {
	g := grantOf(ctx)
	a.s.revokeUser(g.userXID, g.clientID)
	a.s.hooks.unsubscribe(g.clientID, g.userXID)
	return gen.Disconnect200JSONResponse{DoneJSONResponse: gen.DoneJSONResponse{Meta: a.meta(http.StatusOK), Data: emptyData()}}, nil
}

// today is the current day in the user's zone.
func (s *Server) today() wire.Date { return wire.DateOf(s.now().In(s.store.loc)) }
