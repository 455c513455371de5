package uptest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strings"
	"time"

	"github.com/oapi-codegen/runtime"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// zoneOf resolves a tz form field; without one, the user's zone.
func (s *Server) zoneOf(tz *string) (*time.Location, string, *apiError) {
	if tz == nil || *tz == "" {
		return s.loc, s.loc.String(), nil
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return nil, "", badRequest("tz %q is not an Olson time-zone name", *tz)
	}
	return loc, *tz, nil
}

func coord(f *float64) wire.Coordinate {
	if f == nil {
		return ""
	}
	return wire.CoordinateOf(*f)
}

func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// imagePath is where UP would serve an image it fetched from src.
func imagePath(src, suffix string) string {
	sum := sha256.Sum256([]byte(src))
	return "/nudge/image/d/" + hex.EncodeToString(sum[:16]) + suffix
}

func snapshotPath(updated int64, xid string) string {
	sum := sha256.Sum256([]byte(xid))
	return fmt.Sprintf("/nudge/image/e/%d/%s/%s.png", updated, xid, hex.EncodeToString(sum[:6]))
}

// created picks the time_created of a new event: the one sent, or now.
func (s *Server) createdAt(sent *wire.Epoch) int64 {
	if sent != nil {
		return int64(*sent)
	}
	return s.now().Unix()
}

// ownedRow checks that the app owner may change the event xid of tbl.
func ownedRow[T any](tbl *table[T], owner, what, xid string) (*row[T], *apiError) {
	r, ok := tbl.get(xid)
	if !ok {
		return nil, notFound(what, xid)
	}
	if r.owner != owner {
		return nil, forbidden(fmt.Sprintf("the %s %s was not created by this app; an app can change and delete only the events it created", what, xid))
	}
	return r, nil
}

// deleteEvent deletes the user's event xid of kind k, which the app owner created.
func (s *Server) deleteEvent(u *User, owner string, k anyKind, xid string) *apiError {
	st := u.data()
	what := k.info().what
	st.mu.Lock()
	tbl := k.rows(st)
	who, ok := tbl.owner(xid)
	if !ok {
		st.mu.Unlock()
		return notFound(what, xid)
	}
	if who != owner {
		st.mu.Unlock()
		return forbidden(fmt.Sprintf("the %s %s was not created by this app; an app can delete only the events it created", what, xid))
	}
	tbl.remove(xid)
	st.forget(xid)
	st.mu.Unlock()
	s.notify(u, k.info().kind, xid, "deletion", s.now().Unix())
	return nil
}

// span reads an event's time_created and time_completed, each defaulting to
// now (decision 21 of the spec: an event logged without its times happens
// as it is logged). Times given both must be in order.
func span(created, completed *wire.Epoch, now int64) (start, end int64, e *apiError) {
	start, end = now, now
	if created != nil {
		start = int64(*created)
	}
	if completed != nil {
		end = int64(*completed)
	}
	if end < start || (created != nil && completed != nil && end == start) {
		return 0, 0, badRequest("time_completed must be after time_created")
	}
	return start, end, nil
}

func (s *Server) createWorkout(u *User, owner string, b gen.WorkoutCreate) (gen.Workout, *apiError) {
	from, to, e := span(b.TimeCreated, b.TimeCompleted, s.now().Unix())
	if e != nil {
		return gen.Workout{}, e
	}
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.Workout{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	start := st.workouts.freeCreated(from)
	end := max(to, start+1)
	xid := st.xids.next()
	ticks := workoutTicks(rngFor(s.cfg.seed, "ticks "+xid), st.prof, start, end, int(b.SubType))
	w := buildWorkout(st.prof, start, end, int(b.SubType), deref(b.Intensity), ticks, tz)
	w.XID = xid
	w.Date = wire.DateOf(time.Unix(start, 0).In(loc))
	w.TimeUpdated = wire.Epoch(now)
	w.SnapshotImage = snapshotPath(now, xid)
	w.Shared = st.settings.ShareMove
	applyWorkoutFields(&w, gen.WorkoutUpdate{
		Title: b.Title, Calories: b.Calories, Distance: b.Distance, ImageURL: b.ImageURL, Share: b.Share,
		PlaceLat: b.PlaceLat, PlaceLon: b.PlaceLon, PlaceAcc: b.PlaceAcc, PlaceName: b.PlaceName,
	})
	st.workouts.insert(w, owner)
	st.ticks[xid] = ticks
	st.mu.Unlock()
	s.notify(u, KindWorkout, xid, "creation", now)
	return w, nil
}

// applyWorkoutFields sets the fields of w that b carries and that need no
// recomputation.
func applyWorkoutFields(w *gen.Workout, b gen.WorkoutUpdate) {
	d := w.Details
	if b.Title != nil {
		w.Title = *b.Title
	}
	if b.Calories != nil {
		d.Calories = *b.Calories
	}
	if b.Distance != nil {
		d.Meters, d.Km = *b.Distance, round(*b.Distance/1000, 3)
	}
	if b.Intensity != nil {
		d.Intensity = *b.Intensity
	}
	if b.ImageURL != nil {
		w.Image = imagePath(*b.ImageURL, "_image.png")
	}
	if b.Share != nil {
		w.Shared = *b.Share
	}
	if b.PlaceLat != nil {
		w.PlaceLat = coord(b.PlaceLat)
	}
	if b.PlaceLon != nil {
		w.PlaceLon = coord(b.PlaceLon)
	}
	if b.PlaceAcc != nil {
		w.PlaceAcc = *b.PlaceAcc
	}
	if b.PlaceName != nil {
		w.PlaceName = *b.PlaceName
	}
	w.Details = d
}

func (s *Server) updateWorkout(u *User, owner, xid string, b gen.WorkoutUpdate) (gen.Workout, *apiError) {
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	r, e := ownedRow(st.workouts, owner, "workout", xid)
	if e != nil {
		st.mu.Unlock()
		return gen.Workout{}, e
	}
	w := r.v
	loc, tz := st.loc, w.Details.TZ
	if b.TZ != nil {
		loc, tz, e = s.zoneOf(b.TZ)
		if e != nil {
			st.mu.Unlock()
			return gen.Workout{}, e
		}
	} else if l, err := time.LoadLocation(tz); err == nil {
		loc = l
	}
	oldSub := w.SubType
	start, end := int64(w.TimeCreated), int64(w.TimeCompleted)
	if b.TimeCreated != nil {
		start = int64(*b.TimeCreated)
	}
	if b.TimeCompleted != nil {
		end = int64(*b.TimeCompleted)
	}
	if end <= start {
		st.mu.Unlock()
		return gen.Workout{}, badRequest("time_completed must be after time_created")
	}
	if b.SubType != nil {
		if b.Title == nil && w.Title == workoutTitle(int(oldSub)) {
			w.Title = workoutTitle(int(*b.SubType))
		}
		w.SubType = *b.SubType
	}
	moved := start != int64(w.TimeCreated)
	if moved {
		st.workouts.remove(xid)
		start = st.workouts.freeCreated(start)
	}
	if moved || end != int64(w.TimeCompleted) || w.SubType != oldSub {
		ticks := workoutTicks(rngFor(s.cfg.seed, fmt.Sprintf("ticks %s %d %d", xid, start, end)), st.prof, start, end, int(w.SubType))
		fresh := buildWorkout(st.prof, start, end, int(w.SubType), w.Details.Intensity, ticks, tz)
		d := fresh.Details
		d.Calories, d.Meters, d.Km = w.Details.Calories, w.Details.Meters, w.Details.Km
		w.Details = d
		w.TimeCreated, w.TimeCompleted = wire.Epoch(start), wire.Epoch(end)
		st.ticks[xid] = ticks
	}
	applyWorkoutFields(&w, b)
	w.Details.TZ = tz
	w.Date = wire.DateOf(time.Unix(start, 0).In(loc))
	w.TimeUpdated = wire.Epoch(bump(int64(r.v.TimeUpdated), now))
	if moved {
		st.workouts.insert(w, owner)
	} else {
		r.v = w
	}
	st.mu.Unlock()
	s.notify(u, KindWorkout, xid, "updation", now)
	return w, nil
}

func (s *Server) createSleep(u *User, owner string, b gen.SleepCreate) (gen.Sleep, *apiError) {
	from, to, e := span(&b.TimeCreated, b.TimeCompleted, s.now().Unix())
	if e != nil {
		return gen.Sleep{}, e
	}
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.Sleep{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	bed := st.sleeps.freeCreated(from)
	getUp := max(to, bed+2)
	wake := getUp - min(600, (getUp-bed)/10)
	sl, phases := buildSleep(rngFor(s.cfg.seed, "sleep "+xid), bed, wake, getUp)
	sl.XID = xid
	sl.Date = wire.DateOf(time.Unix(getUp, 0).In(loc))
	sl.TimeUpdated = wire.Epoch(now)
	sl.SnapshotImage = snapshotPath(now, xid)
	sl.Shared = st.settings.ShareSleep
	if b.Share != nil {
		sl.Shared = *b.Share
	}
	if b.Title != nil {
		sl.Title = *b.Title
	}
	sl.Details.TZ = tz
	st.sleeps.insert(sl, owner)
	st.sleepTicks[xid] = phases
	st.mu.Unlock()
	s.notify(u, KindSleep, xid, "creation", now)
	return sl, nil
}

// filePart is a file sent in a multipart form.
type filePart struct {
	name, contentType string
	data              []byte
}

// mealMultipart is a meal create sent as multipart/form-data.
type mealMultipart struct {
	fields gen.MealCreate
	photo  *filePart
}

func readMealMultipart(mr *multipart.Reader) (*mealMultipart, error) {
	values := url.Values{}
	out := &mealMultipart{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the multipart body: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(p, maxBody))
		if err != nil {
			return nil, fmt.Errorf("reading part %q: %w", p.FormName(), err)
		}
		if p.FormName() == "photo" {
			out.photo = &filePart{name: p.FileName(), contentType: p.Header.Get("Content-Type"), data: data}
			continue
		}
		values.Add(p.FormName(), string(data))
	}
	if err := runtime.BindForm(&out.fields, values, nil, nil); err != nil {
		return nil, fmt.Errorf("reading the meal's fields: %w", err)
	}
	return out, nil
}

// createMealRequest creates the meal a form or a multipart form (with its
// photo in the part "photo") describes.
func (s *Server) createMealRequest(u *User, owner string, req gen.CreateMealRequestObject) (gen.Meal, *apiError) {
	switch {
	case req.FormdataBody != nil:
		return s.createMeal(u, owner, *req.FormdataBody, nil)
	case req.MultipartBody != nil:
		mp, err := readMealMultipart(req.MultipartBody)
		if err != nil {
			return gen.Meal{}, badRequest("%v", err)
		}
		return s.createMeal(u, owner, mp.fields, mp.photo)
	}
	return gen.Meal{}, badRequest("send the meal as a form")
}

// defaultMealType guesses breakfast, lunch or dinner from the hour.
func defaultMealType(t time.Time) gen.MealType {
	switch h := t.Hour(); {
	case h < 11:
		return gen.MealBreakfast
	case h < 16:
		return gen.MealLunch
	default:
		return gen.MealDinner
	}
}

func (s *Server) createMeal(u *User, owner string, b gen.MealCreate, photo *filePart) (gen.Meal, *apiError) {
	var items []gen.MealItem
	if err := json.Unmarshal([]byte(b.Items), &items); err != nil {
		return gen.Meal{}, badRequest("form field \"items\" is not a JSON array of meal items: %v", err)
	}
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.Meal{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	at := st.meals.freeCreated(s.createdAt(b.TimeCreated))
	sub := defaultMealType(time.Unix(at, 0).In(loc))
	if b.SubType != nil {
		sub = *b.SubType
	}
	m := gen.Meal{
		XID: xid, Title: b.Note, Note: b.Note, Type: "meal", SubType: sub,
		TimeCreated: wire.Epoch(at), TimeCompleted: wire.Epoch(at), TimeUpdated: wire.Epoch(now),
		Date: wire.DateOf(time.Unix(at, 0).In(loc)), Image: "", SnapshotImage: "",
		Shared:  st.settings.ShareEat,
		Details: mealDetails(items, tz),
		Items:   gen.MealItemList{Items: items, Size: len(items)},
	}
	applyMealFields(&m, gen.MealUpdate{ImageURL: b.ImageURL, Share: b.Share, PlaceLat: b.PlaceLat, PlaceLon: b.PlaceLon, PlaceAcc: b.PlaceAcc, PlaceName: b.PlaceName})
	if photo != nil {
		ext := ".jpg"
		if strings.Contains(photo.contentType, "png") {
			ext = ".png"
		}
		m.Image = imagePath(xid+photo.name, "_photo"+ext)
		st.photos[xid] = photo.data
	}
	st.meals.insert(m, owner)
	st.mu.Unlock()
	s.notify(u, KindMeal, xid, "creation", now)
	return m, nil
}

func applyMealFields(m *gen.Meal, b gen.MealUpdate) {
	if b.Note != nil {
		m.Note, m.Title = *b.Note, *b.Note
	}
	if b.SubType != nil {
		m.SubType = *b.SubType
	}
	if b.ImageURL != nil {
		m.Image = imagePath(*b.ImageURL, "_image.png")
	}
	if b.Share != nil {
		m.Shared = *b.Share
	}
	if b.PlaceLat != nil {
		m.PlaceLat = coord(b.PlaceLat)
	}
	if b.PlaceLon != nil {
		m.PlaceLon = coord(b.PlaceLon)
	}
	if b.PlaceAcc != nil {
		m.PlaceAcc = *b.PlaceAcc
	}
	if b.PlaceName != nil {
		m.PlaceName = *b.PlaceName
	}
}

func (s *Server) updateMeal(u *User, owner, xid string, b gen.MealUpdate) (gen.Meal, *apiError) {
	var items []gen.MealItem
	if b.Items != nil {
		if err := json.Unmarshal([]byte(*b.Items), &items); err != nil {
			return gen.Meal{}, badRequest("form field \"items\" is not a JSON array of meal items: %v", err)
		}
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	defer st.mu.Unlock()
	r, e := ownedRow(st.meals, owner, "meal", xid)
	if e != nil {
		return gen.Meal{}, e
	}
	m := r.v
	loc, tz := st.loc, m.Details.TZ
	if b.TZ != nil {
		if loc, tz, e = s.zoneOf(b.TZ); e != nil {
			return gen.Meal{}, e
		}
	} else if l, err := time.LoadLocation(tz); err == nil {
		loc = l
	}
	applyMealFields(&m, b)
	if b.Items != nil {
		m.Items = gen.MealItemList{Items: items, Size: len(items)}
	}
	if b.Items != nil || b.TZ != nil {
		m.Details = mealDetails(m.Items.Items, tz)
	}
	m.TimeUpdated = wire.Epoch(bump(int64(r.v.TimeUpdated), now))
	if b.TimeCreated != nil && int64(*b.TimeCreated) != int64(m.TimeCreated) {
		st.meals.remove(xid)
		at := st.meals.freeCreated(int64(*b.TimeCreated))
		m.TimeCreated, m.TimeCompleted = wire.Epoch(at), wire.Epoch(at)
		m.Date = wire.DateOf(time.Unix(at, 0).In(loc))
		st.meals.insert(m, owner)
	} else {
		m.Date = wire.DateOf(time.Unix(int64(m.TimeCreated), 0).In(loc))
		r.v = m
	}
	defer s.notify(u, KindMeal, xid, "updation", now)
	return m, nil
}

func (s *Server) createBodyEvent(u *User, owner string, b gen.BodyEventCreate) (gen.BodyEvent, *apiError) {
	if b.Weight == nil && b.BodyFat == nil && b.LeanMass == nil && b.BMI == nil {
		return gen.BodyEvent{}, badRequest("send at least one of weight, body_fat, lean_mass and bmi")
	}
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.BodyEvent{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	at := st.bodies.freeCreated(s.createdAt(b.TimeCreated))
	ev := gen.BodyEvent{
		XID: xid, Title: b.Title, Type: "body", TimeCreated: wire.Epoch(at), TimeUpdated: wire.Epoch(now),
		Date: wire.DateOf(time.Unix(at, 0).In(loc)), Note: deref(b.Note),
		Weight: clone(b.Weight), BodyFat: clone(b.BodyFat), LeanMass: clone(b.LeanMass), BMI: clone(b.BMI),
		Shared: st.settings.ShareBody, Details: gen.TZDetails{TZ: tz},
		PlaceLat: coord(b.PlaceLat), PlaceLon: coord(b.PlaceLon), PlaceAcc: deref(b.PlaceAcc), PlaceName: deref(b.PlaceName),
	}
	if ev.BMI == nil && ev.Weight != nil {
		h := st.user.Height
		ev.BMI = ptr(round(*ev.Weight/(h*h), 1))
	}
	if b.Share != nil {
		ev.Shared = *b.Share
	}
	st.bodies.insert(ev, owner)
	st.mu.Unlock()
	s.notify(u, KindBody, xid, "creation", now)
	return ev, nil
}

// attributesOf reads the attributes form field, a JSON object.
func attributesOf(raw *string) (map[string]any, *apiError) {
	if raw == nil {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(*raw), &m); err != nil || m == nil {
		return nil, badRequest("form field \"attributes\" is not a JSON object")
	}
	return m, nil
}

func applyGenericFields(ev *gen.GenericEvent, b gen.GenericEventUpdate, attrs map[string]any) {
	if b.Title != nil {
		ev.Title = *b.Title
	}
	if b.Verb != nil {
		ev.Verb = *b.Verb
	}
	if attrs != nil {
		ev.Attributes = attrs
	}
	if b.Note != nil {
		ev.Note = *b.Note
	}
	if b.ImageURL != nil {
		ev.Image = imagePath(*b.ImageURL, "_image.png")
	}
	if b.Share != nil {
		ev.Shared = *b.Share
	}
	if b.PlaceLat != nil {
		ev.PlaceLat = coord(b.PlaceLat)
	}
	if b.PlaceLon != nil {
		ev.PlaceLon = coord(b.PlaceLon)
	}
	if b.PlaceAcc != nil {
		ev.PlaceAcc = *b.PlaceAcc
	}
	if b.PlaceName != nil {
		ev.PlaceName = *b.PlaceName
	}
}

func (s *Server) createGenericEvent(u *User, owner string, b gen.GenericEventCreate) (gen.GenericEvent, *apiError) {
	attrs, e := attributesOf(b.Attributes)
	if e != nil {
		return gen.GenericEvent{}, e
	}
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.GenericEvent{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	at := st.generics.freeCreated(s.createdAt(b.TimeCreated))
	ev := gen.GenericEvent{
		XID: xid, TimeCreated: wire.Epoch(at), TimeUpdated: wire.Epoch(now), Date: wire.DateOf(time.Unix(at, 0).In(loc)),
		Image: "", Shared: true, Details: gen.TZDetails{TZ: tz},
	}
	applyGenericFields(&ev, gen.GenericEventUpdate{
		Title: &b.Title, Verb: &b.Verb, Note: b.Note, ImageURL: b.ImageURL, Share: b.Share,
		PlaceLat: b.PlaceLat, PlaceLon: b.PlaceLon, PlaceAcc: b.PlaceAcc, PlaceName: b.PlaceName,
	}, attrs)
	st.generics.insert(ev, owner)
	st.mu.Unlock()
	s.notify(u, KindGenericEvent, xid, "creation", now)
	return ev, nil
}

func (s *Server) updateGenericEvent(u *User, owner, xid string, b gen.GenericEventUpdate) (gen.GenericEvent, *apiError) {
	attrs, e := attributesOf(b.Attributes)
	if e != nil {
		return gen.GenericEvent{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	defer st.mu.Unlock()
	r, e := ownedRow(st.generics, owner, "generic event", xid)
	if e != nil {
		return gen.GenericEvent{}, e
	}
	ev := r.v
	loc, tz := st.loc, ev.Details.TZ
	if b.TZ != nil {
		if loc, tz, e = s.zoneOf(b.TZ); e != nil {
			return gen.GenericEvent{}, e
		}
		ev.Details = gen.TZDetails{TZ: tz}
	} else if l, err := time.LoadLocation(tz); err == nil {
		loc = l
	}
	applyGenericFields(&ev, b, attrs)
	ev.TimeUpdated = wire.Epoch(bump(int64(r.v.TimeUpdated), now))
	if b.TimeCreated != nil && int64(*b.TimeCreated) != int64(ev.TimeCreated) {
		st.generics.remove(xid)
		ev.TimeCreated = wire.Epoch(st.generics.freeCreated(int64(*b.TimeCreated)))
		ev.Date = wire.DateOf(time.Unix(int64(ev.TimeCreated), 0).In(loc))
		st.generics.insert(ev, owner)
	} else {
		ev.Date = wire.DateOf(time.Unix(int64(ev.TimeCreated), 0).In(loc))
		r.v = ev
	}
	defer s.notify(u, KindGenericEvent, xid, "updation", now)
	return ev, nil
}

func (s *Server) createMood(u *User, owner string, b gen.MoodCreate) (gen.Mood, *apiError) {
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return gen.Mood{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	at := st.moods.freeCreated(s.createdAt(b.TimeCreated))
	m := gen.Mood{
		XID: xid, Title: b.Title, Type: "mood", SubType: b.SubType,
		TimeCreated: wire.Epoch(at), TimeUpdated: wire.Epoch(now), Date: wire.DateOf(time.Unix(at, 0).In(loc)),
		Shared: st.settings.ShareMood, Details: gen.TZDetails{TZ: tz},
	}
	if b.Share != nil {
		m.Shared = *b.Share
	}
	st.moods.insert(m, owner)
	st.mu.Unlock()
	s.notify(u, KindMood, xid, "creation", now)
	return m, nil
}

func (s *Server) createCardiacEvent(u *User, owner string, b cardiacEventCreate) (cardiacEvent, *apiError) {
	loc, tz, e := s.zoneOf(b.TZ)
	if e != nil {
		return cardiacEvent{}, e
	}
	now := s.now().Unix()
	st := u.data()
	st.mu.Lock()
	xid := st.xids.next()
	at := st.cardiacs.freeCreated(s.createdAt(b.TimeCreated))
	date := wire.DateOf(time.Unix(at, 0).In(loc))
	ev := cardiacEvent{
		XID: xid, Title: "My heart rate on " + ordinalDate(date), Type: "cardiac",
		TimeCreated: wire.Epoch(at), TimeUpdated: wire.Epoch(now), Date: date,
		HeartRate: b.HeartRate, SystolicPressure: deref(b.SystolicPressure), DiastolicPressure: deref(b.DiastolicPressure),
		Shared: deref(b.Share), Details: gen.TZDetails{TZ: tz},
		PlaceLat: coord(b.PlaceLat), PlaceLon: coord(b.PlaceLon), PlaceAcc: deref(b.PlaceAcc), PlaceName: deref(b.PlaceName),
	}
	if b.Title != nil {
		ev.Title = *b.Title
	}
	st.cardiacs.insert(ev, owner)
	st.mu.Unlock()
	s.notify(u, KindCardiac, xid, "creation", now)
	return ev, nil
}
