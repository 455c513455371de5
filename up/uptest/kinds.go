package uptest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// listOf is the shape of every list the API answers with.
type listOf[T any] interface {
	~struct {
		Items []T       `json:"items"`
		Links gen.Links `json:"links,omitempty,omitzero"`
		Size  int       `json:"size"`
	}
}

// noList is the list type of a kind that the API never lists (moods).
type noList[T any] struct {
	Items []T       `json:"items"`
	Links gen.Links `json:"links,omitempty,omitzero"`
	Size  int       `json:"size"`
}

// kindInfo names a kind of event.
type kindInfo struct {
	kind Kind
	// resource is the kind's collection under /users/@me, as links.next names it.
	resource string
	// what names one event in messages.
	what string
	// scope is the scope a webhook registration needs to hear about the kind.
	scope string
}

// anyKind is what code that names a kind at run time (webhooks, Touch,
// Delete, deleting through the API) needs of its entry in the table.
type anyKind interface {
	info() *kindInfo
	rows(st *store) anyTable
}

// eventKind is a kind's entry in the table the generic handlers work from:
// where its events are stored, what a token may see of them, and its ticks
// and image, for the kinds that have them.
type eventKind[T any, L listOf[T]] struct {
	kindInfo
	table func(*store) *table[T]
	// place removes the place of an event, for tokens without location_read;
	// nil for kinds without places.
	place func(*T)
	// listed trims an event as lists show it; nil when lists show it whole.
	listed func(*T)
	// visible reports whether the view may see an event at all; nil: every event.
	visible func(view, *T) bool
	// ticks returns the list of the event's ticks, and chart its image; nil
	// for kinds without ticks.
	ticks func(u *User, xid string, v *T) any
	chart func(u *User, xid string, v *T) []byte
}

func (k *eventKind[T, L]) info() *kindInfo         { return &k.kindInfo }
func (k *eventKind[T, L]) rows(st *store) anyTable { return k.table(st) }

// The table of kinds.
var (
	moves = &eventKind[gen.Move, gen.MoveList]{
		kindInfo: kindInfo{KindMove, "moves", "move", "move_read"},
		table:    func(st *store) *table[gen.Move] { return st.moves },
		ticks:    tickList[gen.Move], chart: tickImage[gen.Move],
	}
	workouts = &eventKind[gen.Workout, gen.WorkoutList]{
		kindInfo: kindInfo{KindWorkout, "workouts", "workout", "move_read"},
		table:    func(st *store) *table[gen.Workout] { return st.workouts },
		place:    scrubWorkout,
		ticks:    tickList[gen.Workout], chart: tickImage[gen.Workout],
	}
	sleeps = &eventKind[gen.Sleep, gen.SleepList]{
		kindInfo: kindInfo{KindSleep, "sleeps", "sleep", "sleep_read"},
		table:    func(st *store) *table[gen.Sleep] { return st.sleeps },
		place:    scrubSleep,
		ticks: func(u *User, xid string, _ *gen.Sleep) any {
			t := u.sleepTicksOf(xid)
			return gen.SleepTickList{Items: t, Size: len(t)}
		},
		chart: func(u *User, xid string, v *gen.Sleep) []byte {
			return sleepChart(u.sleepTicksOf(xid), int64(v.TimeCompleted))
		},
	}
	meals = &eventKind[gen.Meal, gen.MealList]{
		kindInfo: kindInfo{KindMeal, "meals", "meal", "meal_read"},
		table:    func(st *store) *table[gen.Meal] { return st.meals },
		place:    scrubMeal,
		listed:   trimListedMeal,
	}
	bodies = &eventKind[gen.BodyEvent, gen.BodyEventList]{
		kindInfo: kindInfo{KindBody, "body_events", "body event", "weight_read"},
		table:    func(st *store) *table[gen.BodyEvent] { return st.bodies },
		place:    scrubBody,
	}
	hearts = &eventKind[gen.HeartRate, gen.HeartRateList]{
		kindInfo: kindInfo{KindHeartRate, "heartrates", "heart rate", "heartrate_read"},
		table:    func(st *store) *table[gen.HeartRate] { return st.hearts },
		place:    scrubHeart,
	}
	generics = &eventKind[gen.GenericEvent, gen.GenericEventList]{
		kindInfo: kindInfo{KindGenericEvent, "generic_events", "generic event", "generic_event_read"},
		table:    func(st *store) *table[gen.GenericEvent] { return st.generics },
		place:    scrubGeneric,
	}
	moods = &eventKind[gen.Mood, noList[gen.Mood]]{
		kindInfo: kindInfo{KindMood, "mood", "mood", "mood_read"},
		table:    func(st *store) *table[gen.Mood] { return st.moods },
	}
	cardiacs = &eventKind[cardiacEvent, cardiacEventList]{
		kindInfo: kindInfo{KindCardiac, "cardiac_events", "cardiac event", "cardiac_read"},
		table:    func(st *store) *table[cardiacEvent] { return st.cardiacs },
		place:    scrubCardiac,
	}
	// Band events are listed like events, but webhooks name them by action
	// and no API call reads one by itself.
	bandEvents = &eventKind[gen.BandEvent, gen.BandEventList]{
		kindInfo: kindInfo{"", "bandevents", "band event", ""},
		table:    func(st *store) *table[gen.BandEvent] { return st.bands },
		visible:  view.bandEvent,
	}

	// eventKinds finds the entries of the kinds webhooks, Touch and Delete name.
	eventKinds = map[Kind]anyKind{
		KindMove: moves, KindWorkout: workouts, KindSleep: sleeps, KindMeal: meals, KindBody: bodies,
		KindHeartRate: hearts, KindGenericEvent: generics, KindMood: moods, KindCardiac: cardiacs,
	}
)

func tickList[T any](u *User, xid string, _ *T) any {
	t := u.ticksOf(xid)
	return gen.TickList{Items: t, Size: len(t)}
}

func tickImage[T any](u *User, xid string, _ *T) []byte { return tickChart(u.ticksOf(xid)) }

// An outcome is what an operation decided, before reply turns it into the
// operation's generated response type.
type outcome struct {
	status int // of a success: 200 or 201
	meta   gen.Meta
	data   any    // the envelope's data
	png    []byte // the body of an image
	fail   *failure
}

// ok is a successful outcome with data for the call's user.
func (a *api) ok(ctx context.Context, status int, data any) outcome {
	return outcome{status: status, data: data, meta: gen.Meta{
		UserXID: a.s.userOf(ctx).XID(), Message: "OK", Code: status, Time: wire.EpochOf(a.s.now()),
	}}
}

// failed is the outcome of a call that fails with e.
func (a *api) failed(ctx context.Context, e *apiError) outcome {
	return outcome{fail: &failure{Body: a.s.errorEnvelope(grantOf(ctx), e), StatusCode: e.status}}
}

// reply makes the operation's generated response from o: success, of the
// dynamic type of ok, or failure, of the type of fail. R is the operation's
// response interface, so the compiler checks that both implement it; the
// fields are set by name (Meta and Data of an envelope, Body and
// ContentLength of an image, also when promoted from a response the type
// embeds), so that one generic handler serves operations whose generated
// types differ only in name.
func reply[R any](o outcome, ok, fail R) (R, error) {
	if o.fail != nil {
		v := reflect.New(reflect.TypeOf(fail)).Elem()
		v.Set(reflect.ValueOf(*o.fail).Convert(v.Type()))
		return v.Interface().(R), nil
	}
	v := reflect.New(reflect.TypeOf(ok)).Elem()
	if o.png != nil {
		v.FieldByName("Body").Set(reflect.ValueOf(bytesReader(o.png)))
		v.FieldByName("ContentLength").SetInt(int64(len(o.png)))
		return v.Interface().(R), nil
	}
	v.FieldByName("Meta").Set(reflect.ValueOf(o.meta))
	if o.data != nil {
		v.FieldByName("Data").Set(reflect.ValueOf(o.data))
	}
	return v.Interface().(R), nil
}

// show is an event as the view may see it; listed trims it as lists do.
func (k *eventKind[T, L]) show(v view, e *T, listed bool) {
	if k.place != nil && !v.places() {
		k.place(e)
	}
	if listed && k.listed != nil {
		k.listed(e)
	}
}

// list answers a list call: a page of the user's events matching q, as the
// token may see them, with links.next when more remain.
func (k *eventKind[T, L]) list(ctx context.Context, a *api, q listQuery) outcome {
	if q.date != nil && !q.date.Valid() {
		return a.failed(ctx, badRequest("date %d is not a day", int(*q.date)))
	}
	u, v := a.s.userOf(ctx), viewOf(ctx)
	var keep func(*T) bool
	if k.visible != nil {
		keep = func(e *T) bool { return k.visible(v, e) }
	}
	st := u.data()
	st.mu.Lock()
	items, next := k.table(st).list(q, a.s.now().Unix(), keep)
	st.mu.Unlock()
	for i := range items {
		k.show(v, &items[i], true)
	}
	var links gen.Links
	if next != nil {
		links.Next = nextLink(u, k.resource, q, *next)
	}
	return a.ok(ctx, http.StatusOK, L{Items: items, Links: links, Size: len(items)})
}

// find returns a copy of the user's event xid.
func (k *eventKind[T, L]) find(u *User, xid string) (T, bool) {
	st := u.data()
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := k.table(st).get(xid)
	if !ok {
		var zero T
		return zero, false
	}
	return r.v, true
}

// get answers GET /<resource>/{xid}.
func (k *eventKind[T, L]) get(ctx context.Context, a *api, xid string) outcome {
	e, ok := k.find(a.s.userOf(ctx), xid)
	if !ok {
		return a.failed(ctx, notFound(k.what, xid))
	}
	k.show(viewOf(ctx), &e, false)
	return a.ok(ctx, http.StatusOK, e)
}

// tickList answers GET /<resource>/{xid}/ticks.
func (k *eventKind[T, L]) tickList(ctx context.Context, a *api, xid string) outcome {
	u := a.s.userOf(ctx)
	e, ok := k.find(u, xid)
	if !ok {
		return a.failed(ctx, notFound(k.what, xid))
	}
	return a.ok(ctx, http.StatusOK, k.ticks(u, xid, &e))
}

// image answers GET /<resource>/{xid}/image.
func (k *eventKind[T, L]) image(ctx context.Context, a *api, xid string) outcome {
	u := a.s.userOf(ctx)
	e, ok := k.find(u, xid)
	if !ok {
		return a.failed(ctx, notFound(k.what, xid))
	}
	return outcome{png: k.chart(u, xid, &e)}
}

// remove answers DELETE /<resource>/{xid}: an app deletes only the events
// it created.
func (k *eventKind[T, L]) remove(ctx context.Context, a *api, xid string) outcome {
	if e := a.s.deleteEvent(a.s.userOf(ctx), ownerOf(ctx), k, xid); e != nil {
		return a.failed(ctx, e)
	}
	return a.ok(ctx, http.StatusOK, emptyData())
}

// create answers POST /users/@me/<resource> with make, which stores the
// event body describes for the user, owned by the calling app.
func create[T any, L listOf[T], B any](ctx context.Context, a *api, k *eventKind[T, L], body B,
	make func(s *Server, u *User, owner string, body B) (T, *apiError)) outcome {
	e, err := make(a.s, a.s.userOf(ctx), ownerOf(ctx), body)
	if err != nil {
		return a.failed(ctx, err)
	}
	k.show(viewOf(ctx), &e, false)
	return a.ok(ctx, http.StatusCreated, e)
}

// update answers POST /<resource>/{xid}/partialUpdate with change, which
// changes the fields body sends of an event the calling app created.
func update[T any, L listOf[T], B any](ctx context.Context, a *api, k *eventKind[T, L], xid string, body B,
	change func(s *Server, u *User, owner, xid string, body B) (T, *apiError)) outcome {
	e, err := change(a.s, a.s.userOf(ctx), ownerOf(ctx), xid, body)
	if err != nil {
		return a.failed(ctx, err)
	}
	k.show(viewOf(ctx), &e, false)
	return a.ok(ctx, http.StatusOK, e)
}

// listQueryOf gathers a list call's parameters; every list but band events
// takes these.
func listQueryOf(p gen.ListMovesParams) listQuery {
	q := listQuery{date: p.Date, pageToken: p.PageToken, start: epochPtr(p.StartTime), end: epochPtr(p.EndTime),
		updatedAfter: epochPtr(p.UpdatedAfter), limit: 10}
	if p.Limit != nil {
		q.limit = *p.Limit
	}
	return q
}

func epochPtr(e *wire.Epoch) *int64 {
	if e == nil {
		return nil
	}
	v := int64(*e)
	return &v
}

// nextLink is links.next: a path relative to the host that names the user by
// XID and repeats the filters, with the page_token and limit of the next page.
func nextLink(u *User, resource string, q listQuery, next int64) string {
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
	link := fmt.Sprintf("%s/users/%s/%s?", basePath, u.XID(), resource)
	if enc := v.Encode(); enc != "" {
		link += enc + "&"
	}
	return link + fmt.Sprintf("page_token=%d&limit=%d", next, q.limit)
}
