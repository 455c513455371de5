package uptest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/upapi/up-go/gen"
	"github.com/upapi/up-go/up/wire"
)

// tickSeconds is the width of a move's or workout's tick.
const tickSeconds = 600

// xidSource makes event IDs shaped like Jawbone's: 22 characters of
// URL-safe base64.
type xidSource struct{ r *rand.Rand }

func newXIDSource(seed int64, stream string) *xidSource {
	return &xidSource{r: rngFor(seed, stream)}
}

func (x *xidSource) next() string { return randomXID(x.r) }

func randomXID(r *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func randomHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// rngFor returns a generator determined by the seed and a stream name.
func rngFor(seed int64, stream string) *rand.Rand {
	h := sha256.Sum256([]byte(stream))
	return rand.New(rand.NewPCG(uint64(seed), binary.LittleEndian.Uint64(h[:8])))
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// thousands writes n with comma separators, as UP titles did ("16,804 steps").
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ordinalDate writes d as "December 10th, 2014", as UP's heart-rate titles did.
func ordinalDate(d wire.Date) string {
	suffix := "th"
	switch d.Day() {
	case 1, 21, 31:
		suffix = "st"
	case 2, 22:
		suffix = "nd"
	case 3, 23:
		suffix = "rd"
	}
	return fmt.Sprintf("%s %d%s, %d", d.Month(), d.Day(), suffix, d.Year())
}

// sun approximates sunrise and sunset on day d at the user's home
// (latitude 37.44° N, solar noon near 20:08 UTC).
func sun(d wire.Date) (rise, set int64) {
	n := float64(d.In(time.UTC).YearDay())
	decl := 23.44 * math.Pi / 180 * math.Sin(2*math.Pi*(284+n)/365)
	lat := 37.44 * math.Pi / 180
	hourAngle := math.Acos(-math.Tan(lat) * math.Tan(decl))
	half := time.Duration(hourAngle / (2 * math.Pi) * 24 * float64(time.Hour))
	noon := d.In(time.UTC).Add(20*time.Hour + 8*time.Minute)
	return noon.Add(-half).Unix(), noon.Add(half).Unix()
}

// Places the user goes to.
type place struct {
	name     string
	lat, lon float64
}

var (
	home = place{"Home", 37.441883, -122.143019}
	work = place{"Good Eats", 37.427475, -122.169719}
	gym  = place{"Gym", 37.451572, -122.184435}
)

func setPlace(r *rand.Rand, p place, lat, lon *wire.Coordinate, acc *int, name *string) {
	*lat = wire.CoordinateOf(round(p.lat+(r.Float64()-0.5)*0.0004, 6))
	*lon = wire.CoordinateOf(round(p.lon+(r.Float64()-0.5)*0.0004, 6))
	*acc = 5 + r.IntN(45)
	*name = p.name
}

// workoutNames are the titles of workout sub_types 1 to 28.
var workoutNames = [...]string{
	1: "Walk", 2: "Run", 3: "Weight Lifting", 4: "Cross Train", 5: "Nike Training", 6: "Yoga", 7: "Pilates",
	8: "Body Weight Exercise", 9: "Crossfit", 10: "P90X", 11: "Zumba", 12: "TRX", 13: "Swim", 14: "Bike",
	15: "Elliptical", 16: "Bar Method", 17: "Kinect Exercise", 18: "Tennis", 19: "Basketball", 20: "Golf",
	21: "Soccer", 22: "Ski/Snowboard", 23: "Dance", 24: "Hike", 25: "Cross Country Ski", 26: "Stationary Bike",
	27: "Cardio", 28: "Game",
}

// workoutTitle is the title UP gave a workout of subType.
func workoutTitle(subType int) string {
	if subType >= 1 && subType < len(workoutNames) {
		return workoutNames[subType]
	}
	return "Workout"
}

// stepsPerMinute is how many steps the band counts per minute of a workout.
func stepsPerMinute(subType int) (lo, hi int) {
	switch subType {
	case 1:
		return 95, 115
	case 2:
		return 150, 172
	case 24:
		return 85, 105
	case 4, 11, 15, 18, 19, 20, 21, 23, 27, 28:
		return 60, 100
	default:
		return 0, 12
	}
}

// met is the metabolic equivalent of a workout of subType.
func met(subType int) float64 {
	switch subType {
	case 1:
		return 3.5
	case 2:
		return 9.8
	case 6, 7, 16, 20:
		return 3
	case 13, 14, 26:
		return 7.5
	case 24:
		return 6
	default:
		return 5.5
	}
}

// commonWorkouts are the sub_types the seeded user mostly logs.
var commonWorkouts = []int{1, 1, 1, 2, 2, 2, 14, 14, 3, 3, 6, 6, 15, 13, 24, 27, 9, 23, 18}

// moodTitles names mood sub_types 1 to 8.
var moodTitles = [...]string{1: "Amazing", 2: "Pumped Up", 3: "Energized", 4: "Good", 5: "Meh", 6: "Dragging", 7: "Exhausted", 8: "Totally Done"}

// food is one serving of something the user eats or drinks.
type food struct {
	name, category, measurement, serving string
	amount                               float64
	foodType                             int  // 1 generic, 2 restaurant, 3 brand, 4 personal
	drink, water, green                  bool // green: rated green by UP's food score
	// calories, carbohydrate, fat, saturated, unsaturated, cholesterol, fiber,
	// protein, sugar, sodium, potassium, calcium, iron, vitamin A, vitamin C
	n [15]float64
}

var (
	breakfasts = []food{
		{"Oatmeal", "Grains", "cup", "bowl", 1, 1, false, false, true, [15]float64{158, 27, 3.2, 0.6, 2.3, 0, 4, 6, 1.1, 115, 164, 21, 2.1, 0, 0}},
		{"Greek Yogurt", "Dairy", "cup", "bowl", 1, 3, false, false, true, [15]float64{146, 8, 3.8, 2.5, 1.1, 13, 0, 20, 7, 68, 282, 230, 0.1, 20, 0}},
		{"Scrambled Eggs", "Eggs", "egg", "plate", 2, 1, false, false, false, [15]float64{182, 2, 13, 4, 7.5, 372, 0, 12, 1.6, 342, 166, 80, 1.6, 160, 0}},
		{"Whole Wheat Toast", "Grains", "slice", "plate", 2, 1, false, false, false, [15]float64{138, 24, 2, 0.4, 1.4, 0, 4, 7, 3, 264, 140, 60, 1.6, 0, 0}},
		{"Banana", "Fruit", "medium", "plate", 1, 1, false, false, true, [15]float64{105, 27, 0.4, 0.1, 0.1, 0, 3.1, 1.3, 14, 1, 422, 6, 0.3, 3, 10.3}},
	}
	lunches = []food{
		{"Turkey Sandwich", "Sandwiches", "sandwich", "plate", 1, 2, false, false, false, [15]float64{362, 38, 11, 3, 6, 45, 4, 26, 6, 1150, 420, 110, 3.2, 20, 2}},
		{"Chicken Caesar Salad", "Salads", "bowl", "bowl", 1, 2, false, false, false, [15]float64{392, 12, 26, 6, 17, 85, 3, 29, 3, 760, 520, 180, 2, 250, 12}},
		{"Lentil Soup", "Soups", "cup", "bowl", 1.5, 1, false, false, true, [15]float64{139, 20, 3, 0.4, 2.2, 0, 8, 9, 2, 520, 336, 26, 3.3, 60, 2}},
		{"Burrito Bowl", "Mexican", "bowl", "bowl", 1, 2, false, false, false, [15]float64{655, 72, 24, 8, 13, 90, 13, 38, 5, 1540, 900, 200, 6, 150, 20}},
		{"Apple", "Fruit", "medium", "plate", 1, 1, false, false, true, [15]float64{95, 25, 0.3, 0.1, 0.1, 0, 4.4, 0.5, 19, 2, 195, 11, 0.2, 5, 8.4}},
	}
	dinners = []food{
		{"Grilled Salmon", "Fish", "fillet", "plate", 1, 1, false, false, true, [15]float64{367, 0, 22, 3.1, 14, 109, 0, 39, 0, 109, 628, 24, 0.7, 60, 0}},
		{"Spaghetti Bolognese", "Pasta", "plate", "plate", 1, 1, false, false, false, [15]float64{540, 66, 17, 6, 9, 50, 5, 30, 9, 780, 730, 80, 4.5, 70, 14}},
		{"Chicken Stir Fry", "Asian", "plate", "plate", 1, 4, false, false, true, [15]float64{420, 38, 14, 2.5, 10, 80, 5, 35, 10, 980, 760, 70, 2.8, 220, 45}},
		{"Steamed Broccoli", "Vegetables", "cup", "bowl", 1, 1, false, false, true, [15]float64{55, 11, 0.6, 0.1, 0.3, 0, 5, 3.7, 2.2, 64, 457, 62, 1, 120, 101}},
		{"Brown Rice", "Grains", "cup", "bowl", 1, 1, false, false, true, [15]float64{216, 45, 1.8, 0.4, 1.3, 0, 3.5, 5, 0.7, 10, 84, 20, 0.8, 0, 0}},
	}
	drinks = []food{
		{"Coffee", "Beverages", "cup", "cup", 1, 1, true, false, true, [15]float64{2, 0, 0, 0, 0, 0, 0, 0.3, 0, 5, 116, 5, 0, 0, 0}},
		{"Water", "Water", "glass", "glass", 1, 1, true, true, true, [15]float64{}},
		{"Orange Juice", "Beverages", "glass", "glass", 1, 3, true, false, false, [15]float64{112, 26, 0.5, 0.1, 0.2, 0, 0.5, 1.7, 21, 2, 496, 27, 0.5, 25, 124}},
		{"Green Tea", "Beverages", "cup", "cup", 1, 1, true, false, true, [15]float64{2, 0, 0, 0, 0, 0, 0, 0.5, 0, 2, 20, 0, 0, 0, 0}},
	}
)

// mealItem is f as a meal item of n servings.
func (f food) mealItem(n float64) gen.MealItem {
	v := func(i int) float64 { return round(f.n[i]*n, 1) }
	sub := 2
	if f.drink {
		sub = 1
	}
	return gen.MealItem{
		Name: f.name, Category: f.category, Measurement: f.measurement, Type: gen.ServingType(f.serving),
		Amount: f.amount * n, FoodType: gen.FoodType(f.foodType), SubType: gen.MealItemType(sub),
		Calories: v(0), Carbohydrate: v(1), Fat: v(2), SaturatedFat: v(3), UnsaturatedFat: v(4),
		Cholesterol: v(5), Fiber: v(6), Protein: v(7), Sugar: v(8), Sodium: v(9), Potassium: v(10),
		Calcium: v(11), Iron: v(12), VitaminA: v(13), VitaminC: v(14),
	}
}

// mealDetails totals the items of a meal, as UP totaled them.
func mealDetails(items []gen.MealItem, tz string) gen.MealDetails {
	var foods, drinkCount, water, green int
	var sum [15]float64
	for _, it := range items {
		if it.SubType == 1 {
			drinkCount++
			if strings.EqualFold(it.Name, "water") {
				water++
			}
		} else {
			foods++
		}
		for _, f := range [][]food{breakfasts, lunches, dinners, drinks} {
			for _, known := range f {
				if known.name == it.Name && known.green {
					green++
				}
			}
		}
		for i, p := range []float64{it.Calories, it.Carbohydrate, it.Fat, it.SaturatedFat, it.UnsaturatedFat,
			it.Cholesterol, it.Fiber, it.Protein, it.Sugar, it.Sodium, it.Potassium, it.Calcium, it.Iron,
			it.VitaminA, it.VitaminC} {
			sum[i] += p
		}
	}
	v := func(i int) float64 { return round(sum[i], 1) }
	return gen.MealDetails{
		NumFoods: foods, NumDrinks: drinkCount, NumWater: water,
		OnlyWaters: len(items) > 0 && water == len(items), NumMealitemsGreen: green,
		Calories: v(0), Carbohydrate: v(1), Fat: v(2), SaturatedFat: v(3), UnsaturatedFat: v(4),
		MonounsaturatedFat: round(sum[4]*0.6, 1), PolyunsaturatedFat: round(sum[4]*0.4, 1),
		Cholesterol: v(5), Fiber: v(6), Protein: v(7), Sugar: v(8), Sodium: v(9), Potassium: v(10),
		Calcium: v(11), Iron: v(12), VitaminA: v(13), VitaminC: v(14), TZ: tz,
	}
}

// mealTitle names a meal after what is in it.
func mealTitle(items []gen.MealItem) string {
	names := make([]string, 0, 3)
	for _, it := range items {
		if len(names) == 3 {
			break
		}
		names = append(names, it.Name)
	}
	return strings.Join(names, ", ")
}

// workoutPlan is a workout the generator is about to write.
type workoutPlan struct {
	start, end int64
	subType    int
	intensity  gen.WorkoutIntensity // 0: none given
	band       bool                 // logged with the band's stopwatch
}

// profile is what the generator knows about the user's body.
type profile struct {
	weight, height float64
	female         bool
	birthday       time.Time
	bmrDay         float64 // on the day being generated
	restingHR      int
}

// ageOn is the user's age in years on day d.
func ageOn(birthday time.Time, d wire.Date) float64 {
	return d.In(birthday.Location()).Sub(birthday).Hours() / 24 / 365.25
}

// bmrOn is the user's basal metabolic rate on day d.
func (p profile) bmrOn(d wire.Date) float64 {
	return round(mifflin(p.weight, p.height, ageOn(p.birthday, d), p.female), 6)
}

func mifflin(weight, height, age float64, female bool) float64 {
	bmr := 10*weight + 625*height - 5*age
	if female {
		return bmr - 161
	}
	return bmr + 5
}

// seedProfile gives st the user: profile, goals, settings and time zone,
// drawn from the stream "user" of the seed, and returns the XIDs of the
// user's three friends outside the server. stream prefixes the names of the
// user's random streams.
func seedProfile(st *store, seed int64, stream string, days int, today wire.Date) (friends []string) {
	r := rngFor(seed, stream+"user")
	p := profile{female: r.IntN(2) == 0}
	firsts := []string{"James", "Liam", "Noah", "Owen", "Ethan", "Lucas"}
	if p.female {
		firsts = []string{"Maya", "Sofia", "Grace", "Lena", "Nora", "Ava"}
		p.height = round(1.55+0.2*r.Float64(), 4)
	} else {
		p.height = round(1.68+0.22*r.Float64(), 4)
	}
	lasts := []string{"Franklin", "Okafor", "Lindqvist", "Moreno", "Tanaka", "Novak", "Reyes", "Walsh"}
	p.weight = round((20.5+5*r.Float64())*p.height*p.height, 1)
	st.birthday = time.Date(1960+r.IntN(36), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, st.loc)
	p.birthday = st.birthday
	p.bmrDay = p.bmrOn(today)
	p.restingHR = 52 + r.IntN(12)
	st.prof = p
	st.user = gen.User{
		XID:    randomXID(r),
		First:  firsts[r.IntN(len(firsts))],
		Last:   lasts[r.IntN(len(lasts))],
		Image:  "user/image/i/" + randomHex(r, 16) + ".png",
		Weight: p.weight,
		Height: p.height,
		Gender: ptr(wire.GenderOf(p.female)),
	}
	for range 3 {
		friends = append(friends, randomXID(r))
	}
	st.goals = gen.Goals{
		MoveSteps: 10000, SleepTotal: 8 * 3600,
		BodyWeight: round(p.weight-2, 1), BodyWeightIntent: ptr(1),
		EatCalcium: 1000.0, EatCarbs: 300.0, EatCholesterol: 300.0, EatFiber: 25.0,
		EatProtein: 50.0, EatSatFat: 20.0, EatSodium: 2300.0, EatSugar: 50.0, EatUnsatFat: 45.0,
	}
	st.settings = gen.Settings{
		ShareMove: true, ShareSleep: true, ShareEat: r.IntN(2) == 0,
		ShareMood: r.IntN(2) == 0, ShareBody: false,
	}
	first := today.AddDays(-days)
	st.zones = []gen.TimeZone{{Time: wire.Epoch(first.AddDays(-1).In(st.loc).Unix()), TZ: st.tzName()}}
	st.xids = newXIDSource(seed, stream+"created")
	return friends
}

// seedHistory adds `days` days of history ending the day before today.
// Each day's data depends only on the seed, the stream and that date. The
// ticks of seeded events are not kept: ticksOf makes them again from the
// day's seed when asked, which keeps a seeded user's memory small.
func seedHistory(st *store, seed int64, stream string, days int, today wire.Date) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for d := today.AddDays(-days); d < today; d = d.AddDays(1) {
		seedDay(st, st.prof, rngFor(seed, stream+"day "+strconv.Itoa(int(d))), d)
		for xid := range st.ticks {
			st.seeded[xid] = d
		}
		for xid := range st.sleepTicks {
			st.seeded[xid] = d
		}
		clear(st.ticks)
		clear(st.sleepTicks)
	}
}

// replayDay makes day d of the history again, in a store of its own, for
// the ticks of its events.
func replayDay(st *store, seed int64, stream string, d wire.Date) *store {
	scratch := newStore(st.loc)
	scratch.settings = st.settings
	seedDay(scratch, st.prof, rngFor(seed, stream+"day "+strconv.Itoa(int(d))), d)
	return scratch
}

// seedDay adds the events of day d: the night's sleep that ends that morning,
// the day's move, workouts, meals and the occasional other events.
func seedDay(st *store, p profile, r *rand.Rand, d wire.Date) {
	p.bmrDay = p.bmrOn(d)
	g := &dayGen{st: st, p: p, r: r, d: d, tz: st.tzName(), settings: st.settings}
	g.endOfDay = d.AddDays(1).In(st.loc).Unix() - 1
	g.rise, g.set = sun(d)
	g.night()
	g.activity()
	g.meals()
	g.extras()
}

// dayGen makes one day's events. Its methods draw from r in a fixed order,
// so that the day depends only on the seed and the date.
type dayGen struct {
	st       *store
	p        profile
	r        *rand.Rand
	d        wire.Date
	tz       string
	settings gen.Settings
	endOfDay int64
	rise     int64
	set      int64
	getUp    int64 // when the night's sleep ended
}

// at is hour:minute of the day in the user's zone; minutes may overflow and
// hours may be negative, as time.Date allows.
func (g *dayGen) at(hour, minute int) int64 {
	return time.Date(g.d.Year(), g.d.Month(), g.d.Day(), hour, minute, 0, 0, g.st.loc).Unix()
}

// night adds the sleep ending that morning, its band events and the resting
// heart rate measured before waking.
func (g *dayGen) night() {
	st, p, r, d, tz, settings := g.st, g.p, g.r, g.d, g.tz, g.settings
	endOfDay, rise, set := g.endOfDay, g.rise, g.set

	// The sleep, from bed the evening before to getting up.
	bed := g.at(-2, 15+r.IntN(100)) // 22:15 to 23:55 the day before
	wake := g.at(6, r.IntN(120))
	getUp := wake + int64(60+r.IntN(14*60))
	g.getUp = getUp
	sleep, phases := buildSleep(r, bed, wake, getUp)
	sleep.XID = randomXID(r)
	sleep.Date = d
	sleep.TimeUpdated = wire.Epoch(min(getUp+int64(300+r.IntN(5400)), endOfDay))
	sleep.SnapshotImage = fmt.Sprintf("/nudge/image/e/%d/%s/%s.png", int64(sleep.TimeUpdated), sleep.XID, randomXID(r)[:11])
	sleep.Shared = settings.ShareSleep
	sleep.Details.Sunrise, sleep.Details.Sunset = wire.Epoch(rise), wire.Epoch(set)
	sleep.Details.TZ = tz
	if r.IntN(3) > 0 {
		setPlace(r, home, &sleep.PlaceLat, &sleep.PlaceLon, &sleep.PlaceAcc, &sleep.PlaceName)
	}
	st.sleeps.insert(sleep, "")
	st.sleepTicks[sleep.XID] = phases
	st.addBand(gen.BandEnterSleepMode, bed, st.dateOf(bed))
	st.addBand(gen.BandExitSleepMode, getUp, d)

	// The resting heart rate, measured just before waking.
	if r.IntN(100) < 85 {
		t := wake - int64(300+r.IntN(900))
		st.hearts.insert(gen.HeartRate{
			XID: randomXID(r), Title: "My resting heart rate on " + ordinalDate(d),
			TimeCreated: wire.Epoch(t), TimeUpdated: wire.Epoch(getUp + 60), Date: d,
			RestingHeartrate: p.restingHR + r.IntN(7) - 3, Details: gen.TZDetails{TZ: tz},
		}, "")
	}
}

// activity adds the day's workouts and its move, from ticks of the band's
// activity that include the workouts' effort.
func (g *dayGen) activity() {
	st, p, r, d, tz, settings := g.st, g.p, g.r, g.d, g.tz, g.settings
	loc, endOfDay, rise, set, getUp := st.loc, g.endOfDay, g.rise, g.set, g.getUp
	at := g.at
	// The band is worn from getting up to the evening, in ticks of ten minutes.
	wearStart := (getUp/tickSeconds + 1) * tickSeconds
	wearEnd := (at(21, 30+r.IntN(60)) / tickSeconds) * tickSeconds

	// Workouts, in the morning, the evening, or both.
	var plans []workoutPlan
	count := 0
	switch x := r.IntN(100); {
	case x < 45:
		count = 1
	case x < 65:
		count = 2
	}
	slots := []int64{
		max(wearStart+tickSeconds, at(6, 30+r.IntN(120))),
		at(17, r.IntN(150)),
	}
	switch count {
	case 0:
		slots = nil
	case 1:
		slots = slots[r.IntN(2):][:1]
	}
	for _, start := range slots {
		start = start / tickSeconds * tickSeconds
		sub := commonWorkouts[r.IntN(len(commonWorkouts))]
		if r.IntN(20) == 0 {
			sub = 1 + r.IntN(28)
		}
		pl := workoutPlan{start: start, end: start + int64(2+r.IntN(6))*tickSeconds, subType: sub, band: r.IntN(10) < 6}
		if r.IntN(5) > 0 {
			pl.intensity = gen.WorkoutIntensity(1 + r.IntN(5))
		}
		plans = append(plans, pl)
	}

	// The day's ticks, with the workouts' effort in them.
	var ticks []gen.Tick
	for t := wearStart; t < wearEnd; t += tickSeconds {
		w := -1 // the plan the tick belongs to
		for i, pl := range plans {
			if t >= pl.start && t < pl.end {
				w = i
			}
		}
		ticks = append(ticks, dayTick(r, p, t, loc, plans, w))
	}
	var (
		woCalories, woTickCalories  float64
		woTime, woActive, woLongest int
	)
	for i, pl := range plans {
		var wt []gen.Tick
		for _, tk := range ticks {
			if int64(tk.Time) >= pl.start && int64(tk.Time) < pl.end {
				wt = append(wt, tk)
			}
		}
		w := buildWorkout(p, pl.start, pl.end, pl.subType, pl.intensity, wt, tz)
		w.XID = randomXID(r)
		w.Date = d
		w.TimeUpdated = wire.Epoch(min(pl.end+int64(60+r.IntN(3600)), endOfDay))
		w.SnapshotImage = fmt.Sprintf("/nudge/image/e/%d/%s/%s.png", int64(w.TimeUpdated), w.XID, randomXID(r)[:11])
		w.Shared = settings.ShareMove
		w.Image = ""
		if r.IntN(2) == 0 {
			pl := []place{home, gym}[i%2]
			setPlace(r, pl, &w.PlaceLat, &w.PlaceLon, &w.PlaceAcc, &w.PlaceName)
			if w.SubType == gen.WorkoutWalk || w.SubType == gen.WorkoutRun || w.SubType == gen.WorkoutBike || w.SubType == gen.WorkoutHike {
				w.Route = "/nudge/image/d/" + randomHex(r, 16) + "_image.png"
			}
		}
		st.workouts.insert(w, "")
		st.ticks[w.XID] = wt
		if pl.band {
			st.addBand(gen.BandEnterStopwatchMode, pl.start, d)
			st.addBand(gen.BandExitStopwatchMode, pl.end, d)
		}
		woCalories += w.Details.Calories
		woTickCalories += w.Details.BgCalories
		dur := int(pl.end - pl.start)
		woTime += dur
		woActive += w.Details.BgActiveTime
		woLongest = max(woLongest, dur)
	}

	// The day's move.
	mv := buildMove(ticks, loc, tz, p.bmrDay)
	mv.XID = randomXID(r)
	mv.Date = d
	mv.TimeCompleted = wire.Epoch(wearEnd)
	mv.TimeUpdated = wire.Epoch(min(wearEnd+int64(r.IntN(3600)), endOfDay))
	mv.SnapshotImage = fmt.Sprintf("/nudge/image/e/%d/%s/%s.png", int64(mv.TimeUpdated), mv.XID, randomXID(r)[:11])
	mv.Shared = settings.ShareMove
	det := &mv.Details
	det.WoCount, det.WoTime, det.WoActiveTime, det.WoLongest = len(plans), woTime, woActive, woLongest
	det.WoCalories = round(woCalories, 6)
	det.BgCalories = round(max(det.Calories-woTickCalories, 0), 6)
	det.Sunrise, det.Sunset = wire.Epoch(rise), wire.Epoch(set)
	if len(ticks) > 0 {
		st.moves.insert(mv, "")
		st.ticks[mv.XID] = ticks
	}
}

// meals adds one to three of breakfast, lunch and dinner.
func (g *dayGen) meals() {
	st, r, d, tz, settings, getUp, at := g.st, g.r, g.d, g.tz, g.settings, g.getUp, g.at
	// Meals: one to three of breakfast, lunch and dinner.
	n := 1
	switch x := r.IntN(100); {
	case x >= 55:
		n = 3
	case x >= 15:
		n = 2
	}
	slots := []int64{max(getUp+600, at(7, r.IntN(120))), at(12, r.IntN(90)), at(18, 30+r.IntN(120))}
	chosen := []int{0, 1, 2}
	r.Shuffle(len(chosen), func(i, j int) { chosen[i], chosen[j] = chosen[j], chosen[i] })
	chosen = chosen[:n]
	for slot := range 3 {
		if !containsInt(chosen, slot) {
			continue
		}
		menu := [][]food{breakfasts, lunches, dinners}[slot]
		var items []gen.MealItem
		k := 1 + r.IntN(2)
		picked := r.Perm(len(menu))[:k]
		for _, i := range picked {
			items = append(items, menu[i].mealItem([]float64{0.75, 1, 1, 1.5}[r.IntN(4)]))
		}
		if r.IntN(2) == 0 {
			items = append(items, drinks[r.IntN(len(drinks))].mealItem(1))
		}
		t := slots[slot]
		done := t + int64(900+r.IntN(1500))
		title := mealTitle(items)
		meal := gen.Meal{
			XID: randomXID(r), Title: title, Note: title, Type: "meal", SubType: gen.MealType(slot + 1),
			TimeCreated: wire.Epoch(t), TimeCompleted: wire.Epoch(done),
			TimeUpdated: wire.Epoch(done + int64(r.IntN(600))), Date: d,
			Image: "", SnapshotImage: "", Shared: settings.ShareEat,
			Details: mealDetails(items, tz),
			Items:   gen.MealItemList{Items: items, Size: len(items)},
		}
		if slot == 1 && r.IntN(2) == 0 {
			setPlace(r, work, &meal.PlaceLat, &meal.PlaceLon, &meal.PlaceAcc, &meal.PlaceName)
		}
		st.meals.insert(meal, "")
	}
}

// extras adds what some days have: a weigh-in, a mood, another app's event
// and a cardiac reading.
func (g *dayGen) extras() {
	st, p, r, d, tz, settings, getUp, at := g.st, g.p, g.r, g.d, g.tz, g.settings, g.getUp, g.at
	// Now and then a weigh-in, some measurements left empty as real scales did.
	if r.IntN(100) < 22 {
		t := getUp + int64(300+r.IntN(1200))
		idx := float64(d.In(time.UTC).Unix()/86400%365) * 0.01
		w := round(p.weight-idx*0.5+(r.Float64()-0.5)*1.2, 1)
		body := gen.BodyEvent{
			XID: randomXID(r), Title: fmt.Sprintf("%.1f kg", w), Type: "body",
			TimeCreated: wire.Epoch(t), TimeUpdated: wire.Epoch(t + int64(5+r.IntN(60))), Date: d,
			Weight: ptr(w), Shared: settings.ShareBody, Details: gen.TZDetails{TZ: tz},
		}
		if r.IntN(10) < 6 {
			fat := 18 + 8*r.Float64()
			if !p.female {
				fat -= 6
			}
			body.BodyFat = ptr(round(fat, 1))
			if r.IntN(3) == 0 {
				body.LeanMass = ptr(round(100-fat, 1))
			}
		}
		if r.IntN(2) == 0 {
			body.BMI = ptr(round(w/(p.height*p.height), 1))
		}
		st.bodies.insert(body, "")
	}

	// A mood logged in the evening some days.
	if r.IntN(100) < 40 {
		t := at(20, r.IntN(120))
		level := []int{1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8}[r.IntN(12)]
		st.moods.insert(gen.Mood{
			XID: randomXID(r), Title: moodTitles[level], Type: "mood", SubType: gen.MoodType(level),
			TimeCreated: wire.Epoch(t), TimeUpdated: wire.Epoch(t + int64(r.IntN(300))), Date: d,
			Shared: settings.ShareMood, Details: gen.TZDetails{TZ: tz},
		}, "")
	}

	// A custom event another partner app wrote, now and then.
	if r.IntN(100) < 15 {
		t := at(14, r.IntN(180))
		ev := gen.GenericEvent{XID: randomXID(r), TimeCreated: wire.Epoch(t), TimeUpdated: wire.Epoch(t + 30), Date: d, Details: gen.TZDetails{TZ: tz}, Image: ""}
		switch r.IntN(3) {
		case 0:
			pages := 10 + r.IntN(40)
			ev.Title, ev.Verb = fmt.Sprintf("Read %d pages", pages), "read"
			ev.Attributes = map[string]any{"pages": float64(pages), "book": "The Long Walk"}
		case 1:
			mins := 5 + r.IntN(20)
			ev.Title, ev.Verb = fmt.Sprintf("Meditated for %d minutes", mins), "meditated"
			ev.Attributes = map[string]any{"minutes": float64(mins)}
			ev.Note = "Felt calmer afterwards"
		default:
			ev.Title, ev.Verb = "Took the stairs", "climbed"
			ev.Attributes = map[string]any{"floors": float64(3 + r.IntN(8))}
		}
		st.generics.insert(ev, "another-app")
	}

	// A heart rate and blood pressure reading (API v1.0) every week or two.
	if r.IntN(100) < 10 {
		t := at(9, r.IntN(120))
		st.cardiacs.insert(cardiacEvent{
			XID: randomXID(r), Title: "My heart rate on " + ordinalDate(d), Type: "cardiac",
			TimeCreated: wire.Epoch(t), TimeUpdated: wire.Epoch(t + 20), Date: d,
			HeartRate: 60 + r.IntN(30), SystolicPressure: 105 + r.IntN(30), DiastolicPressure: 65 + r.IntN(23),
			Details: gen.TZDetails{TZ: tz},
		}, "")
	}
}

// addBand adds a band event at the first free second from t.
func (st *store) addBand(action gen.BandEventAction, t int64, date wire.Date) {
	t = st.bands.freeCreated(t)
	st.bands.insert(gen.BandEvent{Action: action, TimeCreated: wire.Epoch(t), Date: date, TZ: st.tzName()}, "")
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dayTick makes the ten minutes of activity starting at t.
func dayTick(r *rand.Rand, p profile, t int64, loc *time.Location, plans []workoutPlan, w int) gen.Tick {
	var steps, active int
	stride := 0.72 * p.height / 1.75
	if w >= 0 {
		lo, hi := stepsPerMinute(plans[w].subType)
		steps = (lo + r.IntN(hi-lo+1)) * 10 * (85 + r.IntN(20)) / 100
		active = 480 + r.IntN(121)
		if plans[w].subType == 2 {
			stride *= 1.55
		}
	} else {
		hour := time.Unix(t, 0).In(loc).Hour()
		chance := 12
		switch hour {
		case 8, 12, 17, 18:
			chance = 45
		case 7, 9, 13, 19:
			chance = 25
		}
		if r.IntN(100) < chance {
			steps = 300 + r.IntN(800)
			active = min(tickSeconds, steps*6/10+r.IntN(60))
		} else {
			steps = r.IntN(120)
			if steps > 60 {
				active = steps / 2
			}
		}
	}
	dist := math.Round(float64(steps) * stride)
	cal := float64(steps) * 0.045 * p.weight / 75
	if w >= 0 {
		cal = met(plans[w].subType) * p.weight * float64(tickSeconds) / 3600 * 0.8
	}
	tick := gen.Tick{
		Time: wire.Epoch(t), Steps: steps, Distance: dist, ActiveTime: active,
		Calories: round(cal, 3), Speed: 0.0,
	}
	if active > 0 {
		tick.Speed = round(dist/float64(active), 2)
	}
	return tick
}

// buildMove sums up a day's ticks as its move.
func buildMove(ticks []gen.Tick, loc *time.Location, tz string, bmrDay float64) gen.Move {
	var steps, active, longestActive, longestIdle, runActive, runIdle int
	var dist, cal float64
	hourly := make(map[string]gen.HourlyTotal)
	type hourAcc struct {
		steps, active, n, longestActive, longestIdle, runIdle int
		dist, cal                                             float64
	}
	acc := make(map[string]*hourAcc)
	var keys []string
	for _, tk := range ticks {
		s, a := tk.Steps, tk.ActiveTime
		steps += s
		active += a
		dist += tk.Distance
		cal += tk.Calories
		if a >= tickSeconds/2 {
			runActive++
			longestActive = max(longestActive, runActive*tickSeconds)
		} else {
			runActive = 0
		}
		if s < 30 {
			runIdle++
			longestIdle = max(longestIdle, runIdle*tickSeconds)
		} else {
			runIdle = 0
		}
		key := time.Unix(int64(tk.Time), 0).In(loc).Format("2006010215")
		h := acc[key]
		if h == nil {
			h = &hourAcc{}
			acc[key] = h
			keys = append(keys, key)
		}
		h.steps += s
		h.active += a
		h.n++
		h.dist += tk.Distance
		h.cal += tk.Calories
		h.longestActive = max(h.longestActive, a)
		if s < 30 {
			h.runIdle++
			h.longestIdle = max(h.longestIdle, h.runIdle*tickSeconds)
		} else {
			h.runIdle = 0
		}
	}
	for _, k := range keys {
		h := acc[k]
		hourly[k] = gen.HourlyTotal{
			Distance: h.dist, Calories: round(h.cal, 6), Steps: h.steps, ActiveTime: h.active,
			InactiveTime: h.n*tickSeconds - h.active, LongestActiveTime: h.longestActive, LongestIdleTime: h.longestIdle,
		}
	}
	var created int64
	if len(ticks) > 0 {
		created = int64(ticks[0].Time)
	}
	return gen.Move{
		Title: thousands(steps) + " steps", Type: "move", TimeCreated: wire.Epoch(created),
		Details: gen.MoveDetails{
			Distance: dist, Km: round(dist/1000, 3), Steps: steps, ActiveTime: active,
			LongestActive: longestActive, InactiveTime: len(ticks)*tickSeconds - active, LongestIdle: longestIdle,
			Calories: round(cal, 6), BMRDay: bmrDay, BMR: bmrDay,
			TZ: tz, TZS: []gen.TZTransition{{Start: wire.Epoch(created), Name: tz}},
			HourlyTotals: hourly,
		},
	}
}

// buildWorkout makes a workout of subType from start to end, whose band
// activity is ticks.
func buildWorkout(p profile, start, end int64, subType int, intensity gen.WorkoutIntensity, ticks []gen.Tick, tz string) gen.Workout {
	var steps, active int
	var dist, bandCal float64
	for _, tk := range ticks {
		steps += tk.Steps
		active += tk.ActiveTime
		dist += tk.Distance
		bandCal += tk.Calories
	}
	hours := float64(end-start) / 3600
	switch subType {
	case 13:
		dist = math.Round(hours * 2200)
	case 14, 26:
		dist = math.Round(hours * 19000)
	}
	m := met(subType)
	if intensity != 0 {
		m *= 0.8 + 0.1*float64(intensity)
	}
	bmr := round(p.bmrDay*float64(end-start)/86400, 6)
	return gen.Workout{
		Title: workoutTitle(subType), Type: "workout", SubType: gen.WorkoutType(subType),
		TimeCreated: wire.Epoch(start), TimeCompleted: wire.Epoch(end),
		Details: gen.WorkoutDetails{
			Steps: steps, Time: int(end - start), BgActiveTime: active, Meters: dist,
			Km: round(dist/1000, 3), Intensity: intensity, Calories: round(m*p.weight*hours, 1),
			BMR: bmr, BMRCalories: bmr, BgCalories: round(bandCal, 6), Goal: 0, TZ: tz,
		},
	}
}

// workoutTicks makes the band's ticks for a workout logged through the API.
func workoutTicks(r *rand.Rand, p profile, start, end int64, subType int) []gen.Tick {
	plans := []workoutPlan{{start: start, end: end, subType: subType}}
	var ticks []gen.Tick
	for t := start; t < end; t += tickSeconds {
		ticks = append(ticks, dayTick(r, p, t, time.UTC, plans, 0))
	}
	return ticks
}

// buildSleep makes a sleep from bed (lying down) to getUp, waking at wake,
// with its phase changes. The XID, date and time_updated are left to the caller.
func buildSleep(r *rand.Rand, bed, wake, getUp int64) (gen.Sleep, []gen.SleepTick) {
	latency := int64(300 + r.IntN(1200))
	asleep := bed + latency
	if asleep >= wake {
		asleep = bed + (wake-bed)/4
		latency = asleep - bed
	}
	ticks := []gen.SleepTick{{Time: wire.Epoch(bed), Depth: 1}}
	var light, sound, awakeMid, awakenings int64
	cur, depth := asleep, 2
	for cur < wake {
		var d int64
		switch depth {
		case 2:
			d = int64(1200 + r.IntN(1800))
		case 3:
			d = int64(900 + r.IntN(2400))
		default:
			d = int64(120 + r.IntN(360))
		}
		d = min(d, wake-cur)
		ticks = append(ticks, gen.SleepTick{Time: wire.Epoch(cur), Depth: gen.SleepPhase(depth)})
		switch depth {
		case 2:
			light += d
			depth = 3
		case 3:
			sound += d
			depth = 2
			if r.IntN(4) == 0 {
				depth = 1
			}
		default:
			awakeMid += d
			awakenings++
			depth = 2
		}
		cur += d
	}
	ticks = append(ticks, gen.SleepTick{Time: wire.Epoch(wake), Depth: 1})
	duration := getUp - bed
	awake := latency + awakeMid + (getUp - wake)
	asleepFor := duration - awake
	quality := 35 + 80*float64(sound)/float64(max(asleepFor, 1)) + (float64(asleepFor)/3600-6)*6 - 5*float64(awakenings)
	alarm := int64(0)
	if r.IntN(10) < 3 {
		alarm = wake
	}
	s := gen.Sleep{
		Title:   fmt.Sprintf("for %dh %dm", asleepFor/3600, asleepFor%3600/60),
		Type:    "sleep",
		SubType: 0, TimeCreated: wire.Epoch(bed), TimeCompleted: wire.Epoch(getUp),
		Details: gen.SleepDetails{
			SmartAlarmFire: wire.Epoch(alarm), AwakeTime: wire.Epoch(wake), AsleepTime: wire.Epoch(asleep),
			Awakenings: int(awakenings), Rem: 0, Light: int(light), Sound: int(sound),
			Awake: int(awake), Duration: int(duration), Quality: int(math.Max(15, math.Min(95, math.Round(quality)))),
		},
	}
	return s, ticks
}
