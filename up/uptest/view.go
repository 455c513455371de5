package uptest

import (
	"context"
	"strings"

	"github.com/upapi/up-go/gen"
)

// A view is what a token may see of its user's data. Jawbone filtered its
// answers by the token's scopes beyond the scope an operation needs (which
// serveAPI checks from the spec); every such filter of the fake is here.
type view struct{ scopes map[string]bool }

// viewOf is the view of the token that made the call.
func viewOf(ctx context.Context) view {
	if g := grantOf(ctx); g != nil {
		return view{g.scopeSet}
	}
	return view{}
}

func (v view) has(scope string) bool { return v.scopes[scope] }

// places reports whether the token may see where events happened.
func (v view) places() bool { return v.has("location_read") }

// user is the profile as the token may see it: weight, height and gender
// need extended_read.
func (v view) user(u gen.User) gen.User {
	if !v.has("extended_read") {
		u.Weight, u.Height, u.Gender = 0, 0, nil
	}
	return u
}

// bandEvent reports whether the token may see b: sleep-mode events need
// sleep_read, stopwatch events move_read.
func (v view) bandEvent(b *gen.BandEvent) bool {
	switch b.Action {
	case gen.BandEnterSleepMode, gen.BandExitSleepMode:
		return v.has("sleep_read")
	default:
		return v.has("move_read")
	}
}

// trendGroups says which trend metrics the token may see: m_* need
// move_read, s_* sleep_read, e_* meal_read, the body figures extended_read,
// and body_fat weight_read.
func (v view) trendGroups() (move, sleep, meal, body, bodyFat bool) {
	return v.has("move_read"), v.has("sleep_read"), v.has("meal_read"), v.has("extended_read"), v.has("weight_read")
}

// hears reports whether a webhook registered with the view's scopes is told
// about an event of kind, or, for kind "", a band event with action.
func (v view) hears(kind Kind, action string) bool {
	if kind == "" {
		if strings.Contains(action, "sleep") {
			return v.has("sleep_read")
		}
		return v.has("move_read")
	}
	k := eventKinds[kind]
	return k != nil && v.has(k.info().scope)
}

// Scrubbers remove what only location_read may see; kinds name theirs in
// the table of kinds.

func scrubWorkout(v *gen.Workout) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName, v.Route = "", "", 0, "", ""
	v.Details.PlaceAcc = 0
}

func scrubSleep(v *gen.Sleep) { v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, "" }

func scrubMeal(v *gen.Meal) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, ""
	v.Details.Accuracy = 0
}

func scrubBody(v *gen.BodyEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, ""
}

func scrubHeart(v *gen.HeartRate) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, ""
}

func scrubGeneric(v *gen.GenericEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, ""
}

func scrubCardiac(v *cardiacEvent) {
	v.PlaceLat, v.PlaceLon, v.PlaceAcc, v.PlaceName = "", "", 0, ""
}

// trimListedMeal drops the items of a listed meal, whatever the scopes:
// only GET /meals/{xid} carries them.
func trimListedMeal(v *gen.Meal) { v.Items = gen.MealItemList{} }
